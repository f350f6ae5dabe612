// The secrets API end to end over HTTP: the happy path, and bad input that must get a clear
// error and change nothing.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "common/encoding.h"
#include "harness.h"

namespace svault::testing {
namespace {

namespace json = boost::json;

class SecretsApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    vault_ = new VaultProcess({"--max-body-bytes", "262144"});
    root_ = vault_->root_token();
    ASSERT_EQ(vault_->Request("POST", "/api/v1/environments", root_, R"({"id":"acme"})").status,
              201);
  }
  void TearDown() override {
    delete vault_;
    vault_ = nullptr;
  }

  static Response Put(const std::string& key, const std::string& body) {
    return vault_->Request("PUT", "/api/v1/environments/acme/secrets/" + key, root_, body);
  }
  static Response Reveal(const std::string& key) {
    return vault_->Request("GET", "/api/v1/environments/acme/values/" + key, root_);
  }
  // The value of `key` as bytes, decoding value_base64 when that is what came back.
  static std::string RevealBytes(const std::string& key) {
    json::object o = Reveal(key).Json().as_object();
    if (o.contains("value")) return std::string(o["value"].as_string());
    return Base64Decode(o["value_base64"].as_string()).value();
  }

  static VaultProcess* vault_;
  static std::string root_;
};

VaultProcess* SecretsApiTest::vault_ = nullptr;
std::string SecretsApiTest::root_;

TEST_F(SecretsApiTest, PutThenRevealThenNewVersion) {
  Response created = Put("SLACK_TOKEN", R"({"value":"xoxb-1","type":"token","tags":{"t":"a"}})");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.Json().at("version").as_int64(), 1);
  EXPECT_EQ(created.Json().at("type").as_string(), "token");
  EXPECT_EQ(created.body.find("xoxb-1"), std::string::npos);

  Response updated = Put("SLACK_TOKEN", R"({"value":"xoxb-2"})");
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_EQ(updated.Json().at("version").as_int64(), 2);
  EXPECT_EQ(updated.Json().at("type").as_string(), "token");  // left out: kept

  Response revealed = Reveal("SLACK_TOKEN");
  ASSERT_EQ(revealed.status, 200);
  EXPECT_EQ(revealed.headers["cache-control"], "no-store");
  EXPECT_EQ(revealed.Json().at("value").as_string(), "xoxb-2");
  Response old =
      vault_->Request("GET", "/api/v1/environments/acme/values/SLACK_TOKEN?version=1", root_);
  EXPECT_EQ(old.Json().at("value").as_string(), "xoxb-1");

  Response meta = vault_->Request("GET", "/api/v1/environments/acme/secrets/SLACK_TOKEN", root_);
  ASSERT_EQ(meta.status, 200);
  EXPECT_EQ(meta.body.find("xoxb"), std::string::npos);
  Response versions =
      vault_->Request("GET", "/api/v1/environments/acme/versions/SLACK_TOKEN", root_);
  EXPECT_EQ(versions.Json().at("items").as_array().size(), 2u);
}

TEST_F(SecretsApiTest, AwkwardValuesRoundTripByteExactly) {
  const std::vector<std::string> values = {
      std::string("nul\0inside", 10), "quote\" and \\ backslash",     "line\nbreak\r\n\ttab",
      "\xff\xfe invalid utf8",        "caf\xc3\xa9 \xf0\x9f\x94\x91", ""};
  for (size_t i = 0; i < values.size(); ++i) {
    const std::string key = "odd/value-" + std::to_string(i);
    json::object body{{"value_base64", Base64Encode(values[i])}};
    ASSERT_EQ(Put(key, json::serialize(body)).status, 201) << i;
    EXPECT_EQ(RevealBytes(key), values[i]) << i;
  }
  // Valid UTF-8 comes back as `value`, anything else as `value_base64`.
  EXPECT_TRUE(Reveal("odd/value-4").Json().as_object().contains("value"));
  EXPECT_TRUE(Reveal("odd/value-3").Json().as_object().contains("value_base64"));
  // The JSON text form carries NUL and escapes too.
  ASSERT_EQ(Put("odd/json-text", R"({"value":"a\u0000b\"c\\d\n"})").status, 201);
  EXPECT_EQ(RevealBytes("odd/json-text"), std::string("a\0b\"c\\d\n", 8));
}

