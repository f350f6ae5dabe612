// env and token commands: the requests they build and what they print.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/json/parse.hpp>

#include "cli_harness.h"
#include "temp_dir.h"

namespace svault::cli::testing {
namespace {

namespace json = boost::json;

TEST(CmdEnv, CreateSendsIdAndDescription) {
  CliHarness cli;
  cli.Answer(201,
             R"({"id":"acme-prod","description":"prod","created_at":"t","created_by":"tok_1"})");
  EXPECT_EQ(cli.Run({"env", "create", "acme-prod", "--description", "prod"}), kExitOk);
  EXPECT_EQ(cli.Last().method, "POST");
  EXPECT_EQ(cli.Last().target, "/api/v1/environments");
  EXPECT_EQ(cli.Last().content_type, "application/json");
  EXPECT_EQ(json::parse(cli.Last().body),
            json::parse(R"({"id":"acme-prod","description":"prod"})"));
  EXPECT_EQ(cli.out.str(), "created environment acme-prod\n");
}

TEST(CmdEnv, CreateWithoutDescriptionLeavesItOut) {
  CliHarness cli;
  cli.Answer(201, R"({"id":"acme"})");
  EXPECT_EQ(cli.Run({"env", "create", "acme"}), kExitOk);
  EXPECT_EQ(json::parse(cli.Last().body), json::parse(R"({"id":"acme"})"));
}

TEST(CmdEnv, ListFollowsCursorsAndPrintsATable) {
  CliHarness cli;
  cli.Answer(200,
             R"({"items":[{"id":"a","description":"first","created_at":"t1","created_by":"tok_1"}],
                      "next_cursor":"c/1+"})");
  cli.Answer(200,
             R"({"items":[{"id":"bbbbbb","description":"","created_at":"t2","created_by":"tok_22"}],
                      "next_cursor":null})");
  EXPECT_EQ(cli.Run({"env", "list"}), kExitOk);
  ASSERT_EQ(cli.transport.sent.size(), 2u);
  EXPECT_EQ(cli.transport.sent[0].target, "/api/v1/environments?limit=1000");
  EXPECT_EQ(cli.transport.sent[1].target, "/api/v1/environments?limit=1000&cursor=c/1%2B");
  EXPECT_EQ(cli.out.str(),
            "ID      DESCRIPTION  CREATED_AT  CREATED_BY\n"
            "a       first        t1          tok_1\n"
            "bbbbbb               t2          tok_22\n");
}

TEST(CmdEnv, ListJsonMergesPages) {
  CliHarness cli;
  cli.Answer(200, R"({"items":[{"id":"a"}],"next_cursor":"x"})");
  cli.Answer(200, R"({"items":[{"id":"b"}],"next_cursor":null})");
  EXPECT_EQ(cli.Run({"--json", "env", "list"}), kExitOk);
  EXPECT_EQ(json::parse(cli.out.str()), json::parse(R"({"items":[{"id":"a"},{"id":"b"}]})"));
}

TEST(CmdEnv, ListStopsWhenTheCursorRepeats) {
  CliHarness cli;
  cli.Answer(200, R"({"items":[],"next_cursor":"x"})");
  cli.Answer(200, R"({"items":[],"next_cursor":"x"})");
  EXPECT_EQ(cli.Run({"env", "list"}), kExitServer);
  EXPECT_EQ(cli.transport.sent.size(), 2u);
}

TEST(CmdEnv, ShowPrintsAlignedFields) {
  CliHarness cli;
  cli.Answer(200,
             R"({"created_by":"tok_1","id":"acme","description":"d","created_at":"t","extra":1})");
  EXPECT_EQ(cli.Run({"env", "show", "acme"}), kExitOk);
  EXPECT_EQ(cli.Last().method, "GET");
  EXPECT_EQ(cli.Last().target, "/api/v1/environments/acme");
  EXPECT_EQ(cli.out.str(),
            "id           acme\n"
            "description  d\n"
            "created_at   t\n"
            "created_by   tok_1\n"
            "extra        1\n");
}

TEST(CmdEnv, DeleteSendsConfirm) {
  CliHarness cli;
  cli.Answer(204);
  EXPECT_EQ(cli.Run({"env", "delete", "acme", "--confirm", "acme"}), kExitOk);
  EXPECT_EQ(cli.Last().method, "DELETE");
  EXPECT_EQ(cli.Last().target, "/api/v1/environments/acme?confirm=acme");
  EXPECT_EQ(cli.out.str(), "deleted environment acme\n");
}

TEST(CmdEnv, DeleteJsonPrintsNothing) {
  CliHarness cli;
  cli.Answer(204);
  EXPECT_EQ(cli.Run({"--json", "env", "delete", "acme", "--confirm", "acme"}), kExitOk);
  EXPECT_EQ(cli.out.str(), "");
}

TEST(CmdEnv, NamesThatCouldChangeThePathAreEncoded) {
  CliHarness cli;
  cli.Answer(200, "{}");
  cli.Run({"env", "show", ".."});
  EXPECT_EQ(cli.Last().target, "/api/v1/environments/%2E%2E");
  cli.Answer(200, "{}");
  cli.Run({"env", "show", "a/b?c"});
  EXPECT_EQ(cli.Last().target, "/api/v1/environments/a%2Fb%3Fc");
}

