// TLS with the real binary: the server serves HTTPS with a configured certificate and key, the
// CLI verifies it against --ca-cert, and plain HTTP gets nowhere.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "harness.h"

namespace svault::testing {
namespace {

TEST(TlsTest, ServerSpeaksTlsAndTheCliVerifiesIt) {
  char tmpl[] = "/tmp/svault-tls-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  const std::string cert = dir + "/cert.pem";
  const std::string key = dir + "/key.pem";
  const std::string make_cert =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 "
      "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout " +
      key + " -out " + cert + " 2>/dev/null";
  ASSERT_EQ(std::system(make_cert.c_str()), 0);

  VaultProcess vault({"--tls-cert", cert, "--tls-key", key});
  EXPECT_NE(vault.LogText().find("tls=on"), std::string::npos);
  const std::map<std::string, std::string> env = {
      {"SVAULT_ADDR", "https://127.0.0.1:" + std::to_string(vault.port())},
      {"SVAULT_TOKEN", vault.root_token()}};

  CliResult whoami = RunCli({"token", "whoami", "--ca-cert", cert}, "", env);
  EXPECT_EQ(whoami.exit_code, 0) << whoami.err;
  EXPECT_NE(whoami.out.find("admin"), std::string::npos);

  // Without the CA the CLI refuses the untrusted certificate.
  CliResult untrusted = RunCli({"token", "whoami"}, "", env);
  EXPECT_EQ(untrusted.exit_code, 2);
  // Plain HTTP to the TLS port gets no HTTP answer.
  EXPECT_EQ(vault.Request("GET", "/api/v1/sys/health").status, 0);

  vault.Stop();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace svault::testing