TEST_F(SecretsApiTest, BadBodiesAreRejectedAndChangeNothing) {
  struct Case {
    std::string body;
    int status;
    std::string code;
  };
  const std::vector<Case> cases = {
      {"", 400, "bad_request"},
      {"{not json", 400, "bad_request"},
      {"[]", 422, "validation_failed"},
      {R"("text")", 422, "validation_failed"},
      {R"({})", 422, "validation_failed"},
      {R"({"value":1})", 422, "validation_failed"},
      {R"({"value":"a","value_base64":"YQ=="})", 422, "validation_failed"},
      {R"({"value_base64":"not base64!"})", 422, "validation_failed"},
      {R"({"value":"a","colour":"red"})", 422, "validation_failed"},
      {R"({"value":"a","type":"spaceship"})", 422, "validation_failed"},
      {R"({"value":"a","tags":{"x":1}})", 422, "validation_failed"},
      {R"({"value":"a","cas":-1})", 422, "validation_failed"},
      {R"({"value":"a","cas":"1"})", 422, "validation_failed"},
      {R"({"value":"a","description":7})", 422, "validation_failed"},
      {R"({"value":"a","value":"b"})", 422, "validation_failed"},
      {R"({"value":"a","tags":{"t":"1","t":"2"}})", 422, "validation_failed"},
  };
  for (const Case& c : cases) {
    Response r = Put("UNTOUCHED", c.body);
    EXPECT_EQ(r.status, c.status) << c.body << " -> " << r.body;
    EXPECT_EQ(r.ErrorCode(), c.code) << c.body;
    EXPECT_TRUE(r.Json().as_object().contains("request_id"));
  }
  EXPECT_EQ(vault_->Request("GET", "/api/v1/environments/acme/secrets/UNTOUCHED", root_).status,
            404);
}

TEST_F(SecretsApiTest, ValidationListsEveryBadField) {
  Response r = Put("MANY", R"({"value":"a","colour":"red","type":"x","cas":"y"})");
  ASSERT_EQ(r.status, 422);
  json::array details = r.Json().at("error").at("details").as_array();
  std::set<std::string> fields;
  for (const auto& d : details) fields.insert(std::string(d.at("field").as_string()));
  EXPECT_TRUE(fields.contains("/colour"));
  EXPECT_TRUE(fields.contains("/type"));
  EXPECT_TRUE(fields.contains("/cas"));
}

TEST_F(SecretsApiTest, ErrorsNeverEchoTheValue) {
  Response r = Put("ECHO", R"({"value":"hunter2-secret","type":"spaceship"})");
  ASSERT_EQ(r.status, 422);
  EXPECT_EQ(r.body.find("hunter2-secret"), std::string::npos);
}

TEST_F(SecretsApiTest, BadKeysAreRejectedNeverRewritten) {
  const std::vector<std::string> bad = {
      "%2Fleading",          "a//b",  "trailing/", "trailing.", "with%20space", "pct%41",
      std::string(257, 'k'), "_lead", "a..b",      "star*"};
  for (const std::string& key : bad) {
    Response r = Put(key, R"({"value":"v"})");
    EXPECT_EQ(r.status, 422) << key << " -> " << r.body;
    EXPECT_EQ(r.ErrorCode(), "validation_failed") << key;
  }
  // A leading slash arrives as an empty first segment.
  EXPECT_EQ(
      vault_->Request("PUT", "/api/v1/environments/acme/secrets//lead", root_, R"({"value":"v"})")
          .status,
      422);
  Response list = vault_->Request("GET", "/api/v1/environments/acme/secrets?prefix=bad", root_);
  EXPECT_EQ(list.Json().at("items").as_array().size(), 0u);
  EXPECT_EQ(Put(std::string(256, 'k'), R"({"value":"v"})").status, 201);
}

