#include "cli/request.h"

#include <gtest/gtest.h>

#include "cli/address.h"

namespace svault::cli {
namespace {

TEST(Encoding, KeysStayAsTheyAreWhenValid) {
  EXPECT_EQ(EncodeKeyPath("db/prod.main_pw-2"), "db/prod.main_pw-2");
  EXPECT_EQ(KeyPath("acme", "values", "a/b"), "/api/v1/environments/acme/values/a/b");
}

TEST(Encoding, AnythingElseIsEscapedSoTheServerRejectsIt) {
  EXPECT_EQ(EncodeKeyPath("a b%?#"), "a%20b%25%3F%23");
  EXPECT_EQ(EncodeKeyPath("../x/./y/.."), "%2E%2E/x/%2E/y/%2E%2E");
  EXPECT_EQ(EncodePathSegment("a/b"), "a%2Fb");
  EXPECT_EQ(EncodePathSegment(".."), "%2E%2E");
}

TEST(Encoding, QueryValues) {
  EXPECT_EQ(Query().ToString(), "");
  EXPECT_EQ(Query().Add("prefix", "db/x").Add("cursor", "a+b=&").ToString(),
            "?prefix=db/x&cursor=a%2Bb%3D%26");
}

TEST(ParseAddress, AcceptsHttpAndHttps) {
  auto plain = ParseAddress("http://127.0.0.1:8200");
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->tls);
  EXPECT_EQ(plain->host, "127.0.0.1");
  EXPECT_EQ(plain->port, "8200");
  EXPECT_EQ(plain->HostHeader(), "127.0.0.1:8200");
  EXPECT_TRUE(IsLoopback(*plain));

  auto tls = ParseAddress("https://vault.example.com/base/");
  ASSERT_TRUE(tls.ok());
  EXPECT_TRUE(tls->tls);
  EXPECT_EQ(tls->port, "443");
  EXPECT_EQ(tls->base_path, "/base");
  EXPECT_EQ(tls->HostHeader(), "vault.example.com");
  EXPECT_FALSE(IsLoopback(*tls));

  auto v6 = ParseAddress("http://[::1]:9");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->HostHeader(), "[::1]:9");
  EXPECT_TRUE(IsLoopback(*v6));
}

TEST(ParseAddress, RejectsOtherForms) {
  for (const char* bad : {"", "127.0.0.1:8200", "ftp://h", "http://", "http://u@h", "http://h/?q=1",
                          "http://h/#f", "http://h:0", "http://h:99999"}) {
    EXPECT_FALSE(ParseAddress(bad).ok()) << bad;
  }
}

TEST(IsLoopback, OnlyRealLoopbackAddresses) {
  EXPECT_TRUE(IsLoopback(*ParseAddress("http://localhost:1")));
  EXPECT_TRUE(IsLoopback(*ParseAddress("http://127.8.9.10")));
  EXPECT_FALSE(IsLoopback(*ParseAddress("http://127.0.0.1.evil.example")));
  EXPECT_FALSE(IsLoopback(*ParseAddress("http://10.0.0.1")));
}

}  // namespace
}  // namespace svault::cli
