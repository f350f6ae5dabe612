// The reference endpoints and CLI commands end to end (DESIGN.md §3, §4, §7): listing,
// validation without values, all-or-nothing render and resolve, and the audit trail they leave.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "harness.h"

namespace svault::testing {
namespace {

namespace json = boost::json;

const std::string kEnv = "/api/v1/environments/acme";
// A value that breaks naive escaping in every format.
const std::string kPassword = "p\"<&'>]]>\\\tq\nr";

class ReferencesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    vault_ = std::make_unique<VaultProcess>();
    root_ = vault_->root_token();
    ASSERT_EQ(Admin("POST", "/api/v1/environments", R"({"id":"acme"})").status, 201);
    json::object put{{"value", kPassword}};
    ASSERT_EQ(Admin("PUT", kEnv + "/secrets/SLACK_TOKEN", json::serialize(put)).status, 201);
    ASSERT_EQ(Admin("PUT", kEnv + "/secrets/DB_HOST", R"({"value":"db-1.internal"})").status, 201);
    ASSERT_EQ(Admin("PUT", kEnv + "/secrets/DB_HOST", R"({"value":"db-2.internal"})").status, 200);
    developer_ = MakeToken(R"({"role":"developer","environments":["acme"]})");
    runtime_ = MakeToken(R"({"role":"runtime","environments":["acme"]})");
  }

  Response Admin(const std::string& method, const std::string& target,
                 const std::string& body = "") {
    return vault_->Request(method, target, root_, body);
  }
  std::string MakeToken(const std::string& spec) {
    Response r = Admin("POST", "/api/v1/tokens", spec);
    EXPECT_EQ(r.status, 201) << r.body;
    return std::string(r.Json().at("token").as_string());
  }
  Response Post(const std::string& target, const std::string& token, const std::string& body) {
    return vault_->Request("POST", target, token, body, "text/plain");
  }
  std::string AuditText() {
    std::string all;
    for (const std::string& f : FilesUnder(vault_->dir() + "/audit")) all += ReadFile(f);
    return all;
  }

  std::unique_ptr<VaultProcess> vault_;
  std::string root_;
  std::string developer_;
  std::string runtime_;
};

std::string Example() {
  return ReadFile(std::string(SVAULT_SOURCE_DIR) + "/examples/order-notify.bpmn");
}

TEST_F(ReferencesTest, ListingNeedsOnlyAValidToken) {
  Response r = Post("/api/v1/references?format=bpmn", developer_, Example());
  ASSERT_EQ(r.status, 200) << r.body;
  const json::array refs = r.Json().at("references").as_array();
  ASSERT_EQ(refs.size(), 2u);
  EXPECT_EQ(refs[0].at("key").as_string(), "DB_HOST");
  EXPECT_EQ(refs[0].at("element").as_string(), "node_2");
  EXPECT_EQ(refs[0].at("pointer").as_string(), "/host");
  EXPECT_TRUE(refs[0].at("version").is_null());
  EXPECT_EQ(refs[1].at("key").as_string(), "SLACK_TOKEN");
  EXPECT_EQ(refs[1].at("line").as_int64(), 13);
  EXPECT_TRUE(r.Json().at("problems").as_array().empty());
  EXPECT_EQ(Post("/api/v1/references?format=bpmn", "", Example()).status, 401);
}

TEST_F(ReferencesTest, MalformedReferencesAreProblemsNotErrors) {
  Response r = Post("/api/v1/references?format=text", developer_,
                    "ok {{secrets.A}}\n{{secrets.}} {{secrets._X}} {{secrets.K@0}} {{secrets.X");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json().at("references").as_array().size(), 1u);
  const json::array problems = r.Json().at("problems").as_array();
  ASSERT_EQ(problems.size(), 4u);
  for (const json::value& p : problems) {
    EXPECT_EQ(p.at("reason").as_string(), "malformed");
    EXPECT_EQ(p.at("line").as_int64(), 2);
  }
  EXPECT_EQ(problems[1].at("column").as_int64(), 14);
}