TEST_F(SecretsApiTest, ValueLimitIsInclusiveAndOverLimitChangesNothing) {
  const std::string at_limit(64 * 1024, 'x');
  json::object body{{"value", at_limit}};
  ASSERT_EQ(Put("LIMIT", json::serialize(body)).status, 201);
  json::object over{{"value", at_limit + "y"}};
  Response r = Put("LIMIT", json::serialize(over));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.ErrorCode(), "too_large");
  EXPECT_EQ(RevealBytes("LIMIT"), at_limit);
  json::object over_b64{{"value_base64", Base64Encode(at_limit + "y")}};
  EXPECT_EQ(Put("LIMIT_B64", json::serialize(over_b64)).status, 413);
  EXPECT_EQ(vault_->Request("GET", "/api/v1/environments/acme/secrets/LIMIT_B64", root_).status,
            404);
}

TEST_F(SecretsApiTest, BodyOverTheLimitIs413) {
  const std::string huge = R"({"value":")" + std::string(300 * 1024, 'x') + R"("})";
  Response r = Put("HUGE", huge);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.ErrorCode(), "too_large");
}

TEST_F(SecretsApiTest, CheckAndSetAndDelete) {
  ASSERT_EQ(Put("CAS", R"({"value":"1","cas":0})").status, 201);
  Response stale = Put("CAS", R"({"value":"2","cas":0})");
  EXPECT_EQ(stale.status, 409);
  EXPECT_EQ(stale.ErrorCode(), "conflict");
  EXPECT_EQ(Put("CAS", R"({"value":"2","cas":1})").status, 200);
  ASSERT_EQ(vault_->Request("DELETE", "/api/v1/environments/acme/secrets/CAS", root_).status, 204);
  EXPECT_EQ(Reveal("CAS").status, 404);
  Response again = Put("CAS", R"({"value":"3","cas":0})");
  ASSERT_EQ(again.status, 201);
  EXPECT_EQ(again.Json().at("version").as_int64(), 3);  // numbers are never reused
}

