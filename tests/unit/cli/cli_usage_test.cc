// Argument parsing, usage errors (exit 1) and the global options.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "cli_harness.h"
#include "temp_dir.h"

namespace svault::cli::testing {
namespace {

TEST(CliUsage, HelpListsEveryCommandAndServer) {
  CliHarness cli;
  EXPECT_EQ(cli.Run({"--help"}), kExitOk);
  for (const char* command : {"env", "secret", "token", "audit", "server"}) {
    EXPECT_NE(cli.out.str().find(command), std::string::npos) << command;
  }
  EXPECT_NE(cli.out.str().find("svault server --help"), std::string::npos);
  EXPECT_TRUE(cli.transport.sent.empty());
}

TEST(CliUsage, SubcommandHelpExitsZero) {
  CliHarness cli;
  EXPECT_EQ(cli.Run({"secret", "put", "--help"}), kExitOk);
  EXPECT_NE(cli.out.str().find("--file"), std::string::npos);
}

TEST(CliUsage, ServerReachedHereIsUnknown) {
  CliHarness cli;
  EXPECT_EQ(cli.Run({"--json", "server", "--port", "1"}), kExitUsage);
  EXPECT_NE(cli.err.str().find("unknown command"), std::string::npos) << cli.err.str();
  EXPECT_TRUE(cli.transport.sent.empty());
}

struct UsageCase {
  std::vector<std::string> args;
};

class CliUsageErrors : public ::testing::TestWithParam<UsageCase> {};

TEST_P(CliUsageErrors, ExitOneWithoutARequest) {
  CliHarness cli;
  EXPECT_EQ(cli.Run(GetParam().args), kExitUsage) << cli.err.str();
  EXPECT_FALSE(cli.err.str().empty());
  EXPECT_TRUE(cli.transport.sent.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Cases, CliUsageErrors,
    ::testing::Values(
        UsageCase{{}}, UsageCase{{"bogus"}}, UsageCase{{"env"}}, UsageCase{{"env", "create"}},
        UsageCase{{"env", "delete", "acme"}}, UsageCase{{"env", "list", "--frobnicate"}},
        UsageCase{{"secret", "get", "KEY"}},
        UsageCase{{"secret", "put", "--env", "e", "K", "--tag", "novalue"}},
        UsageCase{{"secret", "put", "--env", "e", "K", "--tag", "=v"}},
        UsageCase{{"secret", "put", "--env", "e", "K", "--type", "banana"}},
        UsageCase{{"secret", "put", "--env", "e", "K", "--cas", "-1"}},
        UsageCase{{"secret", "put", "--env", "e", "K", "--file", "/nonexistent/x"}},
        UsageCase{{"secret", "put", "--env", "e", "K", "--value", "hunter2"}},
        UsageCase{{"secret", "put", "--env", "e", "K", "hunter2"}},
        UsageCase{{"secret", "reveal", "--env", "e", "K", "--version", "0"}},
        UsageCase{{"secret", "patch", "--env", "e", "K"}},
        UsageCase{{"secret", "patch", "--env", "e", "K", "--tag", "a=1", "--tag", "a=2"}},
        UsageCase{{"secret", "patch", "--env", "e", "K", "--tag", "a=1", "--clear-tags"}},
        UsageCase{{"token", "create"}}, UsageCase{{"token", "create", "--role", "god"}},
        UsageCase{{"token", "create", "--role", "admin", "--token", "svt_x"}},
        UsageCase{{"audit", "tail", "--limit", "0"}}, UsageCase{{"audit", "verify"}},
        UsageCase{{"audit", "verify", "/nonexistent/audit.jsonl"}},
        UsageCase{{"--address", "ftp://h", "env", "list"}},
        UsageCase{{"--address", "http://u:p@h", "env", "list"}},
        UsageCase{{"--address", "not a url", "env", "list"}},
        UsageCase{{"--token-file", "/nonexistent/t", "env", "list"}}));

TEST(CliGlobal, AddressDefaultsThenEnvironmentThenFlag) {
  CliHarness cli;
  cli.Answer(200, R"({"items":[],"next_cursor":null})");
  cli.Run({"env", "list"});
  EXPECT_EQ(cli.options_seen, "http://127.0.0.1:8200");

  cli.env["SVAULT_ADDR"] = "https://vault.example:8443/prefix/";
  cli.Answer(200, R"({"items":[],"next_cursor":null})");
  cli.Run({"env", "list"});
  EXPECT_EQ(cli.options_seen, "https://vault.example:8443/prefix");

  cli.Answer(200, R"({"items":[],"next_cursor":null})");
  cli.Run({"env", "list", "--address", "http://[::1]:9000"});  // a global flag after the command
  EXPECT_EQ(cli.options_seen, "http://[::1]:9000");
}

TEST(CliGlobal, TokenFromEnvironmentOrFile) {
  TempDir dir;
  CliHarness cli;
  cli.env["SVAULT_TOKEN"] = "svt_fromenv";
  cli.Answer(200, R"({"id":"tok_1"})");
  EXPECT_EQ(cli.Run({"token", "whoami"}), kExitOk);
  EXPECT_EQ(cli.token_seen, "svt_fromenv");

  const std::string file = dir.Write("token", "svt_fromfile\n");
  chmod(file.c_str(), 0600);
  cli.Answer(200, R"({"id":"tok_1"})");
  EXPECT_EQ(cli.Run({"--token-file", file, "token", "whoami"}), kExitOk);
  EXPECT_EQ(cli.token_seen, "svt_fromfile");  // the file wins; its newline is dropped
  EXPECT_EQ(cli.err.str(), "");
}

TEST(CliGlobal, TokenFileReadableByOthersIsWarnedAbout) {
  TempDir dir;
  CliHarness cli;
  const std::string file = dir.Write("token", "svt_x");
  chmod(file.c_str(), 0644);
  cli.Answer(200, R"({"id":"tok_1"})");
  EXPECT_EQ(cli.Run({"--token-file", file, "token", "whoami"}), kExitOk);
  EXPECT_NE(cli.err.str().find("warning"), std::string::npos);
  EXPECT_EQ(cli.err.str().find("svt_x"), std::string::npos);
}

TEST(CliGlobal, TokenWithControlCharactersIsRefusedWithoutShowingIt) {
  CliHarness cli;
  cli.env["SVAULT_TOKEN"] = "svt_abc\r\nX-Evil: 1";
  EXPECT_EQ(cli.Run({"token", "whoami"}), kExitUsage);
  EXPECT_EQ(cli.err.str().find("svt_abc"), std::string::npos);
  EXPECT_TRUE(cli.transport.sent.empty());
}

TEST(CliGlobal, PlainHttpToAnotherHostWarnsWhenATokenIsSent) {
  CliHarness cli;
  cli.env["SVAULT_TOKEN"] = "svt_secret_token";
  cli.Answer(200, R"({"id":"tok_1"})");
  EXPECT_EQ(cli.Run({"--address", "http://10.0.0.5:8200", "token", "whoami"}), kExitOk);
  EXPECT_NE(cli.err.str().find("unencrypted"), std::string::npos);
  EXPECT_EQ(cli.err.str().find("svt_secret_token"), std::string::npos);
}

TEST(CliGlobal, TransportSetupFailureIsAUsageError) {
  CliHarness cli;
  cli.factory_error = Status(Code::kBadRequest, "--ca-cert needs an https:// address");
  EXPECT_EQ(cli.Run({"env", "list"}), kExitUsage);
  EXPECT_NE(cli.err.str().find("--ca-cert"), std::string::npos);
}

TEST(CliGlobal, JsonFlagWorksBeforeAndAfterTheCommand) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--json", "env", "show", "acme"}, {"env", "show", "acme", "--json"}}) {
    CliHarness cli;
    cli.Answer(200, R"({"id":"acme","description":""})");
    EXPECT_EQ(cli.Run(args), kExitOk);
    EXPECT_EQ(cli.out.str(), "{\"id\":\"acme\",\"description\":\"\"}\n");
  }
}

}  // namespace
}  // namespace svault::cli::testing
