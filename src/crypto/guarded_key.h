// A 256-bit key in locked, guarded memory (sodium_malloc: guard pages, mlock, wiped on free).
// Move-only. Keys that live for the whole unsealed period (root key, keyring terms, data keys)
// use this type; it never prints its bytes.
#ifndef SVAULT_CRYPTO_GUARDED_KEY_H_
#define SVAULT_CRYPTO_GUARDED_KEY_H_

#include <cstddef>
#include <ostream>
#include <string_view>

#include "common/status.h"

namespace svault::crypto {

inline constexpr size_t kKeyBytes = 32;

// Initialises libsodium; call once at start (idempotent). False when it cannot start.
bool InitCrypto();

class GuardedKey {
 public:
  // A new random key. kInternal when guarded memory cannot be had.
  static Result<GuardedKey> Random();
  // Copies exactly kKeyBytes bytes into guarded memory; kInvalid-length input is kInternal.
  static Result<GuardedKey> FromBytes(std::string_view bytes);

  GuardedKey(GuardedKey&& other) noexcept;
  GuardedKey& operator=(GuardedKey&& other) noexcept;
  GuardedKey(const GuardedKey&) = delete;
  GuardedKey& operator=(const GuardedKey&) = delete;
  ~GuardedKey();

  // The key bytes; every caller is a use of key material.
  const unsigned char* data() const { return bytes_; }
  // Writable bytes, for code that computes a key in place (share combination).
  unsigned char* mutable_data() { return bytes_; }
  bool empty() const { return bytes_ == nullptr; }

 private:
  explicit GuardedKey(unsigned char* bytes) : bytes_(bytes) {}
  static Result<GuardedKey> Allocate();
  unsigned char* bytes_ = nullptr;
};

inline std::ostream& operator<<(std::ostream& os, const GuardedKey&) { return os << "[key]"; }

}  // namespace svault::crypto

#endif  // SVAULT_CRYPTO_GUARDED_KEY_H_
