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

  // 6. The database host, and a token for the workflow engine.
  CliResult host = RunCli({"secret", "put", "--env", "acme-prod", "DB_HOST", "--type", "hostname"},
                          "db-7.acme.internal", security);
  ASSERT_EQ(host.exit_code, 0) << host.err;
  const std::string runtime_file = dir + "/runtime.token";
  ASSERT_EQ(
      RunCli({"token", "create", "--role", "runtime", "--env", "acme-prod", "-o", runtime_file}, "",
             root)
          .exit_code,
      0);
  const auto runtime = as(ReadFile(runtime_file));

  // 7. A developer lists the references offline and validates them: no value shown.
  const std::string example = std::string(SVAULT_SOURCE_DIR) + "/examples/order-notify.bpmn";
  CliResult refs = RunCli({"refs", example});
  ASSERT_EQ(refs.exit_code, 0) << refs.err;
  CliResult validated = RunCli({"validate", example, "--env", "acme-prod"}, "", developer);
  ASSERT_EQ(validated.exit_code, 0) << validated.err;
  EXPECT_NE(validated.out.find("DB_HOST  9:127     /host    true    false"), std::string::npos)
      << validated.out;
  EXPECT_NE(validated.out.find("SLACK_TOKEN  13:127    /token   true    false"), std::string::npos);
  EXPECT_EQ(validated.out.find("xoxb"), std::string::npos);

  // 8. The runtime renders it into a new file.
  const std::string rendered = dir + "/order-notify.rendered.bpmn";
  CliResult render = RunCli({"render", example, "--env", "acme-prod", "-o", rendered}, "", runtime);
  ASSERT_EQ(render.exit_code, 0) << render.err;
  EXPECT_NE(ReadFile(rendered).find(
                "pm:config=\"{&#34;token&#34;:&#34;xoxb-1234-demo&#34;,&#34;channel&#34;:&#34;"
                "#orders&#34;,&#34;text&#34;:&#34;New order {{order_id}}&#34;}\""),
            std::string::npos);

  // 9. The trail: keys asked for, then the versions used.
  CliResult trail = RunCli({"audit", "tail"}, "", auditor);
  EXPECT_NE(trail.out.find("request refs.render environment=acme-prod"), std::string::npos);
  EXPECT_NE(trail.out.find("keys=DB_HOST,SLACK_TOKEN"), std::string::npos);
  EXPECT_NE(trail.out.find("outcome=ok client"), std::string::npos);
  EXPECT_NE(trail.out.find("keys=DB_HOST@1,SLACK_TOKEN@1"), std::string::npos) << trail.out;
}

}  // namespace
}  // namespace svault::testing
