// Shamir split and combine of the unseal key, and the checked text form of a share.
#include "crypto/shamir.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "common/secret.h"

namespace svault::crypto {
namespace {

std::string Bytes(const GuardedKey& key) {
  return std::string(reinterpret_cast<const char*>(key.data()), kKeyBytes);
}

std::vector<Share> ParseAll(const std::vector<SecretBytes>& texts) {
  std::vector<Share> shares;
  for (const SecretBytes& t : texts) {
    Result<Share> s = ParseShare(t.Reveal());
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    if (s.ok()) shares.push_back(std::move(s).value());
  }
  return shares;
}

Result<GuardedKey> Combine(const std::vector<Share>& shares, std::vector<size_t> pick) {
  std::vector<const Share*> chosen;
  for (size_t i : pick) chosen.push_back(&shares[i]);
  return CombineShares(chosen);
}

TEST(ShamirTest, AnyThresholdSubsetRebuildsTheKey) {
  ASSERT_TRUE(InitCrypto());
  GuardedKey key = GuardedKey::Random().value();
  ShareOrigin origin{NewVaultId(), 1};
  auto texts = SplitKey(key, origin, 5, 3);
  ASSERT_TRUE(texts.ok()) << texts.status().ToString();
  ASSERT_EQ(texts->size(), 5u);
  std::vector<Share> shares = ParseAll(*texts);
  ASSERT_EQ(shares.size(), 5u);
  for (const Share& s : shares) EXPECT_EQ(s.origin.vault_id, origin.vault_id);
  // Every 3-subset of the 5.
  for (size_t a = 0; a < 5; ++a) {
    for (size_t b = a + 1; b < 5; ++b) {
      for (size_t c = b + 1; c < 5; ++c) {
        auto rebuilt = Combine(shares, {a, b, c});
        ASSERT_TRUE(rebuilt.ok());
        EXPECT_EQ(Bytes(*rebuilt), Bytes(key)) << a << b << c;
      }
    }
  }
  // All five also work; two do not give the key.
  EXPECT_EQ(Bytes(*Combine(shares, {0, 1, 2, 3, 4})), Bytes(key));
  EXPECT_NE(Bytes(*Combine(shares, {0, 1})), Bytes(key));
}

TEST(ShamirTest, TextCarriesVersionVaultSetIndexAndChecksum) {
  ASSERT_TRUE(InitCrypto());
  GuardedKey key = GuardedKey::Random().value();
  auto texts = SplitKey(key, {"0123456789ab", 7}, 3, 2);
  ASSERT_TRUE(texts.ok());
  const std::string text((*texts)[1].Reveal());
  EXPECT_TRUE(text.starts_with("svs1-0123456789ab-7-2-")) << text;
  EXPECT_EQ(text.size(), 4 + 1 + 12 + 1 + 1 + 1 + 1 + 1 + 64 + 1 + 8u);
  auto share = ParseShare("  " + text + "\n");
  ASSERT_TRUE(share.ok());
  EXPECT_EQ(share->origin.set, 7u);
  EXPECT_EQ(share->index, 2);
}

TEST(ShamirTest, EveryOneCharacterTypoIsCaught) {
  ASSERT_TRUE(InitCrypto());
  GuardedKey key = GuardedKey::Random().value();
  auto texts = SplitKey(key, {NewVaultId(), 1}, 2, 2);
  const std::string text((*texts)[0].Reveal());
  const std::string alphabet = "0123456789abcdef-sv";
  size_t tried = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    for (char c : alphabet) {
      if (c == text[i]) continue;
      std::string typo = text;
      typo[i] = c;
      Result<Share> parsed = ParseShare(typo);
      ASSERT_FALSE(parsed.ok()) << "accepted a typo at " << i;
      EXPECT_EQ(parsed.status().code(), Code::kValidationFailed);
      ++tried;
    }
    // A dropped character too.
    std::string shorter = text;
    shorter.erase(i, 1);
    EXPECT_FALSE(ParseShare(shorter).ok()) << "accepted a dropped character at " << i;
  }
  EXPECT_GT(tried, 1000u);
}

TEST(ShamirTest, ErrorsNeverRepeatTheShare) {
  ASSERT_TRUE(InitCrypto());
  GuardedKey key = GuardedKey::Random().value();
  auto texts = SplitKey(key, {NewVaultId(), 1}, 2, 2);
  std::string text((*texts)[0].Reveal());
  const std::string share_hex = text.substr(text.size() - 9 - 64, 64);
  text.back() = text.back() == '0' ? '1' : '0';
  Result<Share> parsed = ParseShare(text);
  ASSERT_FALSE(parsed.ok());
  const std::string shown = parsed.status().ToString() + parsed.status().details()[0].reason;
  EXPECT_EQ(shown.find(share_hex), std::string::npos);
  EXPECT_EQ(shown.find(share_hex.substr(0, 16)), std::string::npos);
}

// The checksum is BLAKE2b with a 4-byte digest over the text before it; this one was computed
// with Python's hashlib, so the format does not drift unnoticed.
TEST(ShamirTest, ChecksumMatchesAnIndependentBlake2b) {
  ASSERT_TRUE(InitCrypto());
  auto share = ParseShare(
      "svs1-0123456789ab-1-2-5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f-"
      "e24a2e3c");
  ASSERT_TRUE(share.ok()) << share.status().ToString();
  EXPECT_EQ(share->origin.vault_id, "0123456789ab");
  EXPECT_EQ(share->index, 2);
  EXPECT_EQ(Bytes(share->bytes), std::string(32, '\x5f'));
}

TEST(ShamirTest, NotAShareAndUnknownVersion) {
  EXPECT_FALSE(ParseShare("").ok());
  EXPECT_FALSE(ParseShare("hello").ok());
  EXPECT_FALSE(ParseShare(std::string(500, 'a')).ok());
  Result<Share> v2 = ParseShare("svs2-0123456789ab-1-1-" + std::string(64, 'a') + "-00000000");
  ASSERT_FALSE(v2.ok());
  EXPECT_NE(v2.status().details()[0].reason.find("format"), std::string::npos);
}

TEST(ShamirTest, CountsAreChecked) {
  ASSERT_TRUE(InitCrypto());
  GuardedKey key = GuardedKey::Random().value();
  EXPECT_FALSE(SplitKey(key, {NewVaultId(), 1}, 0, 0).ok());
  EXPECT_FALSE(SplitKey(key, {NewVaultId(), 1}, 3, 4).ok());
  EXPECT_FALSE(SplitKey(key, {NewVaultId(), 1}, 17, 3).ok());
  EXPECT_FALSE(SplitKey(key, {NewVaultId(), 1}, 3, 0).ok());
  auto one = SplitKey(key, {NewVaultId(), 1}, 1, 1);
  ASSERT_TRUE(one.ok());
  std::vector<Share> shares = ParseAll(*one);
  EXPECT_EQ(Bytes(*Combine(shares, {0})), Bytes(key));
}

TEST(ShamirTest, RepeatedIndexIsRefused) {
  ASSERT_TRUE(InitCrypto());
  GuardedKey key = GuardedKey::Random().value();
  auto texts = SplitKey(key, {NewVaultId(), 1}, 3, 2);
  std::vector<Share> shares = ParseAll(*texts);
  EXPECT_FALSE(Combine(shares, {0, 0}).ok());
}

}  // namespace
}  // namespace svault::crypto
