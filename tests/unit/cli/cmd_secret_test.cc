// secret commands: value reading (never from argv), encoding, reveal output and files.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/json/parse.hpp>

#include "cli_harness.h"
#include "common/encoding.h"
#include "temp_dir.h"

namespace svault::cli::testing {
namespace {

namespace json = boost::json;

const std::string kMetadata =
    R"({"key":"db/password","version":1,"type":"password","description":"d","tags":{"team":"core"},
        "created_at":"t1","created_by":"tok_1","updated_at":"t2","updated_by":"tok_2"})";

json::object SentBody(const CliHarness& cli) { return json::parse(cli.Last().body).as_object(); }

TEST(CmdSecretPut, ReadsTheFileByteExactly) {
  TempDir dir;
  CliHarness cli;
  const std::string value("a\0b\r\nc\n", 7);
  cli.Answer(201, kMetadata);
  EXPECT_EQ(
      cli.Run({"secret", "put", "--env", "acme", "db/password", "--file", dir.Write("v", value)}),
      kExitOk);
  EXPECT_EQ(cli.Last().method, "PUT");
  EXPECT_EQ(cli.Last().target, "/api/v1/environments/acme/secrets/db/password");
  const json::object body = SentBody(cli);
  EXPECT_EQ(body.at("value").as_string(), value);  // NUL, CR and the newline kept
  EXPECT_FALSE(body.contains("value_base64"));
  EXPECT_EQ(cli.out.str(), "stored db/password version 1 in acme\n");
}

TEST(CmdSecretPut, InvalidUtf8GoesAsBase64) {
  TempDir dir;
  CliHarness cli;
  const std::string value("\xff\xfe\x00\xc3(", 5);
  cli.Answer(200, kMetadata);
  EXPECT_EQ(cli.Run({"secret", "put", "--env", "acme", "K", "--file", dir.Write("v", value)}),
            kExitOk);
  const json::object body = SentBody(cli);
  EXPECT_FALSE(body.contains("value"));
  EXPECT_EQ(Base64Decode(body.at("value_base64").as_string()), value);
}

TEST(CmdSecretPut, ReadsStdinWhenItIsNotATerminal) {
  CliHarness cli;
  cli.SetStdin(std::string("line1\nline2\n\0", 13));
  cli.Answer(201, kMetadata);
  EXPECT_EQ(cli.Run({"secret", "put", "--env", "acme", "K"}), kExitOk);
  EXPECT_EQ(SentBody(cli).at("value").as_string(), std::string("line1\nline2\n\0", 13));
  EXPECT_TRUE(cli.prompts.empty());
}

TEST(CmdSecretPut, PromptsWhenStdinIsATerminal) {
  CliHarness cli;
  cli.SetStdin("", /*terminal=*/true);
  cli.prompt_answer = "typed secret";
  cli.Answer(201, kMetadata);
  EXPECT_EQ(cli.Run({"secret", "put", "--env", "acme", "K"}), kExitOk);
  ASSERT_EQ(cli.prompts.size(), 1u);
  EXPECT_NE(cli.prompts[0].find("K"), std::string::npos);
  EXPECT_EQ(SentBody(cli).at("value").as_string(), "typed secret");
}

TEST(CmdSecretPut, EmptyPromptSendsNothing) {
  CliHarness cli;
  cli.SetStdin("", /*terminal=*/true);
  cli.prompt_answer = "";
  EXPECT_EQ(cli.Run({"secret", "put", "--env", "acme", "K"}), kExitUsage);
  EXPECT_TRUE(cli.transport.sent.empty());
}

TEST(CmdSecretPut, SendsMetadataOptions) {
  CliHarness cli;
  cli.SetStdin("v");
  cli.Answer(200, kMetadata);
  EXPECT_EQ(cli.Run({"secret", "put", "--env", "acme", "--type", "password", "--description", "",
                     "--tag", "team=core", "--tag", "url=a=b", "K", "--cas", "0"}),
            kExitOk);
  EXPECT_EQ(SentBody(cli), json::parse(R"({"value":"v","type":"password","description":"",
                                           "tags":{"team":"core","url":"a=b"},"cas":0})"));
}

