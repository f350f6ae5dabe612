// Every endpoint called with every role and with expired, revoked, unknown, malformed and missing
// tokens; each cell pins the exact status and error code (DESIGN.md §4, §8). The checks run in
// the fixed order, so a token without reach learns nothing: a missing environment is a 403 to
// everyone but admin.
#include <gtest/gtest.h>

#include <functional>
#include <thread>

#include "harness.h"

namespace svault::testing {
namespace {

namespace json = boost::json;

enum Who {
  kAdmin,
  kSecurity,
  kDeveloper,
  kRuntime,
  kAuditor,
  kExpired,
  kRevoked,
  kUnknown,
  kMalformed,
  kNone,
  kWhoCount
};
const char* const kWhoNames[] = {"admin",   "security", "developer", "runtime",   "auditor",
                                 "expired", "revoked",  "unknown",   "malformed", "none"};

struct Call {
  Call(std::string m, std::string t, std::string b = "", std::string type = "application/json")
      : method(std::move(m)),
        target(std::move(t)),
        body(std::move(b)),
        content_type(std::move(type)) {}
  std::string method;
  std::string target;
  std::string body;
  std::string content_type;
};

struct Endpoint {
  std::string name;
  // Makes the call for one cell; may set up what the call needs first (as admin).
  std::function<Call(const std::string& cell)> make;
  // Expected status for admin, security, developer, runtime, auditor (valid tokens).
  int expect[5];
};

class RoleMatrixTest : public ::testing::Test {
 public:
  void SetUp() override {
    vault_ = new VaultProcess();
    const std::string& root = vault_->root_token();
    for (const char* env : {"acme", "other"}) {
      ASSERT_EQ(vault_
                    ->Request("POST", "/api/v1/environments", root,
                              std::string(R"({"id":")") + env + R"("})")
                    .status,
                201);
    }
    ASSERT_EQ(Admin("PUT", "/api/v1/environments/acme/secrets/K", R"({"value":"v"})").status, 201);

    tokens_[kAdmin] = root;
    tokens_[kSecurity] = MakeToken(R"({"role":"security","environments":["acme"]})");
    tokens_[kDeveloper] = MakeToken(R"({"role":"developer","environments":["acme"]})");
    tokens_[kRuntime] =
        MakeToken(R"({"role":"runtime","environments":["acme"],"keys":["K","db/*"]})");
    tokens_[kAuditor] = MakeToken(R"({"role":"auditor","environments":["acme"]})");
    tokens_[kExpired] = MakeToken(R"({"role":"security","environments":["acme"],"ttl":"1s"})");
    std::string revoked_id;
    tokens_[kRevoked] = MakeToken(R"({"role":"security","environments":["acme"]})", &revoked_id);
    ASSERT_EQ(Admin("DELETE", "/api/v1/tokens/" + revoked_id).status, 204);
    tokens_[kUnknown] = "svt_" + std::string(64, 'a');
    tokens_[kMalformed] = "not-a-token";
    tokens_[kNone] = "";
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // let the 1s token expire
  }
  void TearDown() override {
    delete vault_;
    vault_ = nullptr;
  }

  static Response Admin(const std::string& method, const std::string& target,
                        const std::string& body = "") {
    return vault_->Request(method, target, vault_->root_token(), body);
  }
  static std::string MakeToken(const std::string& spec, std::string* id = nullptr) {
    Response r = Admin("POST", "/api/v1/tokens", spec);
    EXPECT_EQ(r.status, 201) << r.body;
    if (id) *id = std::string(r.Json().at("id").as_string());
    return std::string(r.Json().at("token").as_string());
  }

  static VaultProcess* vault_;
  static std::string tokens_[kWhoCount];
};

VaultProcess* RoleMatrixTest::vault_ = nullptr;
std::string RoleMatrixTest::tokens_[kWhoCount];

std::string CodeFor(int status) {
  switch (status) {
    case 401: return "unauthenticated";
    case 403: return "forbidden";
    case 404: return "not_found";
    default: return "";
  }
}

std::vector<Endpoint> Endpoints() {
  const std::string env = "/api/v1/environments/acme";
  return {
      {"env.create",
       [](const std::string& c) {
         return Call{"POST", "/api/v1/environments", R"({"id":"new-)" + c + R"("})"};
       },
       {201, 403, 403, 403, 403}},
      {"env.list",
       [](const std::string&) {
         return Call{"GET", "/api/v1/environments"};
       },
       {200, 200, 200, 200, 200}},
      {"env.read",
       [env](const std::string&) {
         return Call{"GET", env};
       },
       {200, 200, 200, 403, 200}},
      {"env.read other",
       [](const std::string&) {
         return Call{"GET", "/api/v1/environments/other"};
       },
       {200, 403, 403, 403, 403}},
      {"env.read missing",
       [](const std::string&) {
         return Call{"GET", "/api/v1/environments/missing"};
       },
       {404, 403, 403, 403, 403}},
      {"env.delete",
       [](const std::string& c) {
         const std::string id = "tmp-" + c;
         RoleMatrixTest::Admin("POST", "/api/v1/environments", R"({"id":")" + id + R"("})");
         return Call{"DELETE", "/api/v1/environments/" + id + "?confirm=" + id};
       },
       {204, 403, 403, 403, 403}},
      {"env.delete scoped",
       [env](const std::string&) {
         return Call{"DELETE", env + "?confirm=acme-not"};
       },
       {422, 403, 403, 403, 403}},
      {"secret.put",
       [env](const std::string& c) {
         return Call{"PUT", env + "/secrets/NEW_" + c, R"({"value":"x"})"};
       },
       {201, 201, 403, 403, 403}},
      {"secret.put missing env",
       [](const std::string& c) {
         return Call{"PUT", "/api/v1/environments/missing/secrets/K_" + c, R"({"value":"x"})"};
       },
       {404, 403, 403, 403, 403}},
      {"secret.patch",
       [env](const std::string&) {
         return Call{"PATCH", env + "/secrets/K", R"({"description":"d"})"};
       },
       {200, 200, 403, 403, 403}},
      {"secret.read",
       [env](const std::string&) {
         return Call{"GET", env + "/secrets/K"};
       },
       {200, 200, 200, 403, 200}},
      {"secret.read missing",
       [env](const std::string&) {
         return Call{"GET", env + "/secrets/NOPE"};
       },
       {404, 404, 404, 403, 404}},
      {"secret.list",
       [env](const std::string&) {
         return Call{"GET", env + "/secrets"};
       },
       {200, 200, 200, 403, 200}},
      {"secret.delete",
       [env](const std::string& c) {
         RoleMatrixTest::Admin("PUT", "/api/v1/environments/acme/secrets/DEL_" + c,
                               R"({"value":"x"})");
         return Call{"DELETE", env + "/secrets/DEL_" + c};
       },
       {204, 204, 403, 403, 403}},
      {"secret.reveal",
       [env](const std::string&) {
         return Call{"GET", env + "/values/K"};
       },
       {200, 200, 403, 403, 403}},
      {"secret.reveal other env",
       [](const std::string&) {
         return Call{"GET", "/api/v1/environments/other/values/K"};
       },
       {404, 403, 403, 403, 403}},
      {"secret.versions",
       [env](const std::string&) {
         return Call{"GET", env + "/versions/K"};
       },
       {200, 200, 200, 403, 200}},
      {"token.create",
       [](const std::string&) {
         return Call{"POST", "/api/v1/tokens", R"({"role":"developer","environments":["acme"]})"};
       },
       {201, 403, 403, 403, 403}},
      {"token.list",
       [](const std::string&) {
         return Call{"GET", "/api/v1/tokens"};
       },
       {200, 403, 403, 403, 403}},
      {"token.self",
       [](const std::string&) {
         return Call{"GET", "/api/v1/tokens/self"};
       },
       {200, 200, 200, 200, 200}},
      {"token.revoke",
       [](const std::string&) {
         Response r = RoleMatrixTest::Admin("POST", "/api/v1/tokens",
                                            R"({"role":"developer","environments":["acme"]})");
         return Call{"DELETE", "/api/v1/tokens/" + std::string(r.Json().at("id").as_string())};
       },
       {204, 403, 403, 403, 403}},
      {"audit.read",
       [](const std::string&) {
         return Call{"GET", "/api/v1/audit?limit=5"};
       },
       {200, 403, 403, 403, 200}},
      {"audit.verify",
       [](const std::string&) {
         return Call{"POST", "/api/v1/audit/verify", "", "text/plain"};
       },
       {200, 403, 403, 403, 200}},
      {"refs.list",
       [](const std::string&) {
         return Call{"POST", "/api/v1/references?format=text", "{{secrets.K}}", "text/plain"};
       },
       {200, 200, 200, 200, 200}},
      {"refs.validate",
       [env](const std::string&) {
         return Call{"POST", env + "/validate?format=text", "{{secrets.K}}", "text/plain"};
       },
       {200, 200, 200, 200, 200}},
      {"refs.validate missing env",
       [](const std::string&) {
         return Call{"POST", "/api/v1/environments/missing/validate?format=text", "x",
                     "text/plain"};
       },
       {404, 403, 403, 403, 403}},
      {"refs.render",
       [env](const std::string&) {
         return Call{"POST", env + "/render?format=text", "{{secrets.K}}", "text/plain"};
       },
       {200, 200, 403, 200, 403}},
      {"refs.render outside key patterns",
       [env](const std::string&) {
         RoleMatrixTest::Admin("PUT", "/api/v1/environments/acme/secrets/OTHER",
                               R"({"value":"o"})");
         return Call{"POST", env + "/render?format=text", "{{secrets.OTHER}}", "text/plain"};
       },
       {200, 200, 403, 422, 403}},
      {"refs.render other env",
       [](const std::string&) {
         return Call{"POST", "/api/v1/environments/other/render?format=text", "{{secrets.K}}",
                     "text/plain"};
       },
       {422, 403, 403, 403, 403}},
      {"refs.resolve",
       [env](const std::string&) {
         return Call{"POST", env + "/resolve", R"({"keys":["K","K@1"]})"};
       },
       {200, 200, 403, 200, 403}},
      {"refs.resolve missing env",
       [](const std::string&) {
         return Call{"POST", "/api/v1/environments/missing/resolve", R"({"keys":["K"]})"};
       },
       {404, 403, 403, 403, 403}},
      {"env.rotate_key",
       [env](const std::string&) {
         return Call{"POST", env + "/rotate-key"};
       },
       {200, 403, 403, 403, 403}},
      {"env.rotate_key missing env",
       [](const std::string&) {
         return Call{"POST", "/api/v1/environments/missing/rotate-key"};
       },
       {404, 403, 403, 403, 403}},
      {"env.rotate_key.read",
       [env](const std::string&) {
         return Call{"GET", env + "/rotate-key"};
       },
       {200, 403, 403, 403, 403}},
      {"sys.rotate",
       [](const std::string&) {
         return Call{"POST", "/api/v1/sys/rotate"};
       },
       {200, 403, 403, 403, 403}},
      // A body that is not an object stops the admin's seal at validation, so the matrix goes on.
      {"sys.seal",
       [](const std::string&) {
         return Call{"POST", "/api/v1/sys/seal", "[1]"};
       },
       {422, 403, 403, 403, 403}},
      // Dev mode unseals from a key file: there are no shares to rekey.
      {"sys.rekey.init",
       [](const std::string&) {
         return Call{"POST", "/api/v1/sys/rekey/init", R"({"shares":2,"threshold":2})"};
       },
       {422, 403, 403, 403, 403}},
      {"sys.rekey.update",
       [](const std::string&) {
         return Call{"POST", "/api/v1/sys/rekey/update", R"({"nonce":"00","share":"x"})"};
       },
       {404, 403, 403, 403, 403}},
      {"sys.rekey.read",
       [](const std::string&) {
         return Call{"GET", "/api/v1/sys/rekey"};
       },
       {200, 403, 403, 403, 403}},
      {"sys.rekey.cancel",
       [](const std::string&) {
         return Call{"DELETE", "/api/v1/sys/rekey"};
       },
       {404, 403, 403, 403, 403}},
      {"unknown endpoint",
       [](const std::string&) {
         return Call{"GET", "/api/v1/nope"};
       },
       {404, 404, 404, 404, 404}},
  };
}

TEST_F(RoleMatrixTest, EveryEndpointEveryCaller) {
  int cell_number = 0;
  for (const Endpoint& endpoint : Endpoints()) {
    for (int who = 0; who < kWhoCount; ++who) {
      const std::string cell = std::to_string(cell_number++);
      const Call call = endpoint.make(cell);
      Response r =
          vault_->Request(call.method, call.target, tokens_[who], call.body, call.content_type);
      const int expected = who < 5 ? endpoint.expect[who] : 401;
      EXPECT_EQ(r.status, expected) << endpoint.name << " as " << kWhoNames[who] << ": " << r.body;
      if (expected >= 400) {
        const bool refs = endpoint.name.starts_with("refs.");
        const std::string code =
            expected == 422 ? (refs ? "unresolved" : "validation_failed") : CodeFor(expected);
        EXPECT_EQ(r.ErrorCode(), code) << endpoint.name << " as " << kWhoNames[who];
      }
    }
  }
}

// Health, seal status, init and unseal take no token: every caller gets the same answer.
TEST_F(RoleMatrixTest, LifecycleEndpointsAnswerEveryoneAlike) {
  for (int who = 0; who < kWhoCount; ++who) {
    EXPECT_EQ(vault_->Request("GET", "/api/v1/sys/health", tokens_[who]).status, 200);
    EXPECT_EQ(vault_->Request("GET", "/api/v1/sys/seal-status", tokens_[who]).status, 200);
    EXPECT_EQ(vault_->Request("POST", "/api/v1/sys/init", tokens_[who], "{}").status, 409);
    Response unseal =
        vault_->Request("POST", "/api/v1/sys/unseal", tokens_[who], R"({"reset":true})");
    EXPECT_EQ(unseal.status, 200) << kWhoNames[who] << unseal.body;
    EXPECT_EQ(unseal.Json().at("sealed"), false);
  }
}

TEST_F(RoleMatrixTest, ForbiddenComesBeforeValidation) {
  // A developer sending garbage to a write endpoint learns only that it may not write.
  Response r = vault_->Request("PUT", "/api/v1/environments/acme/secrets/bad%key",
                               tokens_[kDeveloper], "{not json");
  EXPECT_EQ(r.status, 403);
  // Security may write, so now validation speaks: first the key, then the body.
  EXPECT_EQ(vault_
                ->Request("PUT", "/api/v1/environments/acme/secrets/bad%key", tokens_[kSecurity],
                          R"({"value":"v"})")
                .status,
            422);
  EXPECT_EQ(vault_
                ->Request("PUT", "/api/v1/environments/acme/secrets/GOOD", tokens_[kSecurity],
                          "{not json")
                .status,
            400);
  // An unauthenticated caller never gets past 401, even with a body that would fail later.
  EXPECT_EQ(
      vault_->Request("PUT", "/api/v1/environments/acme/secrets/bad%key", "", "{not json").status,
      401);
}

TEST_F(RoleMatrixTest, ListingEnvironmentsShowsOnlyTheCallersOwn) {
  Response r = vault_->Request("GET", "/api/v1/environments", tokens_[kDeveloper]);
  ASSERT_EQ(r.status, 200);
  json::array items = r.Json().at("items").as_array();
  for (const auto& item : items) EXPECT_EQ(item.at("id").as_string(), "acme");
  EXPECT_EQ(items.size(), 1u);
}

TEST_F(RoleMatrixTest, TokenSelfShowsScopeNeverTheToken) {
  Response r = vault_->Request("GET", "/api/v1/tokens/self", tokens_[kRuntime]);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.Json().at("role").as_string(), "runtime");
  EXPECT_EQ(r.Json().at("keys").as_array().size(), 2u);
  EXPECT_EQ(r.body.find(tokens_[kRuntime]), std::string::npos);
  Response list = vault_->Request("GET", "/api/v1/tokens", tokens_[kAdmin]);
  for (int who = 0; who < kWhoCount; ++who) {
    if (!tokens_[who].empty()) {
      EXPECT_EQ(list.body.find(tokens_[who]), std::string::npos) << kWhoNames[who];
    }
  }
}

TEST_F(RoleMatrixTest, TokenCreationValidatesScope) {
  auto create = [](const std::string& body) {
    return vault_->Request("POST", "/api/v1/tokens", tokens_[kAdmin], body);
  };
  EXPECT_EQ(create(R"({"role":"wizard","environments":["acme"]})").status, 422);
  EXPECT_EQ(create(R"({"role":"developer"})").status, 422);
  EXPECT_EQ(create(R"({"role":"developer","environments":["missing"]})").status, 422);
  EXPECT_EQ(create(R"({"role":"developer","environments":["acme"],"keys":["a"]})").status, 422);
  EXPECT_EQ(create(R"({"role":"runtime","environments":["acme"],"keys":["a b"]})").status, 422);
  EXPECT_EQ(create(R"({"role":"developer","environments":["acme"],"ttl":"forever"})").status, 422);
  EXPECT_EQ(create(R"({"role":"developer","environments":["acme"],"ttl":"9999h"})").status, 422);
  EXPECT_EQ(create(R"({"role":"admin","environments":["acme"]})").status, 422);
  EXPECT_EQ(create(R"({"role":"developer","environments":["acme"],"ttl":"never"})").status, 422);
  Response successor = create(R"({"role":"admin","ttl":"never"})");
  ASSERT_EQ(successor.status, 201) << successor.body;
  EXPECT_TRUE(successor.Json().at("expires_at").is_null());
  Response ok = create(R"({"role":"developer","environments":["acme"],"ttl":"15m"})");
  ASSERT_EQ(ok.status, 201);
  EXPECT_EQ(std::string(ok.Json().at("token").as_string()).rfind("svt_", 0), 0u);
  EXPECT_EQ(ok.headers["cache-control"], "no-store");
}

TEST_F(RoleMatrixTest, RootTokenCannotBeRevokedWhileTheLastAdmin) {
  Response self = vault_->Request("GET", "/api/v1/tokens/self", tokens_[kAdmin]);
  const std::string id(self.Json().at("id").as_string());
  Response r = vault_->Request("DELETE", "/api/v1/tokens/" + id, tokens_[kAdmin]);
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(vault_->Request("GET", "/api/v1/tokens/self", tokens_[kAdmin]).status, 200);
}

TEST_F(RoleMatrixTest, AuthorizationSchemeIsCaseInsensitiveAndSingle) {
  const std::string token = tokens_[kSecurity];
  const std::string get = "GET /api/v1/tokens/self HTTP/1.1\r\nHost: x\r\nConnection: close\r\n";
  EXPECT_NE(vault_->Raw(get + "Authorization: bearer " + token + "\r\n\r\n").find(" 200 "),
            std::string::npos);
  EXPECT_NE(vault_->Raw(get + "Authorization: BEARER " + token + "\r\n\r\n").find(" 200 "),
            std::string::npos);
  const std::string twice = get + "Authorization: Bearer " + token + "\r\nAuthorization: Bearer " +
                            tokens_[kAdmin] + "\r\n\r\n";
  EXPECT_NE(vault_->Raw(twice).find(" 400 "), std::string::npos);
  EXPECT_NE(vault_->Raw(get + "Authorization: Basic " + token + "\r\n\r\n").find(" 401 "),
            std::string::npos);
}

TEST_F(RoleMatrixTest, AnyTokenMayRevokeItself) {
  const std::string token = MakeToken(R"({"role":"developer","environments":["acme"]})");
  Response self = vault_->Request("GET", "/api/v1/tokens/self", token);
  const std::string id(self.Json().at("id").as_string());
  EXPECT_EQ(vault_->Request("DELETE", "/api/v1/tokens/" + id, token).status, 204);
  EXPECT_EQ(vault_->Request("GET", "/api/v1/tokens/self", token).status, 401);
}

}  // namespace
}  // namespace svault::testing
