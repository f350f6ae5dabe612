// audit tail and audit verify.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "cli_harness.h"
#include "temp_dir.h"

namespace svault::cli::testing {
namespace {

namespace json = boost::json;

std::string Record(int seq) {
  return R"({"seq":)" + std::to_string(seq) + R"(,"time":"t","node":"n1","request_id":"req_)" +
         std::to_string(seq) +
         R"(","phase":"response","action":"secret.reveal","token_id":"tok_1","role":"security",
            "environment":"acme","keys":[{"key":"A","version":2},{"key":"B","version":null}],
            "client":"127.0.0.1:5","status":200,"outcome":"ok","prev":"00","hmac":"11"})";
}

TEST(CmdAuditTail, FollowsNextCursorAsAfter) {
  CliHarness cli;
  cli.Answer(200, R"({"items":[)" + Record(6) + "," + Record(7) + R"(],"next_cursor":7})");
  cli.Answer(200, R"({"items":[)" + Record(8) + R"(],"next_cursor":null})");
  EXPECT_EQ(cli.Run({"audit", "tail", "--after", "5"}), kExitOk);
  ASSERT_EQ(cli.transport.sent.size(), 2u);
  EXPECT_EQ(cli.transport.sent[0].target, "/api/v1/audit?after=5&limit=1000");
  EXPECT_EQ(cli.transport.sent[1].target, "/api/v1/audit?after=7&limit=1000");
  const std::string out = cli.out.str();
  EXPECT_EQ(out.substr(0, out.find('\n')),
            "6 t req_6 response secret.reveal environment=acme token_id=tok_1 role=security "
            "status=200 outcome=ok client=127.0.0.1:5 keys=A@2,B");
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 3);
}

TEST(CmdAuditTail, LimitCapsTheRecords) {
  CliHarness cli;
  cli.Answer(200, R"({"items":[)" + Record(1) + "," + Record(2) + R"(],"next_cursor":"2"})");
  EXPECT_EQ(cli.Run({"audit", "tail", "--limit", "2"}), kExitOk);
  ASSERT_EQ(cli.transport.sent.size(), 1u);
  EXPECT_EQ(cli.transport.sent[0].target, "/api/v1/audit?after=0&limit=2");
}

TEST(CmdAuditTail, JsonMergesItems) {
  CliHarness cli;
  cli.Answer(200, R"({"items":[{"seq":1}],"next_cursor":"1"})");
  cli.Answer(200, R"({"items":[{"seq":2}],"next_cursor":null})");
  EXPECT_EQ(cli.Run({"--json", "audit", "tail"}), kExitOk);
  EXPECT_EQ(json::parse(cli.out.str()), json::parse(R"({"items":[{"seq":1},{"seq":2}]})"));
}

TEST(CmdAuditTail, FollowPollsEverySecondAfterTheLastSeq) {
  CliHarness cli;
  cli.Answer(200, R"({"items":[{"seq":1}],"next_cursor":null})");
  cli.Answer(200, R"({"items":[],"next_cursor":null})");
  cli.Answer(200, R"({"items":[{"seq":2}],"next_cursor":null})");
  // The fourth poll finds no answer queued: the transport fails and the loop ends with exit 2.
  EXPECT_EQ(cli.Run({"--json", "audit", "tail", "--follow"}), kExitServer);
  ASSERT_EQ(cli.transport.sent.size(), 4u);
  EXPECT_EQ(cli.transport.sent[1].target, "/api/v1/audit?after=1&limit=1000");
  EXPECT_EQ(cli.transport.sent[3].target, "/api/v1/audit?after=2&limit=1000");
  EXPECT_EQ(cli.sleeps, 3);
  EXPECT_EQ(cli.out.str(), "{\"seq\":1}\n{\"seq\":2}\n");  // JSON lines while following
}

TEST(CmdAuditTail, FollowEndsAtTheLimit) {
  CliHarness cli;
  cli.Answer(200, R"({"items":[{"seq":1}],"next_cursor":null})");
  cli.Answer(200, R"({"items":[{"seq":2},{"seq":3}],"next_cursor":null})");
  EXPECT_EQ(cli.Run({"audit", "tail", "-f", "--limit", "2"}), kExitOk);
  EXPECT_EQ(cli.transport.sent[1].target, "/api/v1/audit?after=1&limit=1");
}

