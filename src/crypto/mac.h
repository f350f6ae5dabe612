// Keyed hashes: token hashing (only the keyed hash of a token is stored) and the audit chain MAC.
#ifndef SVAULT_CRYPTO_MAC_H_
#define SVAULT_CRYPTO_MAC_H_

#include <string>
#include <string_view>

#include "crypto/guarded_key.h"

namespace svault::crypto {

// Keyed BLAKE2b-256 of a token, as 64 lowercase hex characters.
std::string TokenHash(const GuardedKey& key, std::string_view token);

// HMAC-SHA-256 over `previous_mac_hex` || 0x0A || `record`, as 64 lowercase hex characters.
std::string AuditMac(const GuardedKey& key, std::string_view previous_mac_hex,
                     std::string_view record);

// Constant-time comparison of two equal-length strings (false when lengths differ).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace svault::crypto

#endif  // SVAULT_CRYPTO_MAC_H_
