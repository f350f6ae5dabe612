// SecretBytes holds secret material (a value, a key, a token) on the ordinary heap and wipes it
// when it is destroyed, moved from or reassigned. It has no formatter that shows its bytes: it
// prints as "[redacted]". The only way to the bytes is Reveal(), so every exposure is greppable.
//
// Keys that live for the whole unsealed period belong in crypto::GuardedKey (locked, guarded
// memory); SecretBytes is for per-request plaintext, where sodium_malloc would be too costly.
#ifndef SVAULT_COMMON_SECRET_H_
#define SVAULT_COMMON_SECRET_H_

#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>

namespace svault {

class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::string_view bytes) : bytes_(bytes) {}
  explicit SecretBytes(size_t size) : bytes_(size, '\0') {}
  // Takes ownership of `bytes`; the caller's string is left empty.
  static SecretBytes Adopt(std::string&& bytes);

  SecretBytes(const SecretBytes& other) : bytes_(other.bytes_) {}
  SecretBytes& operator=(const SecretBytes& other);
  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  ~SecretBytes() { Wipe(); }

  // The secret bytes. Every call site is an exposure: keep the view short-lived.
  std::string_view Reveal() const { return bytes_; }
  // Writable access for code that fills the buffer (decryption, random generation).
  char* MutableData() { return bytes_.data(); }
  const unsigned char* data() const {
    return reinterpret_cast<const unsigned char*>(bytes_.data());
  }
  size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }

  // Constant-time comparison (the lengths are not secret).
  bool Equals(const SecretBytes& other) const;

  // Overwrites the bytes with zeros and empties the buffer.
  void Wipe();

 private:
  std::string bytes_;
};

inline std::ostream& operator<<(std::ostream& os, const SecretBytes&) { return os << "[redacted]"; }

// Wipes an ordinary string in place (for buffers that held plaintext before it became a
// SecretBytes, e.g. a decoded JSON field).
void WipeString(std::string& s);
// Wipes `size` bytes at `data` (a buffer this code does not own as a string).
void WipeBytes(void* data, size_t size);

// An allocator that wipes memory as it frees it, for a library's buffers that may hold secrets
// and that the library itself grows, copies and frees (Beast's read buffer).
template <class T>
struct WipingAllocator {
  using value_type = T;
  WipingAllocator() = default;
  template <class U>
  explicit WipingAllocator(const WipingAllocator<U>&) noexcept {}
  T* allocate(size_t n) { return std::allocator<T>().allocate(n); }
  void deallocate(T* p, size_t n) noexcept {
    WipeBytes(p, n * sizeof(T));
    std::allocator<T>().deallocate(p, n);
  }
  template <class U>
  bool operator==(const WipingAllocator<U>&) const noexcept {
    return true;
  }
};

}  // namespace svault

template <>
struct fmt::formatter<svault::SecretBytes> : fmt::formatter<std::string_view> {
  template <typename Ctx>
  auto format(const svault::SecretBytes&, Ctx& ctx) const {
    return fmt::formatter<std::string_view>::format("[redacted]", ctx);
  }
};

#endif  // SVAULT_COMMON_SECRET_H_
