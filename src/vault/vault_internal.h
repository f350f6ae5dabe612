// State the vault holds only while unsealed, shared by the vault's .cc files. Not for use
// outside src/vault/.
#ifndef SVAULT_VAULT_VAULT_INTERNAL_H_
#define SVAULT_VAULT_VAULT_INTERNAL_H_

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "crypto/guarded_key.h"
#include "crypto/keyring.h"
#include "crypto/shamir.h"
#include "vault/audit_log.h"
#include "vault/vault.h"

namespace svault::vault {

struct Vault::Unsealed {
  Unsealed(crypto::GuardedKey root, crypto::Keyring ring)
      : root_key(std::move(root)), keyring(std::move(ring)) {}

  crypto::GuardedKey root_key;
  crypto::Keyring keyring;
  std::unique_ptr<AuditLog> audit;  // opened with keyring's chain key, after the keyring

  struct CachedKey {
    std::shared_ptr<const crypto::GuardedKey> key;
    uint64_t last_used = 0;
  };
  std::mutex dek_mu;
  // (environment uid, generation) -> unwrapped data key, at most kMaxCachedDataKeys of them
  // (each takes a locked page and four mappings); the least recently used goes first.
  std::map<std::pair<std::string, uint32_t>, CachedKey> deks;  // guarded by dek_mu
  uint64_t dek_clock = 0;                                      // guarded by dek_mu
};

// Unwrapped data keys kept in memory at once. Locked memory is capped (8 MiB for non-root
// processes here) and every guarded allocation costs mappings, so the cache is bounded.
inline constexpr size_t kMaxCachedDataKeys = 512;

// Shares entered towards a quorum (unseal or rekey), each index once.
struct Vault::Quorum {
  std::vector<crypto::Share> shares;
};

// A rekey in progress: the new split it will make, and the current shares entered so far.
struct Vault::Rekey {
  std::string nonce;
  uint32_t shares = 0;
  uint32_t threshold = 0;
  Quorum quorum;  // current shares
  // Once the current quorum opened the vault: the new unseal key, its configuration, and the
  // new shares entered back so far.
  std::optional<crypto::GuardedKey> new_key;
  SealConfig next;
  Quorum verify;
};

// The floor below which new versions in environment `env_id` are never numbered: the highest
// version of any key in deleted environments of that id (0 when none).
Result<uint64_t> LoadVersionFloor(storage::Transaction& txn, std::string_view env_id);

// The associated data of the root key wrapped under the unseal key.
inline constexpr std::string_view kRootKeyAd = "svault/root/v1";

// The data-key generation a stored value blob names (its header: format byte, then u32
// big-endian); kIntegrityError for a blob of another format.
Result<uint32_t> BlobGeneration(std::string_view blob);

// The associated data of environment `uid`'s data key of `generation`.
std::string DataKeyAd(std::string_view uid, uint32_t generation);

// Common failures.
inline Status SealedError() { return {Code::kSealed, "vault is sealed"}; }
inline Status NoSuchEnvironment() { return NotFound("no such environment"); }
inline Status NoSuchSecret() { return NotFound("no such secret"); }

}  // namespace svault::vault

#endif  // SVAULT_VAULT_VAULT_INTERNAL_H_