TEST_F(ReferencesTest, DocumentsThatDoNotParseAre400) {
  EXPECT_EQ(Post("/api/v1/references?format=json", developer_, "{\"a\":").status, 400);
  EXPECT_EQ(Post("/api/v1/references?format=xml", developer_, "<a><b></a>").status, 400);
  Response doctype = Post("/api/v1/references?format=xml", developer_,
                          "<!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><a>&x;</a>");
  EXPECT_EQ(doctype.status, 400);
  EXPECT_EQ(doctype.ErrorCode(), "bad_request");
  EXPECT_EQ(Post("/api/v1/references?format=env", developer_, "NOT A LINE\n").status, 400);
}

TEST_F(ReferencesTest, FormatAndDialectAreChecked) {
  Response missing = Post("/api/v1/references", developer_, "x");
  EXPECT_EQ(missing.status, 422);
  EXPECT_NE(missing.body.find("?format"), std::string::npos);
  EXPECT_EQ(Post("/api/v1/references?format=yaml", developer_, "x").status, 422);
  EXPECT_EQ(Post("/api/v1/references?format=xml&dialect=zeebe", developer_, "<a/>").status, 422);
  EXPECT_EQ(Post(kEnv + "/resolve?format=xml", runtime_, R"({"keys":[]})").status, 422);
}

TEST_F(ReferencesTest, DocumentsWithTooManyReferencesAreRefused) {
  std::string doc;
  for (int i = 0; i < 10001; ++i) doc += "{{secrets.K}}";
  Response r = Post(kEnv + "/render?format=text", runtime_, doc);
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.ErrorCode(), "validation_failed");
  EXPECT_EQ(AuditText().find(R"({"key":"K")"), std::string::npos);
}

// Found by the fresh-clone review: the document of a caller without access was parsed (for the
// request record) before the 403, so any token could make the server do that work.
TEST_F(ReferencesTest, DocumentOfACallerWithoutAccessIsNotRead) {
  auto render_request_keys = [this] {
    std::vector<std::string> keys;
    std::istringstream lines(AuditText());
    for (std::string line; std::getline(lines, line);) {
      json::object o = json::parse(line).as_object();
      if (o.at("action").as_string() == "refs.render" && o.at("phase").as_string() == "request") {
        keys.push_back(json::serialize(o.at("keys")));
      }
    }
    return keys;
  };
  Response r = Post(kEnv + "/render?format=text", developer_, "{{secrets.SLACK_TOKEN}}");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(render_request_keys(), std::vector<std::string>{"[]"});
  Response ok = Post(kEnv + "/render?format=text", runtime_, "{{secrets.SLACK_TOKEN}}");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(render_request_keys()[1], R"([{"key":"SLACK_TOKEN","version":null}])");
}

TEST_F(ReferencesTest, DeveloperValidatesWithoutSeeingValues) {
  std::string doc = Example() + "";
  doc.insert(doc.find("#orders"), "{{secrets.NOPE}} {{secrets.DB_HOST@1}} {{secrets.DB_HOST@9}} ");
  Response r = Post(kEnv + "/validate?format=xml", developer_, doc);
  ASSERT_EQ(r.status, 200) << r.body;
  std::map<std::string, std::pair<bool, bool>> seen;
  const json::value body = r.Json();
  for (const json::value& ref : body.at("references").as_array()) {
    std::string key(ref.at("key").as_string());
    if (!ref.at("version").is_null()) key += "@" + std::to_string(ref.at("version").as_int64());
    seen[key] = {ref.at("exists").as_bool(), ref.at("resolvable").as_bool()};
  }
  EXPECT_EQ(seen["DB_HOST"], std::pair(true, false));  // developers cannot resolve
  EXPECT_EQ(seen["DB_HOST@1"], std::pair(true, false));
  EXPECT_EQ(seen["DB_HOST@9"], std::pair(false, false));
  EXPECT_EQ(seen["NOPE"], std::pair(false, false));
  EXPECT_EQ(seen["SLACK_TOKEN"], std::pair(true, false));
  EXPECT_EQ(r.body.find("db-1"), std::string::npos);
  EXPECT_EQ(r.body.find("p\\\""), std::string::npos);

  Response as_runtime = Post(kEnv + "/validate?format=xml", runtime_, Example());
  ASSERT_EQ(as_runtime.status, 200);
  EXPECT_TRUE(as_runtime.Json().at("references").as_array()[0].at("resolvable").as_bool());
}