TEST(CmdAuditVerify, ChainsFilesInOrder) {
  TempDir dir;
  CliHarness cli;
  const std::string first = dir.Write("audit-000001.jsonl", "line1\nline2\n");
  const std::string second = dir.Write("audit-000002.jsonl", std::string("x\0y\n", 4));
  cli.Answer(200, R"({"ok":true,"records":2,"torn_tail":false,"break":null,
                      "last_hmac":"ab12","last_seq":2})");
  cli.Answer(200, R"({"ok":true,"records":1,"torn_tail":false,"break":null,
                      "last_hmac":"cd34","last_seq":3})");
  EXPECT_EQ(cli.Run({"audit", "verify", "--partial", first, second}), kExitOk);
  ASSERT_EQ(cli.transport.sent.size(), 2u);
  EXPECT_EQ(cli.transport.sent[0].method, "POST");
  EXPECT_EQ(cli.transport.sent[0].target, "/api/v1/audit/verify");
  EXPECT_EQ(cli.transport.sent[0].content_type, "text/plain");
  EXPECT_EQ(cli.transport.sent[0].body, "line1\nline2\n");
  EXPECT_EQ(cli.transport.sent[1].target, "/api/v1/audit/verify?prev=ab12&seq=2");
  EXPECT_EQ(cli.transport.sent[1].body, std::string("x\0y\n", 4));
  EXPECT_EQ(cli.out.str(), first + ": ok, 2 records\n" + second + ": ok, 1 records\n");
}

TEST(CmdAuditVerify, TornTailOfTheLastFileIsACrashNotAProblem) {
  TempDir dir;
  CliHarness cli;
  const std::string first = dir.Write("a1", "x");
  const std::string second = dir.Write("a2", "y");
  cli.Answer(200, R"({"ok":true,"records":2,"torn_tail":false,"break":null,
                      "last_hmac":"ab12","last_seq":2})");
  cli.Answer(200, R"({"ok":true,"records":1,"torn_tail":true,"break":null,
                      "last_hmac":"cd","last_seq":3})");
  EXPECT_EQ(cli.Run({"audit", "verify", "--partial", first, second}), kExitOk);
  cli.Answer(200, R"({"ok":true,"records":2,"torn_tail":true,"break":null,
                      "last_hmac":"ab12","last_seq":2})");
  cli.Answer(200, R"({"ok":true,"records":1,"torn_tail":false,"break":null,
                      "last_hmac":"cd","last_seq":3})");
  EXPECT_EQ(cli.Run({"audit", "verify", "--partial", first, second}), kExitProblems);
}

TEST(CmdAuditVerify, BreakAndTornTailAreProblems) {
  TempDir dir;
  CliHarness cli;
  const std::string first = dir.Write("a1", "x");
  const std::string second = dir.Write("a2", "y");
  // A torn tail followed by another file is a problem; so is a break in the last file.
  cli.Answer(200, R"({"ok":true,"records":3,"torn_tail":true,"break":null,
                      "last_hmac":"ff","last_seq":11})");
  cli.Answer(200, R"({"ok":false,"records":4,"torn_tail":false,
                      "break":{"line":5,"seq":16,"reason":"hmac_mismatch"},
                      "last_hmac":"ee","last_seq":15})");
  EXPECT_EQ(cli.Run({"audit", "verify", "--partial", first, second}), kExitProblems);
  ASSERT_EQ(cli.transport.sent.size(), 2u);
  EXPECT_EQ(cli.transport.sent[1].target, "/api/v1/audit/verify?prev=ff&seq=11");
  EXPECT_EQ(cli.out.str(),
            first +
                ": torn tail: the last line is incomplete (a crash, not an edit); 3 records "
                "verified\n" +
                second +
                ": chain breaks at line 5 (seq 16): hmac_mismatch; 4 records verified before it\n");
}