TEST_F(SecretsApiTest, TwentyConcurrentCasWritersOneWinnerPerVersion) {
  ASSERT_EQ(Put("RACE", R"({"value":"start"})").status, 201);
  constexpr int kWriters = 20;
  constexpr int kRounds = 3;
  std::atomic<int> wins{0};
  std::vector<std::string> winners;
  std::mutex mu;
  for (int round = 1; round <= kRounds; ++round) {
    std::vector<std::thread> threads;
    std::atomic<int> round_wins{0};
    for (int w = 0; w < kWriters; ++w) {
      threads.emplace_back([&, w, round] {
        const std::string value = "r" + std::to_string(round) + "w" + std::to_string(w);
        Response r =
            Put("RACE", R"({"value":")" + value + R"(","cas":)" + std::to_string(round) + "}");
        if (r.status == 200) {
          ++round_wins;
          std::lock_guard lock(mu);
          winners.push_back(value);
        } else {
          EXPECT_EQ(r.status, 409) << r.body;
        }
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(round_wins.load(), 1) << "round " << round;
    wins += round_wins.load();
  }
  // The history holds exactly the start value and one winner per round, in order.
  Response versions = vault_->Request("GET", "/api/v1/environments/acme/versions/RACE", root_);
  ASSERT_EQ(versions.Json().at("items").as_array().size(), 1u + kRounds);
  for (int v = 2; v <= 1 + kRounds; ++v) {
    Response r = vault_->Request(
        "GET", "/api/v1/environments/acme/values/RACE?version=" + std::to_string(v), root_);
    EXPECT_EQ(std::string(r.Json().at("value").as_string()), winners[v - 2]);
  }
}

TEST_F(SecretsApiTest, ListPagesWithCursorAndPrefix) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(Put("page/k" + std::to_string(i), R"({"value":"v"})").status, 201);
  }
  std::vector<std::string> seen;
  std::string cursor;
  for (int guard = 0; guard < 10; ++guard) {
    std::string target = "/api/v1/environments/acme/secrets?prefix=page/&limit=2";
    if (!cursor.empty()) target += "&cursor=" + cursor;
    json::object page = vault_->Request("GET", target, root_).Json().as_object();
    for (const auto& item : page["items"].as_array()) {
      seen.emplace_back(item.at("key").as_string());
      EXPECT_FALSE(item.as_object().contains("value"));
    }
    if (page["next_cursor"].is_null()) break;
    cursor = std::string(page["next_cursor"].as_string());
  }
  EXPECT_EQ(seen,
            (std::vector<std::string>{"page/k0", "page/k1", "page/k2", "page/k3", "page/k4"}));
  EXPECT_EQ(vault_->Request("GET", "/api/v1/environments/acme/secrets?limit=0", root_).status, 422);
  EXPECT_EQ(vault_->Request("GET", "/api/v1/environments/acme/secrets?limit=1001", root_).status,
            422);
  EXPECT_EQ(vault_->Request("GET", "/api/v1/environments/acme/secrets?prefix=a%2F", root_).status,
            422);
}

TEST_F(SecretsApiTest, PatchChangesMetadataOnly) {
  ASSERT_EQ(Put("PATCHED", R"({"value":"v","description":"old","tags":{"a":"1"}})").status, 201);
  Response r = vault_->Request("PATCH", "/api/v1/environments/acme/secrets/PATCHED", root_,
                               R"({"description":"new"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json().at("version").as_int64(), 1);
  EXPECT_EQ(r.Json().at("description").as_string(), "new");
  EXPECT_EQ(r.Json().at("tags").at("a").as_string(), "1");
  EXPECT_EQ(
      vault_
          ->Request("PATCH", "/api/v1/environments/acme/secrets/PATCHED", root_, R"({"value":"x"})")
          .status,
      422);
}

TEST_F(SecretsApiTest, EnvironmentLifecycle) {
  EXPECT_EQ(vault_->Request("POST", "/api/v1/environments", root_, R"({"id":"acme"})").status, 409);
  EXPECT_EQ(vault_->Request("POST", "/api/v1/environments", root_, R"({"id":"Bad_Id"})").status,
            422);
  ASSERT_EQ(vault_
                ->Request("POST", "/api/v1/environments", root_,
                          R"({"id":"short-lived","description":"d"})")
                .status,
            201);
  EXPECT_EQ(vault_->Request("DELETE", "/api/v1/environments/short-lived", root_).status, 422);
  EXPECT_EQ(
      vault_->Request("DELETE", "/api/v1/environments/short-lived?confirm=acme", root_).status,
      422);
  EXPECT_EQ(vault_->Request("GET", "/api/v1/environments/short-lived", root_).status, 200);
  EXPECT_EQ(vault_->Request("DELETE", "/api/v1/environments/short-lived?confirm=short-lived", root_)
                .status,
            204);
  EXPECT_EQ(vault_->Request("GET", "/api/v1/environments/short-lived", root_).status, 404);
}

TEST_F(SecretsApiTest, HealthNeedsNoToken) {
  Response r = vault_->Request("GET", "/api/v1/sys/health");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Json().at("sealed").as_bool(), false);
  EXPECT_EQ(r.Json().at("initialized").as_bool(), true);
}

TEST_F(SecretsApiTest, MalformedHttpIs400) {
  const std::string raw = vault_->Raw("NONSENSE\r\n\r\n");
  EXPECT_NE(raw.find(" 400 "), std::string::npos) << raw;
}

}  // namespace
}  // namespace svault::testing
