// The README's five-minute walk-through, command for command, through the real CLI against the
// real server: if the README drifts from the product, this fails.
#include <gtest/gtest.h>

#include <filesystem>

#include "harness.h"

namespace svault::testing {
namespace {

TEST(WalkthroughTest, ReadmeStepsWorkAsWritten) {
  VaultProcess vault;
  const std::string address = "http://127.0.0.1:" + std::to_string(vault.port());
  const std::string dir = vault.dir();
  auto as = [&](const std::string& token) {
    return std::map<std::string, std::string>{{"SVAULT_ADDR", address}, {"SVAULT_TOKEN", token}};
  };
  const auto root = as(vault.root_token());

  // 1. An environment and one token per person.
  CliResult env =
      RunCli({"env", "create", "acme-prod", "--description", "ACME production"}, "", root);
  ASSERT_EQ(env.exit_code, 0) << env.err;
  for (const char* role : {"security", "developer", "auditor"}) {
    const std::string file = dir + "/" + role + ".token";
    CliResult made =
        RunCli({"token", "create", "--role", role, "--env", "acme-prod", "-o", file}, "", root);
    ASSERT_EQ(made.exit_code, 0) << made.err;
    EXPECT_EQ(made.out.find("svt_"), std::string::npos) << "-o keeps the token off stdout";
  }
  const auto security = as(ReadFile(dir + "/security.token"));
  const auto developer = as(ReadFile(dir + "/developer.token"));
  const auto auditor = as(ReadFile(dir + "/auditor.token"));

  // 2. The security officer stores the Slack token from stdin.
  CliResult put = RunCli({"secret", "put", "--env", "acme-prod", "SLACK_TOKEN", "--type", "token",
                          "--description", "Slack bot for #ops"},
                         "xoxb-1234-demo", security);
  ASSERT_EQ(put.exit_code, 0) << put.err;

  // 3. A developer lists it but cannot read it.
  CliResult list = RunCli({"secret", "list", "--env", "acme-prod"}, "", developer);
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("SLACK_TOKEN"), std::string::npos);
  EXPECT_NE(list.out.find("Slack bot for #ops"), std::string::npos);
  EXPECT_EQ(list.out.find("xoxb"), std::string::npos);
  CliResult denied =
      RunCli({"secret", "reveal", "--env", "acme-prod", "SLACK_TOKEN"}, "", developer);
  EXPECT_EQ(denied.exit_code, 2);
  EXPECT_NE(denied.err.find("forbidden"), std::string::npos);
  EXPECT_EQ(denied.out.find("xoxb"), std::string::npos);

  // 4. The security officer can; piped output has no added newline.
  CliResult revealed =
      RunCli({"secret", "reveal", "--env", "acme-prod", "SLACK_TOKEN"}, "", security);
  ASSERT_EQ(revealed.exit_code, 0) << revealed.err;
  EXPECT_EQ(revealed.out, "xoxb-1234-demo");

  // 5. The auditor reads the trail, the denied attempt included, and verifies the chain.
  CliResult tail = RunCli({"audit", "tail"}, "", auditor);
  ASSERT_EQ(tail.exit_code, 0) << tail.err;
  EXPECT_NE(tail.out.find("outcome=forbidden"), std::string::npos) << tail.out;
  EXPECT_NE(tail.out.find("keys=SLACK_TOKEN@1"), std::string::npos) << tail.out;
  EXPECT_EQ(tail.out.find("xoxb"), std::string::npos);
  CliResult verified = RunCli({"audit", "verify", dir + "/audit"}, "", auditor);
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_NE(verified.out.find("ok"), std::string::npos);
}

}  // namespace
}  // namespace svault::testing