TEST_F(ReferencesTest, RuntimeRendersAndEveryFieldReadsBack) {
  Response r = Post(kEnv + "/render?format=bpmn", runtime_, Example());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers["cache-control"], "no-store");
  EXPECT_EQ(r.headers["content-type"], "application/xml");
  // JSON-escaped, then XML-escaped for the double-quoted attribute.
  EXPECT_NE(r.body.find(R"(&#34;token&#34;:&#34;p\&quot;&lt;&amp;'&gt;]]&gt;\\\tq\nr&#34;)"),
            std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("db-2.internal"), std::string::npos);
  EXPECT_NE(r.body.find("New order {{order_id}}"), std::string::npos);  // other mustache stays
}

TEST_F(ReferencesTest, RenderIsAllOrNothing) {
  std::string doc =
      "a {{secrets.SLACK_TOKEN}} b {{secrets.NOPE}} c {{secrets.}} "
      "d {{secrets.DB_HOST@7}}";
  Response r = Post(kEnv + "/render?format=text", runtime_, doc);
  ASSERT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(r.ErrorCode(), "unresolved");
  const json::array details = r.Json().at("error").at("details").as_array();
  ASSERT_EQ(details.size(), 3u);
  EXPECT_EQ(details[0].at("key").as_string(), "NOPE");
  EXPECT_EQ(details[0].at("reason").as_string(), "missing");
  EXPECT_EQ(details[1].at("reason").as_string(), "malformed");
  EXPECT_EQ(details[2].at("version").as_int64(), 7);
  EXPECT_EQ(details[2].at("column").as_int64(), 63);
  EXPECT_EQ(r.body.find("p\\\""), std::string::npos);
  EXPECT_EQ(r.body.find("db-"), std::string::npos);
}

TEST_F(ReferencesTest, RefusedContextsAndUnencodableValuesAreNamed) {
  ASSERT_EQ(Admin("PUT", kEnv + "/secrets/CR", R"({"value":"a\rb"})").status, 201);
  const std::string doc =
      "<r><bpmn:scriptTask id=\"s\"><bpmn:script>{{secrets.DB_HOST}}</bpmn:script>"
      "</bpmn:scriptTask><c><![CDATA[{{secrets.CR}}]]></c></r>";
  Response r = Post(kEnv + "/render?format=xml", runtime_, doc);
  ASSERT_EQ(r.status, 422) << r.body;
  const json::array details = r.Json().at("error").at("details").as_array();
  ASSERT_EQ(details.size(), 2u);
  EXPECT_EQ(details[0].at("reason").as_string(), "unsafe_context");
  EXPECT_EQ(details[0].at("element").as_string(), "s");
  EXPECT_EQ(details[1].at("reason").as_string(), "unencodable");
  EXPECT_EQ(details[1].at("key").as_string(), "CR");
  EXPECT_EQ(r.body.find("a\\rb"), std::string::npos);
}

