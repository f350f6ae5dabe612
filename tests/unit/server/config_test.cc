#include "server/config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace svault::server {
namespace {

std::string WriteToml(const std::string& text) {
  char tmpl[] = "/tmp/svault-config-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  const std::string path = dir + "/svault.toml";
  std::ofstream(path) << text;
  return path;
}

TEST(ConfigTest, TomlEnvironmentAndOrderOfPrecedence) {
  ServerConfig config;
  const std::string path = WriteToml(
      "listen = \"127.0.0.1:9000\"\ndata_dir = \"/var/lib/svault\"\nmax_value_bytes = 1000\n");
  ASSERT_TRUE(ApplyTomlFile(path, config).ok());
  EXPECT_EQ(config.listen, "127.0.0.1:9000");
  EXPECT_EQ(config.max_value_bytes, 1000u);

  // Environment variables override the file.
  char listen[] = "SVAULT_SERVER_LISTEN=127.0.0.1:9100";
  char ignored[] = "SVAULT_ADDR=http://elsewhere:1";  // the client's variable
  char* env[] = {listen, ignored, nullptr};
  ASSERT_TRUE(ApplyEnvironment(env, config).ok());
  EXPECT_EQ(config.listen, "127.0.0.1:9100");
  EXPECT_EQ(config.data_dir, "/var/lib/svault");
  std::filesystem::remove_all(std::filesystem::path(path).parent_path());
}

TEST(ConfigTest, UnknownOrBadSettingsAreErrorsNamingTheKey) {
  ServerConfig config;
  const std::string path = WriteToml("colour = \"red\"\n");
  Status unknown = ApplyTomlFile(path, config);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.details().at(0).field, "colour");

  const std::string bad = WriteToml("max_value_bytes = -5\n");
  EXPECT_FALSE(ApplyTomlFile(bad, config).ok());
  const std::string broken = WriteToml("listen = \n");
  EXPECT_FALSE(ApplyTomlFile(broken, config).ok());

  char typo[] = "SVAULT_SERVER_LISTN=1";
  char* env[] = {typo, nullptr};
  EXPECT_FALSE(ApplyEnvironment(env, config).ok());
  for (const std::string& p : {path, bad, broken}) {
    std::filesystem::remove_all(std::filesystem::path(p).parent_path());
  }
}

TEST(ConfigTest, ValidateChecksRangesAndPairs) {
  ServerConfig config;
  config.data_dir = "/tmp/x";
  EXPECT_TRUE(Validate(config).ok());
  config.max_value_bytes = 1024 * 1024 + 1;
  EXPECT_FALSE(Validate(config).ok());
  config.max_value_bytes = 1024 * 1024;
  EXPECT_TRUE(Validate(config).ok());
  config.tls_cert_file = "cert.pem";
  EXPECT_FALSE(Validate(config).ok());
  config.tls_key_file = "key.pem";
  EXPECT_TRUE(Validate(config).ok());
  config.data_dir.clear();
  EXPECT_FALSE(Validate(config).ok());
  config.dev = true;
  EXPECT_TRUE(Validate(config).ok());
  config.default_ttl = "1000h";
  EXPECT_FALSE(Validate(config).ok());
}

TEST(ConfigTest, ListenAddresses) {
  EXPECT_EQ(ParseListen("127.0.0.1:8200")->port, 8200);
  EXPECT_EQ(ParseListen("[::1]:8200")->host, "::1");
  EXPECT_FALSE(ParseListen("127.0.0.1").ok());
  EXPECT_FALSE(ParseListen("127.0.0.1:70000").ok());
  EXPECT_FALSE(ParseListen(":80").ok());
  EXPECT_TRUE(IsLoopback("127.0.0.1"));
  EXPECT_TRUE(IsLoopback("::1"));
  EXPECT_FALSE(IsLoopback("0.0.0.0"));
}

}  // namespace
}  // namespace svault::server
