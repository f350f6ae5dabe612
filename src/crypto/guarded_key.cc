#include "crypto/guarded_key.h"

#include <sodium.h>

#include <cstring>

namespace svault::crypto {

bool InitCrypto() { return sodium_init() >= 0; }

Result<GuardedKey> GuardedKey::Allocate() {
  if (!InitCrypto()) return Internal("libsodium failed to start");
  auto* bytes = static_cast<unsigned char*>(sodium_malloc(kKeyBytes));
  if (bytes == nullptr) return Internal("guarded memory exhausted");
  return GuardedKey(bytes);
}

Result<GuardedKey> GuardedKey::Random() {
  SVAULT_ASSIGN_OR_RETURN(GuardedKey key, Allocate());
  randombytes_buf(key.bytes_, kKeyBytes);
  return key;
}

Result<GuardedKey> GuardedKey::FromBytes(std::string_view bytes) {
  if (bytes.size() != kKeyBytes) return Internal("key material has the wrong length");
  SVAULT_ASSIGN_OR_RETURN(GuardedKey key, Allocate());
  std::memcpy(key.bytes_, bytes.data(), kKeyBytes);
  return key;
}

GuardedKey::GuardedKey(GuardedKey&& other) noexcept : bytes_(other.bytes_) {
  other.bytes_ = nullptr;
}

GuardedKey& GuardedKey::operator=(GuardedKey&& other) noexcept {
  if (this != &other) {
    sodium_free(bytes_);  // wipes before freeing; accepts nullptr
    bytes_ = other.bytes_;
    other.bytes_ = nullptr;
  }
  return *this;
}

GuardedKey::~GuardedKey() { sodium_free(bytes_); }

}  // namespace svault::crypto