TEST_F(ReferencesTest, ResolveAnswersKeyedByTheStringsAsSent) {
  ASSERT_EQ(Admin("PUT", kEnv + "/secrets/BIN", R"({"value_base64":"/w=="})").status, 201);
  Response r =
      Post(kEnv + "/resolve", runtime_, R"({"keys":["SLACK_TOKEN","DB_HOST@1","DB_HOST","BIN"]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers["cache-control"], "no-store");
  const json::object values = r.Json().at("values").as_object();
  EXPECT_EQ(values.at("SLACK_TOKEN").at("value").as_string(), kPassword);
  EXPECT_EQ(values.at("DB_HOST@1").at("value").as_string(), "db-1.internal");
  EXPECT_EQ(values.at("DB_HOST@1").at("version").as_int64(), 1);
  EXPECT_EQ(values.at("DB_HOST").at("version").as_int64(), 2);
  EXPECT_EQ(values.at("BIN").at("value_base64").as_string(), "/w==");
}

TEST_F(ReferencesTest, ResolveIsAllOrNothingAndBounded) {
  Response r = Post(kEnv + "/resolve", runtime_,
                    R"({"keys":["SLACK_TOKEN","NOPE","not a key xoxb-secret","DB_HOST@5"]})");
  ASSERT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(r.ErrorCode(), "unresolved");
  const json::array details = r.Json().at("error").at("details").as_array();
  ASSERT_EQ(details.size(), 3u);
  EXPECT_EQ(details[0].at("pointer").as_string(), "/keys/1");
  EXPECT_EQ(details[1].at("reason").as_string(), "malformed");
  EXPECT_TRUE(details[1].at("key").is_null());
  EXPECT_EQ(details[2].at("version").as_int64(), 5);
  EXPECT_EQ(r.body.find("xoxb"), std::string::npos);
  EXPECT_EQ(r.body.find("p\\\""), std::string::npos);

  json::array many;
  for (int i = 0; i < 1001; ++i) many.emplace_back("SLACK_TOKEN");
  Response over = Post(kEnv + "/resolve", runtime_, json::serialize(json::object{{"keys", many}}));
  EXPECT_EQ(over.status, 422);
  EXPECT_EQ(over.ErrorCode(), "validation_failed");
  many.pop_back();
  EXPECT_EQ(Post(kEnv + "/resolve", runtime_, json::serialize(json::object{{"keys", many}})).status,
            200);
  EXPECT_EQ(Post(kEnv + "/resolve", runtime_, R"({"keys":"SLACK_TOKEN"})").status, 422);
  EXPECT_EQ(Post(kEnv + "/resolve", runtime_, R"({"key":["SLACK_TOKEN"]})").status, 422);
}

TEST_F(ReferencesTest, KeyPatternsLimitRuntimeTokens) {
  const std::string narrow =
      MakeToken(R"({"role":"runtime","environments":["acme"],"keys":["DB_*"]})");
  EXPECT_EQ(Post(kEnv + "/render?format=text", narrow, "{{secrets.DB_HOST}}").body,
            "db-2.internal");
  Response r = Post(kEnv + "/render?format=text", narrow, "{{secrets.SLACK_TOKEN}}");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.Json().at("error").at("details").as_array()[0].at("reason").as_string(), "missing");
  Response v = Post(kEnv + "/validate?format=text", narrow, "{{secrets.SLACK_TOKEN}}");
  EXPECT_FALSE(v.Json().at("references").as_array()[0].at("exists").as_bool());
}

TEST_F(ReferencesTest, AuditNamesKeysAskedForThenKeysUsed) {
  Response r = Post(kEnv + "/render?format=bpmn", runtime_, Example());
  ASSERT_EQ(r.status, 200);
  std::vector<json::object> records;
  std::istringstream lines(AuditText());
  for (std::string line; std::getline(lines, line);) {
    json::object o = json::parse(line).as_object();
    if (o.at("action").as_string() == "refs.render") records.push_back(o);
  }
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].at("phase").as_string(), "request");
  EXPECT_EQ(json::serialize(records[0].at("keys")),
            R"([{"key":"DB_HOST","version":null},{"key":"SLACK_TOKEN","version":null}])");
  EXPECT_EQ(records[1].at("phase").as_string(), "response");
  EXPECT_EQ(json::serialize(records[1].at("keys")),
            R"([{"key":"DB_HOST","version":2},{"key":"SLACK_TOKEN","version":1}])");

  // No value anywhere on disk in clear, nor in the log.
  for (const std::string& f : FilesUnder(vault_->dir())) {
    const std::string bytes = ReadFile(f);
    EXPECT_EQ(bytes.find("db-2.internal"), std::string::npos) << f;
    EXPECT_EQ(bytes.find("]]>\\\tq"), std::string::npos) << f;
  }
  EXPECT_EQ(vault_->LogText().find("db-2.internal"), std::string::npos);
}