TEST(CmdAuditVerify, JsonListsReportsWithTheirFile) {
  TempDir dir;
  CliHarness cli;
  const std::string file = dir.Write("a1", "x");
  cli.Answer(200, R"({"ok":true,"records":1,"torn_tail":false,"break":null,"last_hmac":"aa",
                      "last_seq":1})");
  EXPECT_EQ(cli.Run({"--json", "audit", "verify", "--partial", file}), kExitOk);
  const json::value out = json::parse(cli.out.str());
  EXPECT_EQ(out.at("items").at(0).at("file").as_string(), file);
  EXPECT_EQ(out.at("items").at(0).at("records").as_int64(), 1);
}

TEST(CmdAuditVerify, WholeChainMustStartAtTheBeginningAndReachTheHead) {
  TempDir dir;
  CliHarness cli;
  const std::string file = dir.Write("audit-000001.jsonl", "l1\nl2\nl3\n");
  cli.Answer(200, R"({"seq":3,"hmac":"ff"})");
  cli.Answer(200, R"({"ok":true,"records":3,"torn_tail":false,"break":null,
                      "last_hmac":"ee","last_seq":3})");
  EXPECT_EQ(cli.Run({"audit", "verify", file}), kExitOk);
  ASSERT_EQ(cli.transport.sent.size(), 2u);
  EXPECT_EQ(cli.transport.sent[0].target, "/api/v1/audit/head");
  EXPECT_EQ(cli.transport.sent[1].target,
            "/api/v1/audit/verify?prev=" + std::string(64, '0') + "&seq=0");
}

TEST(CmdAuditVerify, RecordsCutFromTheEndAreAProblem) {
  TempDir dir;
  CliHarness cli;
  const std::string file = dir.Write("audit-000001.jsonl", "l1\nl2\nl3\n");
  cli.Answer(200, R"({"seq":5,"hmac":"ff"})");
  cli.Answer(200, R"({"ok":true,"records":3,"torn_tail":false,"break":null,
                      "last_hmac":"ee","last_seq":3})");
  EXPECT_EQ(cli.Run({"audit", "verify", file}), kExitProblems);
  EXPECT_NE(cli.out.str().find("newer records are missing"), std::string::npos) << cli.out.str();
}

TEST(CmdAuditVerify, StopsAtTheFirstBreak) {
  TempDir dir;
  CliHarness cli;
  const std::string first = dir.Write("a1", "x");
  const std::string second = dir.Write("a2", "y");
  cli.Answer(200, R"({"seq":9,"hmac":"ff"})");
  cli.Answer(200, R"({"ok":false,"records":1,"torn_tail":false,
                      "break":{"line":2,"seq":2,"reason":"seq_gap"},
                      "last_hmac":"ee","last_seq":1})");
  EXPECT_EQ(cli.Run({"audit", "verify", first, second}), kExitProblems);
  EXPECT_EQ(cli.transport.sent.size(), 2u);  // the head and the first file only
  EXPECT_NE(cli.out.str().find("not checked after the break: 1 file(s)"), std::string::npos);
  EXPECT_EQ(cli.out.str().find("newer records are missing"), std::string::npos);
}

TEST(CmdAuditVerify, ServerErrorIsExitTwo) {
  TempDir dir;
  CliHarness cli;
  cli.Answer(403, R"({"error":{"code":"forbidden","message":"capability audit missing"},
                      "request_id":"req_3"})");
  EXPECT_EQ(cli.Run({"audit", "verify", dir.Write("a", "x")}), kExitServer);
  EXPECT_EQ(cli.err.str(), "error: forbidden: capability audit missing (request_id req_3)\n");
}

TEST(CmdAuditVerify, UnauthenticatedWithoutATokenGivesAHint) {
  TempDir dir;
  CliHarness cli;
  cli.Answer(401, R"({"error":{"code":"unauthenticated","message":"token missing"},
                      "request_id":"req_4"})");
  EXPECT_EQ(cli.Run({"audit", "verify", dir.Write("a", "x")}), kExitServer);
  EXPECT_NE(cli.err.str().find("SVAULT_TOKEN"), std::string::npos);
}

}  // namespace
}  // namespace svault::cli::testing
