#include "crypto/mac.h"

#include <sodium.h>

#include "common/encoding.h"

namespace svault::crypto {

std::string TokenHash(const GuardedKey& key, std::string_view token) {
  unsigned char out[32];
  crypto_generichash(out, sizeof(out), reinterpret_cast<const unsigned char*>(token.data()),
                     token.size(), key.data(), kKeyBytes);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(out), sizeof(out)));
}

std::string AuditMac(const GuardedKey& key, std::string_view previous_mac_hex,
                     std::string_view record) {
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, key.data(), kKeyBytes);
  crypto_auth_hmacsha256_update(&state,
                                reinterpret_cast<const unsigned char*>(previous_mac_hex.data()),
                                previous_mac_hex.size());
  const unsigned char separator = '\n';
  crypto_auth_hmacsha256_update(&state, &separator, 1);
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(record.data()),
                                record.size());
  unsigned char out[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_final(&state, out);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(out), sizeof(out)));
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace svault::crypto