class ReferencesCliTest : public ReferencesTest {
 protected:
  std::map<std::string, std::string> Env(const std::string& token) {
    return {{"SVAULT_ADDR", "http://127.0.0.1:" + std::to_string(vault_->port())},
            {"SVAULT_TOKEN", token}};
  }
  std::string Write(const std::string& name, const std::string& content) {
    const std::string path = vault_->dir() + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
};

TEST_F(ReferencesCliTest, RefsWorksOfflineAndExitsThreeOnProblems) {
  const std::string ok = std::string(SVAULT_SOURCE_DIR) + "/examples/order-notify.bpmn";
  CliResult r = RunCli({"refs", ok}, "", {{"SVAULT_ADDR", "http://127.0.0.1:1"}});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("element node_3"), std::string::npos);
  EXPECT_NE(r.out.find("SLACK_TOKEN"), std::string::npos);

  CliResult j = RunCli({"refs", ok, "--json"});
  EXPECT_EQ(json::parse(j.out).at("references").as_array().size(), 2u);

  const std::string bad = Write("bad.json", R"({"a":"{{secrets.}}"})");
  CliResult p = RunCli({"refs", bad});
  EXPECT_EQ(p.exit_code, 3);
  EXPECT_NE(p.out.find("malformed"), std::string::npos);
  EXPECT_EQ(RunCli({"refs", Write("x.yaml", "a: b")}).exit_code, 1);
  EXPECT_EQ(RunCli({"refs", Write("y.yaml", "{{secrets.A}}"), "--format", "text"}).exit_code, 0);
}

TEST_F(ReferencesCliTest, ValidateAndRender) {
  const std::string ok = std::string(SVAULT_SOURCE_DIR) + "/examples/order-notify.bpmn";
  CliResult v = RunCli({"validate", ok, "--env", "acme"}, "", Env(developer_));
  EXPECT_EQ(v.exit_code, 0) << v.err;
  EXPECT_NE(v.out.find("RESOLVABLE"), std::string::npos);
  const std::string missing = Write("m.txt", "{{secrets.NOPE}}");
  EXPECT_EQ(RunCli({"validate", missing, "--env", "acme"}, "", Env(developer_)).exit_code, 3);

  const std::string out = vault_->dir() + "/rendered.bpmn";
  CliResult r = RunCli({"render", ok, "--env", "acme", "-o", out}, "", Env(runtime_));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  struct stat info {};
  ASSERT_EQ(stat(out.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  EXPECT_NE(ReadFile(out).find("db-2.internal"), std::string::npos);
  EXPECT_EQ(r.out.find("db-2"), std::string::npos);
  // Never overwrites; nothing is asked of the server then.
  EXPECT_EQ(RunCli({"render", ok, "--env", "acme", "-o", out}, "", Env(runtime_)).exit_code, 1);

  CliResult stdout_render = RunCli({"render", missing, "--env", "acme"}, "", Env(runtime_));
  EXPECT_EQ(stdout_render.exit_code, 2);
  EXPECT_NE(stdout_render.err.find("NOPE"), std::string::npos);
  EXPECT_NE(stdout_render.err.find("missing"), std::string::npos);
}

}  // namespace
}  // namespace svault::testing