TEST(CmdSecretPut, ErrorsNeverShowTheValue) {
  CliHarness cli;
  cli.SetStdin("hunter2-password");
  // A server that (wrongly) echoes the value must not get it onto the terminal.
  cli.Answer(422, R"({"error":{"code":"validation_failed","message":"bad hunter2-password",
                      "details":[{"field":"/value","reason":"was hunter2-password"}]},
                      "request_id":"req_7"})");
  EXPECT_EQ(cli.Run({"secret", "put", "--env", "acme", "K"}), kExitServer);
  EXPECT_EQ(cli.err.str(),
            "error: validation_failed: bad [redacted] (request_id req_7)\n"
            "  /value: was [redacted]\n");
  EXPECT_EQ(cli.out.str(), "");
}

TEST(CmdSecretPut, ConnectionFailureIsExitTwo) {
  CliHarness cli;
  cli.SetStdin("v");
  cli.transport.answers.emplace_back(
      Status(Code::kUnavailable, "cannot reach http://127.0.0.1:8200: connecting: refused"));
  EXPECT_EQ(cli.Run({"secret", "put", "--env", "acme", "K"}), kExitServer);
  EXPECT_EQ(cli.err.str(), "error: cannot reach http://127.0.0.1:8200: connecting: refused\n");
}

TEST(CmdSecretPatch, SendsMetadataOnly) {
  CliHarness cli;
  cli.Answer(200, kMetadata);
  EXPECT_EQ(cli.Run({"secret", "patch", "--env", "acme", "K", "--clear-tags", "--cas", "3"}),
            kExitOk);
  EXPECT_EQ(cli.Last().method, "PATCH");
  EXPECT_EQ(cli.Last().target, "/api/v1/environments/acme/secrets/K");
  EXPECT_EQ(SentBody(cli), json::parse(R"({"tags":{},"cas":3})"));
  EXPECT_EQ(cli.out.str(), "updated K in acme (version 1)\n");
}

TEST(CmdSecretGet, PrintsMetadataFields) {
  CliHarness cli;
  cli.Answer(200, kMetadata);
  EXPECT_EQ(cli.Run({"secret", "get", "--env", "acme", "db/password"}), kExitOk);
  EXPECT_EQ(cli.out.str(),
            "key          db/password\n"
            "version      1\n"
            "type         password\n"
            "description  d\n"
            "tags         team=core\n"
            "created_at   t1\n"
            "created_by   tok_1\n"
            "updated_at   t2\n"
            "updated_by   tok_2\n");
}

TEST(CmdSecretList, SendsPrefixAndFollowsCursors) {
  CliHarness cli;
  cli.Answer(200, R"({"items":[{"key":"db/a","version":2,"type":"password","updated_at":"t",
                      "description":"x\u001b[31m"}],"next_cursor":"n1"})");
  cli.Answer(200, R"({"items":[{"key":"db/bb","version":10,"type":"url","updated_at":"t",
                      "description":""}],"next_cursor":null})");
  EXPECT_EQ(cli.Run({"secret", "list", "--env", "acme", "--prefix", "db/"}), kExitOk);
  EXPECT_EQ(cli.transport.sent[0].target,
            "/api/v1/environments/acme/secrets?prefix=db/&limit=1000");
  EXPECT_EQ(cli.transport.sent[1].target,
            "/api/v1/environments/acme/secrets?prefix=db/&limit=1000&cursor=n1");
  EXPECT_EQ(cli.out.str(),
            "KEY    VERSION  TYPE      UPDATED_AT  DESCRIPTION\n"
            "db/a   2        password  t           x\\x1b[31m\n"
            "db/bb  10       url       t\n");
}

TEST(CmdSecretVersionsAndRm, Targets) {
  CliHarness cli;
  cli.Answer(200, R"({"items":[{"version":1,"created_at":"t","created_by":"tok_1"}],
                      "next_cursor":null})");
  EXPECT_EQ(cli.Run({"secret", "versions", "--env", "acme", "a.b-c_d/e"}), kExitOk);
  EXPECT_EQ(cli.Last().target, "/api/v1/environments/acme/versions/a.b-c_d/e?limit=1000");
  EXPECT_EQ(cli.out.str(), "VERSION  CREATED_AT  CREATED_BY\n1        t           tok_1\n");

  cli.Answer(204);
  EXPECT_EQ(cli.Run({"secret", "rm", "--env", "acme", "a/../b"}), kExitOk);
  EXPECT_EQ(cli.Last().method, "DELETE");
  EXPECT_EQ(cli.Last().target, "/api/v1/environments/acme/secrets/a/%2E%2E/b");
}

