#include "crypto/aead.h"

#include <sodium.h>

#include <cstring>

namespace svault::crypto {
namespace {

static_assert(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES == kNonceBytes);
static_assert(crypto_aead_xchacha20poly1305_ietf_ABYTES == kTagBytes);
static_assert(crypto_aead_xchacha20poly1305_ietf_KEYBYTES == kKeyBytes);

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// Decrypts into `out`, which must hold sealed.size() - kNonceBytes - kTagBytes bytes.
bool OpenInto(const GuardedKey& key, std::string_view sealed, std::string_view ad,
              unsigned char* out) {
  if (sealed.size() < kNonceBytes + kTagBytes) return false;
  unsigned long long out_len = 0;
  const std::string_view nonce = sealed.substr(0, kNonceBytes);
  const std::string_view body = sealed.substr(kNonceBytes);
  return crypto_aead_xchacha20poly1305_ietf_decrypt(out, &out_len, nullptr, Bytes(body),
                                                    body.size(), Bytes(ad), ad.size(), Bytes(nonce),
                                                    key.data()) == 0;
}

std::string SealBytes(const GuardedKey& key, const unsigned char* plaintext, size_t size,
                      std::string_view ad) {
  std::string sealed(kNonceBytes + size + kTagBytes, '\0');
  auto* out = reinterpret_cast<unsigned char*>(sealed.data());
  randombytes_buf(out, kNonceBytes);
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(out + kNonceBytes, &written, plaintext, size,
                                             Bytes(ad), ad.size(), nullptr, out, key.data());
  return sealed;
}

}  // namespace

std::string AeadSeal(const GuardedKey& key, std::string_view plaintext,
                     std::string_view associated_data) {
  return SealBytes(key, Bytes(plaintext), plaintext.size(), associated_data);
}

Result<SecretBytes> AeadOpen(const GuardedKey& key, std::string_view sealed,
                             std::string_view associated_data) {
  if (sealed.size() < kNonceBytes + kTagBytes) return IntegrityError("ciphertext is truncated");
  SecretBytes plaintext(sealed.size() - kNonceBytes - kTagBytes);
  auto* out = reinterpret_cast<unsigned char*>(plaintext.MutableData());
  if (!OpenInto(key, sealed, associated_data, out)) {
    return IntegrityError("stored data failed authentication");
  }
  return plaintext;
}

std::string WrapKey(const GuardedKey& kek, const GuardedKey& key,
                    std::string_view associated_data) {
  return SealBytes(kek, key.data(), kKeyBytes, associated_data);
}

Result<GuardedKey> UnwrapKey(const GuardedKey& kek, std::string_view wrapped,
                             std::string_view associated_data) {
  if (wrapped.size() != kNonceBytes + kKeyBytes + kTagBytes) {
    return IntegrityError("wrapped key has the wrong length");
  }
  // Decrypt straight into guarded memory: the key never sits in ordinary heap.
  SVAULT_ASSIGN_OR_RETURN(GuardedKey key, GuardedKey::Random());
  if (!OpenInto(kek, wrapped, associated_data, const_cast<unsigned char*>(key.data()))) {
    return IntegrityError("wrapped key failed authentication");
  }
  return key;
}

}  // namespace svault::crypto
