#include <gtest/gtest.h>

#include "common/encoding.h"
#include "crypto/aead.h"
#include "crypto/keyring.h"
#include "crypto/mac.h"

namespace svault::crypto {
namespace {

GuardedKey NewKey() { return std::move(GuardedKey::Random().value()); }

TEST(AeadTest, RoundTripsAnyBytes) {
  GuardedKey key = NewKey();
  const std::string plain("a\0b\xff\"\\\n", 7);
  const std::string sealed = AeadSeal(key, plain, "ad");
  EXPECT_EQ(sealed.size(), plain.size() + kNonceBytes + kTagBytes);
  EXPECT_EQ(sealed.find(plain), std::string::npos);
  auto opened = AeadOpen(key, sealed, "ad");
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened->Reveal(), plain);
}

TEST(AeadTest, NoncesDiffer) {
  GuardedKey key = NewKey();
  EXPECT_NE(AeadSeal(key, "same", "ad"), AeadSeal(key, "same", "ad"));
}

TEST(AeadTest, WrongAssociatedDataIsIntegrityError) {
  GuardedKey key = NewKey();
  auto opened = AeadOpen(key, AeadSeal(key, "v", "env1|k|1"), "env1|k|2");
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), Code::kIntegrityError);
}

TEST(AeadTest, WrongKeyTamperingAndTruncationAreIntegrityErrors) {
  GuardedKey key = NewKey();
  GuardedKey other = NewKey();
  std::string sealed = AeadSeal(key, "value", "ad");
  EXPECT_EQ(AeadOpen(other, sealed, "ad").status().code(), Code::kIntegrityError);
  std::string flipped = sealed;
  flipped[kNonceBytes] ^= 1;
  EXPECT_EQ(AeadOpen(key, flipped, "ad").status().code(), Code::kIntegrityError);
  EXPECT_EQ(AeadOpen(key, sealed.substr(0, 10), "ad").status().code(), Code::kIntegrityError);
}

TEST(AeadTest, WrapAndUnwrapKey) {
  GuardedKey kek = NewKey();
  GuardedKey key = NewKey();
  const std::string wrapped = WrapKey(kek, key, "dek|1");
  auto unwrapped = UnwrapKey(kek, wrapped, "dek|1");
  ASSERT_TRUE(unwrapped.ok());
  EXPECT_EQ(std::string_view(reinterpret_cast<const char*>(unwrapped->data()), kKeyBytes),
            std::string_view(reinterpret_cast<const char*>(key.data()), kKeyBytes));
  EXPECT_EQ(UnwrapKey(kek, wrapped, "dek|2").status().code(), Code::kIntegrityError);
}

TEST(KeyringTest, SealOpenRoundTripKeepsTerms) {
  GuardedKey root = NewKey();
  Keyring keyring = std::move(Keyring::Create().value());
  EXPECT_EQ(keyring.current_term(), 1u);
  ASSERT_EQ(keyring.AddTerm().value(), 2u);
  const std::string sealed = keyring.Seal(root);

  auto opened = Keyring::Open(root, sealed);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->current_term(), 2u);
  ASSERT_NE(opened->term_key(1), nullptr);
  EXPECT_EQ(opened->term_key(3), nullptr);
  // The same keys: a value wrapped under the original term opens under the reopened one.
  GuardedKey dek = NewKey();
  std::string wrapped = WrapKey(*keyring.term_key(1), dek, "x");
  EXPECT_TRUE(UnwrapKey(*opened->term_key(1), wrapped, "x").ok());
  EXPECT_EQ(TokenHash(keyring.token_hash_key(), "t"), TokenHash(opened->token_hash_key(), "t"));
}

TEST(KeyringTest, WrongRootKeyFails) {
  Keyring keyring = std::move(Keyring::Create().value());
  const std::string sealed = keyring.Seal(NewKey());
  EXPECT_EQ(Keyring::Open(NewKey(), sealed).status().code(), Code::kIntegrityError);
}

TEST(MacTest, TokenHashIsKeyedAndStable) {
  GuardedKey a = NewKey();
  GuardedKey b = NewKey();
  EXPECT_EQ(TokenHash(a, "svt_x"), TokenHash(a, "svt_x"));
  EXPECT_NE(TokenHash(a, "svt_x"), TokenHash(b, "svt_x"));
  EXPECT_NE(TokenHash(a, "svt_x"), TokenHash(a, "svt_y"));
  EXPECT_EQ(TokenHash(a, "svt_x").size(), 64u);
}

TEST(MacTest, AuditMacChainsOnPrevious) {
  GuardedKey key = NewKey();
  EXPECT_NE(AuditMac(key, std::string(64, '0'), "r"), AuditMac(key, std::string(64, '1'), "r"));
  EXPECT_EQ(AuditMac(key, "p", "r"), AuditMac(key, "p", "r"));
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "ab"));
}

}  // namespace
}  // namespace svault::crypto