TEST(CmdSecretReveal, PrintsRawBytesWithoutNewlineWhenPiped) {
  CliHarness cli;
  cli.Answer(200, R"({"key":"K","version":3,"value":"a\u0000b\r\n"})");
  EXPECT_EQ(cli.Run({"secret", "reveal", "--env", "acme", "K", "--version", "3"}), kExitOk);
  EXPECT_EQ(cli.Last().target, "/api/v1/environments/acme/values/K?version=3");
  EXPECT_EQ(cli.out.str(), std::string("a\0b\r\n", 5));
}

TEST(CmdSecretReveal, AddsANewlineOnATerminal) {
  CliHarness cli;
  cli.io.out_is_terminal = true;
  cli.Answer(200, R"({"key":"K","version":3,"value":"pw"})");
  EXPECT_EQ(cli.Run({"secret", "reveal", "--env", "acme", "K"}), kExitOk);
  EXPECT_EQ(cli.out.str(), "pw\n");
}

TEST(CmdSecretReveal, DecodesBase64) {
  CliHarness cli;
  const std::string value("\xff\x00\x01", 3);
  cli.Answer(200, R"({"key":"K","version":1,"value_base64":")" + Base64Encode(value) + "\"}");
  EXPECT_EQ(cli.Run({"secret", "reveal", "--env", "acme", "K"}), kExitOk);
  EXPECT_EQ(cli.out.str(), value);
}

TEST(CmdSecretReveal, JsonPrintsTheAnswerAsIs) {
  CliHarness cli;
  const std::string answer = R"({"key":"K","version":1,"value":"pw"})";
  cli.Answer(200, answer);
  EXPECT_EQ(cli.Run({"secret", "reveal", "--env", "acme", "K", "--json"}), kExitOk);
  EXPECT_EQ(cli.out.str(), answer + "\n");
}

TEST(CmdSecretReveal, WritesANew0600File) {
  TempDir dir;
  CliHarness cli;
  const std::string path = dir.Path("value.bin");
  cli.Answer(200, R"({"key":"K","version":2,"value_base64":")" +
                      Base64Encode(std::string("\x80\0z", 3)) + "\"}");
  EXPECT_EQ(cli.Run({"secret", "reveal", "--env", "acme", "K", "-o", path}), kExitOk);
  EXPECT_EQ(TempDir::Read(path), std::string("\x80\0z", 3));
  struct stat info {};
  ASSERT_EQ(stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  EXPECT_EQ(cli.out.str(), "wrote K version 2 to " + path + "\n");
}

TEST(CmdSecretReveal, RefusesAnExistingFileOrSymlinkBeforeRevealing) {
  TempDir dir;
  CliHarness cli;
  const std::string existing = dir.Write("existing", "keep");
  EXPECT_EQ(cli.Run({"secret", "reveal", "--env", "acme", "K", "-o", existing}), kExitUsage);

  const std::string link = dir.Path("link");
  ASSERT_EQ(symlink(dir.Path("target").c_str(), link.c_str()), 0);
  EXPECT_EQ(cli.Run({"secret", "reveal", "--env", "acme", "K", "-o", link}), kExitUsage);

  EXPECT_TRUE(cli.transport.sent.empty());
  EXPECT_EQ(TempDir::Read(existing), "keep");
  struct stat info {};
  EXPECT_NE(stat(dir.Path("target").c_str(), &info), 0);
}

TEST(CmdSecretReveal, FailedRevealRemovesTheFile) {
  TempDir dir;
  CliHarness cli;
  const std::string path = dir.Path("v");
  cli.Answer(404, R"({"error":{"code":"not_found","message":"no such key"},"request_id":"r1"})");
  EXPECT_EQ(cli.Run({"secret", "reveal", "--env", "acme", "K", "-o", path}), kExitServer);
  EXPECT_EQ(cli.err.str(), "error: not_found: no such key (request_id r1)\n");
  struct stat info {};
  EXPECT_NE(stat(path.c_str(), &info), 0);
}

}  // namespace
}  // namespace svault::cli::testing
