#include <gtest/gtest.h>

#include <sstream>

#include "common/clock.h"
#include "common/encoding.h"
#include "common/log.h"
#include "common/names.h"
#include "common/secret.h"
#include "common/status.h"

namespace svault {
namespace {

TEST(NamesTest, EnvironmentIds) {
  EXPECT_TRUE(IsValidEnvironmentId(std::string(63, 'a')));
  for (const char* ok : {"a", "acme-prod", "0", "a1-b2"}) {
    EXPECT_TRUE(IsValidEnvironmentId(ok)) << ok;
  }
  for (const char* bad : {"", "-a", "a-", "Acme", "a_b", "a.b", "a b"}) {
    EXPECT_FALSE(IsValidEnvironmentId(bad)) << bad;
  }
  EXPECT_FALSE(IsValidEnvironmentId(std::string(64, 'a')));
}

TEST(NamesTest, SecretKeys) {
  for (const char* ok : {"A", "SLACK_TOKEN", "db/prod.host", "a-b_c.d/e", "x1"}) {
    EXPECT_TRUE(IsValidSecretKey(ok)) << ok;
  }
  for (const char* bad : {"", "/a", "a//b", "a/", "a b", "a%2F", "a..b", "_a", "a-", "é", "a*"}) {
    EXPECT_FALSE(IsValidSecretKey(bad)) << bad;
  }
  EXPECT_TRUE(IsValidSecretKey(std::string(256, 'k')));
  EXPECT_FALSE(IsValidSecretKey(std::string(257, 'k')));
}

TEST(NamesTest, Prefixes) {
  EXPECT_TRUE(IsValidKeyPrefix(""));
  EXPECT_TRUE(IsValidKeyPrefix("db/"));
  EXPECT_TRUE(IsValidKeyPrefix("db/pr"));
  EXPECT_FALSE(IsValidKeyPrefix("/db"));
  EXPECT_FALSE(IsValidKeyPrefix("db//"));
  EXPECT_FALSE(IsValidKeyPrefix("db%"));
}

TEST(NamesTest, KeyPatterns) {
  EXPECT_TRUE(KeyPatternMatches("slack/*", "slack/token"));
  EXPECT_FALSE(KeyPatternMatches("slack/*", "slack/a/token"));
  EXPECT_TRUE(KeyPatternMatches("slack/**", "slack/a/token"));
  EXPECT_TRUE(KeyPatternMatches("**", "a/b/c"));
  EXPECT_TRUE(KeyPatternMatches("*", "TOKEN"));
  EXPECT_FALSE(KeyPatternMatches("*", "a/b"));
  EXPECT_TRUE(KeyPatternMatches("db_*", "db_host"));
  EXPECT_FALSE(KeyPatternMatches("db_*", "dbx"));
  EXPECT_TRUE(KeyPatternMatches("**/token", "a/b/token"));
  EXPECT_FALSE(KeyPatternMatches("**/token", "a/b/token2"));
  EXPECT_TRUE(KeyPatternMatches("exact", "exact"));
  EXPECT_FALSE(KeyPatternMatches("exact", "exact2"));
  EXPECT_TRUE(IsValidKeyPattern("slack/**"));
  EXPECT_FALSE(IsValidKeyPattern("a/***"));
  EXPECT_FALSE(IsValidKeyPattern("/a"));
  EXPECT_FALSE(IsValidKeyPattern("a b"));
  EXPECT_FALSE(IsValidKeyPattern(""));
}

TEST(NamesTest, Ttl) {
  EXPECT_EQ(ParseTtlSeconds("90s"), 90);
  EXPECT_EQ(ParseTtlSeconds("15m"), 900);
  EXPECT_EQ(ParseTtlSeconds("24h"), 86400);
  EXPECT_EQ(ParseTtlSeconds("2d"), 172800);
  for (const char* bad : {"", "h", "0h", "-1h", "1x", "1.5h", "99999999999999999999h"}) {
    EXPECT_FALSE(ParseTtlSeconds(bad).has_value()) << bad;
  }
}

// Found by review, pinned by fuzz/fuzz_names.cc: the digit bound alone let n * 86400 overflow.
TEST(NamesTest, TtlDaysNearInt64MaxAreRefusedNotOverflowed) {
  EXPECT_EQ(ParseTtlSeconds("106751991167300d"), int64_t{106751991167300} * 86400);
  for (const char* big : {"106751991167301d", "106751991167309d"}) {
    EXPECT_FALSE(ParseTtlSeconds(big).has_value()) << big;
  }
}

TEST(EncodingTest, Base64AndHex) {
  const std::string bytes("\0\xff\x10z", 4);
  EXPECT_EQ(Base64Decode(Base64Encode(bytes)).value(), bytes);
  EXPECT_EQ(HexDecode(HexEncode(bytes)).value(), bytes);
  EXPECT_EQ(Base64Encode("hi"), "aGk=");
  EXPECT_FALSE(Base64Decode("aGk").has_value());
  EXPECT_FALSE(Base64Decode("a Gk=").has_value());
  EXPECT_FALSE(HexDecode("zz").has_value());
  EXPECT_EQ(Base64Decode("").value(), "");
}

TEST(EncodingTest, Utf8) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("caf\xc3\xa9 \xf0\x9f\x94\x91"));
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));      // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));  // surrogate
  EXPECT_FALSE(IsValidUtf8("\xc3"));          // truncated
  EXPECT_TRUE(IsValidUtf8(std::string("a\0b", 3)));
}

TEST(SecretBytesTest, NeverPrintsItsBytes) {
  SecretBytes s("hunter2");
  std::ostringstream os;
  os << s;
  EXPECT_EQ(os.str(), "[redacted]");
  EXPECT_EQ(fmt::format("{}", s), "[redacted]");
  EXPECT_EQ(s.Reveal(), "hunter2");
}

TEST(SecretBytesTest, MoveLeavesSourceEmptyAndEqualsIsByContent) {
  SecretBytes a("abc");
  SecretBytes b(std::move(a));
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(b.Equals(SecretBytes("abc")));
  EXPECT_FALSE(b.Equals(SecretBytes("abd")));
  b.Wipe();
  EXPECT_TRUE(b.empty());
}

TEST(StatusTest, ResultCarriesValueOrError) {
  Result<int> ok(5);
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 5);
  Result<int> bad(NotFound("no such key"));
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kNotFound);
  EXPECT_EQ(CodeName(Code::kValidationFailed), "validation_failed");
  Result<int> wrongly_ok{Status::Ok()};
  EXPECT_FALSE(wrongly_ok.ok());
}

TEST(LogTest, FormatsFieldsAndQuotes) {
  EXPECT_EQ(FormatLogLine("started", {{"listen", "127.0.0.1:8200"}, {"mode", "dev mode"}}),
            "started listen=127.0.0.1:8200 mode=\"dev mode\"");
}

TEST(ClockTest, Rfc3339) {
  EXPECT_EQ(FormatRfc3339(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatRfc3339(1767225600123), "2026-01-01T00:00:00.123Z");
}

}  // namespace
}  // namespace svault
