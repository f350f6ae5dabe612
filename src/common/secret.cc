#include "common/secret.h"

#include <sodium.h>

namespace svault {

SecretBytes SecretBytes::Adopt(std::string&& bytes) {
  SecretBytes out;
  out.bytes_.swap(bytes);
  return out;
}

SecretBytes& SecretBytes::operator=(const SecretBytes& other) {
  if (this != &other) {
    Wipe();
    bytes_ = other.bytes_;
  }
  return *this;
}

SecretBytes::SecretBytes(SecretBytes&& other) noexcept {
  // Swap rather than move: a moved-from short string keeps its bytes in the SSO buffer.
  bytes_.swap(other.bytes_);
}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    Wipe();
    bytes_.swap(other.bytes_);
  }
  return *this;
}

bool SecretBytes::Equals(const SecretBytes& other) const {
  if (bytes_.size() != other.bytes_.size()) return false;
  if (bytes_.empty()) return true;
  return sodium_memcmp(bytes_.data(), other.bytes_.data(), bytes_.size()) == 0;
}

void SecretBytes::Wipe() { WipeString(bytes_); }

void WipeBytes(void* data, size_t size) { sodium_memzero(data, size); }

void WipeString(std::string& s) {
  // Wipe the whole capacity: a shrunk string may keep old bytes beyond size().
  if (s.capacity() > 0) {
    s.resize(s.capacity());
    sodium_memzero(s.data(), s.size());
  }
  s.clear();
}

}  // namespace svault
