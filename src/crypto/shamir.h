// Shamir secret sharing of a 256-bit unseal key (DESIGN.md §5), behind a small wrapper over
// libgfshare, and the text form in which a share is handed to a person.
//
// A share's text carries a format version, the vault's id, the share set (a rekey starts a new
// one), the share's index, its 32 bytes and a checksum:
//
//   svs1-<vault id: 12 hex>-<set>-<index>-<64 hex>-<checksum: 8 hex>
//
// so that a typo, a share of another vault or a share of a replaced set is recognised on entry,
// before it counts towards a quorum. Shares are never stored by the vault.
//
// libgfshare's table arithmetic is not constant-time; splitting and combining happen only at
// init, unseal and rekey, on the vault's own host.
#ifndef SVAULT_CRYPTO_SHAMIR_H_
#define SVAULT_CRYPTO_SHAMIR_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/secret.h"
#include "common/status.h"
#include "crypto/guarded_key.h"

namespace svault::crypto {

inline constexpr uint32_t kMaxShares = 16;

// Which vault and which share set a share belongs to. Not secret.
struct ShareOrigin {
  std::string vault_id;  // 12 lower-case hex digits
  uint32_t set = 1;      // 1 at init, +1 at every rekey
};

// A new random vault id.
std::string NewVaultId();

// Splits `key` into `shares` texts, any `threshold` of which rebuild it. kValidationFailed unless
// 1 <= threshold <= shares <= kMaxShares (threshold 1 is allowed, and a single holder then
// unseals alone; threshold >= 2 is what DESIGN.md §5 intends).
Result<std::vector<SecretBytes>> SplitKey(const GuardedKey& key, const ShareOrigin& origin,
                                          uint32_t shares, uint32_t threshold);

// One share, parsed and checked against its checksum. Its bytes live in guarded memory.
struct Share {
  ShareOrigin origin;
  uint8_t index = 0;  // 1..255
  GuardedKey bytes;
};

// Parses a share's text (surrounding white space ignored). kValidationFailed (field "/share") with
// a reason that never repeats the text: not a share, unknown format version, or checksum mismatch.
Result<Share> ParseShare(std::string_view text);

// A digest of a share (BLAKE2b-256 over its index and bytes, hex), which the vault keeps to
// recognise its own shares on entry: a forged share, or one whose bytes were altered behind a
// valid checksum, is refused before it can count. The share cannot be recovered from it.
std::string ShareDigest(const Share& share);

// Rebuilds the key from shares with distinct indexes. Any set of shares yields some key; only
// opening what the key wraps tells whether it is the right one.
Result<GuardedKey> CombineShares(std::span<const Share* const> shares);

}  // namespace svault::crypto

#endif  // SVAULT_CRYPTO_SHAMIR_H_
