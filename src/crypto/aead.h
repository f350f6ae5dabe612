// Authenticated encryption with XChaCha20-Poly1305 (IETF) and a random 192-bit nonce.
// Sealed form: nonce (24 bytes) || ciphertext || tag (16 bytes). Associated data is
// authenticated, not stored: the opener must supply the same bytes. Crypto code never logs.
#ifndef SVAULT_CRYPTO_AEAD_H_
#define SVAULT_CRYPTO_AEAD_H_

#include <string>
#include <string_view>

#include "common/secret.h"
#include "common/status.h"
#include "crypto/guarded_key.h"

namespace svault::crypto {

inline constexpr size_t kNonceBytes = 24;
inline constexpr size_t kTagBytes = 16;

std::string AeadSeal(const GuardedKey& key, std::string_view plaintext,
                     std::string_view associated_data);

// kIntegrityError when the sealed bytes are short, altered, or were sealed with another key or
// other associated data. Never returns a wrong plaintext.
Result<SecretBytes> AeadOpen(const GuardedKey& key, std::string_view sealed,
                             std::string_view associated_data);

// Wraps `key` under `kek`; the plaintext key never leaves guarded memory.
std::string WrapKey(const GuardedKey& kek, const GuardedKey& key, std::string_view associated_data);
// Unwraps straight into guarded memory. kIntegrityError as AeadOpen.
Result<GuardedKey> UnwrapKey(const GuardedKey& kek, std::string_view wrapped,
                             std::string_view associated_data);

}  // namespace svault::crypto

#endif  // SVAULT_CRYPTO_AEAD_H_
