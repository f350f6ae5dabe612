#include "crypto/shamir.h"

#include <sodium.h>

// libgfshare.h declares C functions without extern "C".
extern "C" {
#include <libgfshare.h>
}

#include <algorithm>
#include <charconv>
#include <memory>
#include <mutex>

#include "common/encoding.h"

namespace svault::crypto {
namespace {

constexpr std::string_view kPrefix = "svs1";
constexpr size_t kVaultIdHex = 12;
constexpr size_t kChecksumBytes = 4;

void SodiumRandom(unsigned char* buffer, unsigned int size) { randombytes_buf(buffer, size); }

// libgfshare leaves its random hook unset (DESIGN.md §10): point it at libsodium once.
void InstallRandom() {
  static std::once_flag once;
  std::call_once(once, [] { gfshare_fill_rand = SodiumRandom; });
}

struct CtxFree {
  void operator()(gfshare_ctx* ctx) const { gfshare_ctx_free(ctx); }
};
using Ctx = std::unique_ptr<gfshare_ctx, CtxFree>;

std::string Checksum(std::string_view body) {
  unsigned char out[kChecksumBytes];
  crypto_generichash(out, sizeof(out), reinterpret_cast<const unsigned char*>(body.data()),
                     body.size(), nullptr, 0);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(out), sizeof(out)));
}

bool IsLowerHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool ParseNumber(std::string_view s, uint32_t max, uint32_t& out) {
  if (s.empty() || s.size() > 10 || (s.size() > 1 && s[0] == '0')) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size() && out >= 1 && out <= max;
}

std::vector<std::string_view> SplitDashes(std::string_view text) {
  std::vector<std::string_view> parts;
  while (true) {
    const size_t dash = text.find('-');
    parts.push_back(text.substr(0, dash));
    if (dash == std::string_view::npos) return parts;
    text.remove_prefix(dash + 1);
  }
}

std::string_view Trim(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n";
  const size_t begin = s.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  return s.substr(begin, s.find_last_not_of(kSpace) + 1 - begin);
}

Status BadShare(std::string reason) { return Invalid("/share", std::move(reason)); }

}  // namespace

std::string NewVaultId() { return HexEncode(RandomBytes(kVaultIdHex / 2)); }

Result<std::vector<SecretBytes>> SplitKey(const GuardedKey& key, const ShareOrigin& origin,
                                          uint32_t shares, uint32_t threshold) {
  if (shares < 1 || shares > kMaxShares) return Invalid("/shares", "must be 1 to 16");
  if (threshold < 1 || threshold > shares) {
    return Invalid("/threshold", "must be at least 1 and at most the number of shares");
  }
  InstallRandom();
  std::vector<unsigned char> indexes(shares);
  for (uint32_t i = 0; i < shares; ++i) indexes[i] = static_cast<unsigned char>(i + 1);
  Ctx ctx(gfshare_ctx_init_enc(indexes.data(), shares, static_cast<unsigned char>(threshold),
                               kKeyBytes));
  if (!ctx) return Internal("cannot start a share split");
  // libgfshare copies the secret into its own buffer, which it wipes on free.
  SVAULT_ASSIGN_OR_RETURN(
      GuardedKey copy, GuardedKey::FromBytes(
                           std::string_view(reinterpret_cast<const char*>(key.data()), kKeyBytes)));
  gfshare_ctx_enc_setsecret(ctx.get(), copy.mutable_data());

  std::vector<SecretBytes> texts;
  SecretBytes bytes(kKeyBytes);
  for (uint32_t i = 0; i < shares; ++i) {
    // libgfshare names a share by its position in `indexes`, not by its index.
    gfshare_ctx_enc_getshare(ctx.get(), static_cast<unsigned char>(i),
                             reinterpret_cast<unsigned char*>(bytes.MutableData()));
    std::string body = std::string(kPrefix) + "-" + origin.vault_id + "-" +
                       std::to_string(origin.set) + "-" + std::to_string(indexes[i]) + "-" +
                       HexEncode(bytes.Reveal());
    std::string text = body + "-" + Checksum(body);
    WipeString(body);
    texts.push_back(SecretBytes::Adopt(std::move(text)));
  }
  return texts;
}

Result<Share> ParseShare(std::string_view text) {
  text = Trim(text);
  if (text.size() > 200) return BadShare("is not a share (too long)");
  const std::vector<std::string_view> parts = SplitDashes(text);
  if (parts.size() != 6 || !parts[0].starts_with("svs")) return BadShare("is not a share");
  if (parts[0] != kPrefix) return BadShare("has a share format this version does not know");

  // The checksum covers everything before it: any typo shows here.
  const std::string_view body = text.substr(0, text.size() - parts[5].size() - 1);
  const std::string expected = Checksum(body);
  if (parts[5].size() != expected.size() ||
      sodium_memcmp(parts[5].data(), expected.data(), expected.size()) != 0) {
    return BadShare("checksum does not match: the share is mistyped or incomplete");
  }
  uint32_t set = 0;
  uint32_t index = 0;
  if (parts[1].size() != kVaultIdHex || !IsLowerHex(parts[1]) ||
      !ParseNumber(parts[2], UINT32_MAX, set) || !ParseNumber(parts[3], 255, index) ||
      parts[4].size() != 2 * kKeyBytes || !IsLowerHex(parts[4])) {
    return BadShare("is not a share");
  }
  std::optional<std::string> raw = HexDecode(parts[4]);
  if (!raw) return BadShare("is not a share");
  Result<GuardedKey> bytes = GuardedKey::FromBytes(*raw);
  WipeString(*raw);
  if (!bytes.ok()) return bytes.status();
  return Share{{std::string(parts[1]), set}, static_cast<uint8_t>(index), std::move(bytes).value()};
}

std::string ShareDigest(const Share& share) {
  constexpr std::string_view kDomain = "svault/share/v1";
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, 32);
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(kDomain.data()),
                            kDomain.size());
  crypto_generichash_update(&state, &share.index, 1);
  crypto_generichash_update(&state, share.bytes.data(), kKeyBytes);
  unsigned char out[32];
  crypto_generichash_final(&state, out, sizeof(out));
  return HexEncode(std::string_view(reinterpret_cast<const char*>(out), sizeof(out)));
}

Result<GuardedKey> CombineShares(std::span<const Share* const> shares) {
  if (shares.empty() || shares.size() > 255) return Internal("no shares to combine");
  InstallRandom();
  std::vector<unsigned char> indexes;
  for (const Share* share : shares) {
    if (std::find(indexes.begin(), indexes.end(), share->index) != indexes.end()) {
      return Internal("shares to combine repeat an index");
    }
    indexes.push_back(share->index);
  }
  Ctx ctx(
      gfshare_ctx_init_dec(indexes.data(), static_cast<unsigned int>(indexes.size()), kKeyBytes));
  if (!ctx) return Internal("cannot start a share combination");
  for (size_t i = 0; i < shares.size(); ++i) {
    // By position in `indexes`; libgfshare takes a non-const pointer but only reads the share.
    gfshare_ctx_dec_giveshare(ctx.get(), static_cast<unsigned char>(i),
                              const_cast<unsigned char*>(shares[i]->bytes.data()));
  }
  SVAULT_ASSIGN_OR_RETURN(GuardedKey key, GuardedKey::Random());
  gfshare_ctx_dec_extract(ctx.get(), key.mutable_data());
  return key;
}

}  // namespace svault::crypto