TEST(CmdToken, CreateSendsTheBodyAndPrintsIdAndTokenOnce) {
  CliHarness cli;
  cli.Answer(201, R"({"id":"tok_9","token":"svt_newsecret","role":"runtime",
                      "environments":["a","b"],"expires_at":"t"})");
  EXPECT_EQ(cli.Run({"token", "create", "--role", "runtime", "--env", "a", "--env", "b", "--key",
                     "db/*", "--ttl", "15m", "--description", "engine"}),
            kExitOk);
  EXPECT_EQ(cli.Last().target, "/api/v1/tokens");
  EXPECT_EQ(json::parse(cli.Last().body),
            json::parse(R"({"role":"runtime","environments":["a","b"],"keys":["db/*"],
                            "ttl":"15m","description":"engine"})"));
  EXPECT_EQ(cli.out.str(),
            "id            tok_9\n"
            "role          runtime\n"
            "environments  a,b\n"
            "expires_at    t\n"
            "token         svt_newsecret\n");
  EXPECT_EQ(cli.err.str().find("svt_newsecret"), std::string::npos);
}

TEST(CmdToken, CreateAdminNeedsNoEnvironment) {
  CliHarness cli;
  cli.Answer(201, R"({"id":"tok_9","token":"svt_x"})");
  EXPECT_EQ(cli.Run({"token", "create", "--role", "admin"}), kExitOk);
  EXPECT_EQ(json::parse(cli.Last().body), json::parse(R"({"role":"admin"})"));
}

TEST(CmdToken, CreateToFileWritesOnlyTheToken0600) {
  TempDir dir;
  CliHarness cli;
  const std::string path = dir.Path("new.token");
  cli.Answer(201, R"({"id":"tok_9","token":"svt_newsecret","role":"admin"})");
  EXPECT_EQ(cli.Run({"token", "create", "--role", "admin", "-o", path}), kExitOk);
  EXPECT_EQ(TempDir::Read(path), "svt_newsecret");
  struct stat info {};
  ASSERT_EQ(stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  EXPECT_EQ(cli.out.str().find("svt_newsecret"), std::string::npos);
  EXPECT_NE(cli.out.str().find("tok_9"), std::string::npos);
}

TEST(CmdToken, CreateToFileJsonLeavesTheTokenOut) {
  TempDir dir;
  CliHarness cli;
  cli.Answer(201, R"({"id":"tok_9","token":"svt_newsecret","role":"admin"})");
  EXPECT_EQ(cli.Run({"--json", "token", "create", "--role", "admin", "-o", dir.Path("t")}),
            kExitOk);
  EXPECT_EQ(json::parse(cli.out.str()), json::parse(R"({"id":"tok_9","role":"admin"})"));
}

TEST(CmdToken, CreateRefusesAnExistingFileBeforeAskingTheServer) {
  TempDir dir;
  CliHarness cli;
  const std::string path = dir.Write("existing", "old");
  EXPECT_EQ(cli.Run({"token", "create", "--role", "admin", "-o", path}), kExitUsage);
  EXPECT_TRUE(cli.transport.sent.empty());
  EXPECT_EQ(TempDir::Read(path), "old");
}

TEST(CmdToken, FailedCreateRemovesTheFile) {
  TempDir dir;
  CliHarness cli;
  const std::string path = dir.Path("t");
  cli.Answer(403, R"({"error":{"code":"forbidden","message":"no"},"request_id":"req_1"})");
  EXPECT_EQ(cli.Run({"token", "create", "--role", "admin", "-o", path}), kExitServer);
  struct stat info {};
  EXPECT_NE(stat(path.c_str(), &info), 0);
}

TEST(CmdToken, ListRevokeWhoami) {
  CliHarness cli;
  cli.Answer(200, R"({"items":[{"id":"tok_1","role":"admin","environments":[],"keys":[],
                      "expires_at":null,"description":"root"}],"next_cursor":null})");
  EXPECT_EQ(cli.Run({"token", "list"}), kExitOk);
  EXPECT_EQ(cli.Last().target, "/api/v1/tokens?limit=1000");
  EXPECT_EQ(cli.out.str(),
            "ID     ROLE   ENVIRONMENTS  KEYS  EXPIRES_AT  DESCRIPTION\n"
            "tok_1  admin                      -           root\n");

  cli.Answer(204);
  EXPECT_EQ(cli.Run({"token", "revoke", "tok_1"}), kExitOk);
  EXPECT_EQ(cli.Last().method, "DELETE");
  EXPECT_EQ(cli.Last().target, "/api/v1/tokens/tok_1");

  cli.Answer(200, R"({"id":"tok_1","role":"admin"})");
  EXPECT_EQ(cli.Run({"token", "whoami"}), kExitOk);
  EXPECT_EQ(cli.Last().target, "/api/v1/tokens/self");
}

}  // namespace
}  // namespace svault::cli::testing
