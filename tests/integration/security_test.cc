// What must hold at rest and under failure: no value or token in clear anywhere in the data
// directory or the logs, ciphertexts bound to their rows, the audit trail complete and failing
// closed, a clean drain on SIGTERM.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/mount.h>

#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include "common/encoding.h"
#include "harness.h"

namespace svault::testing {
namespace {

namespace json = boost::json;

// Distinctive values, so finding their bytes anywhere means a leak.
const std::string kSlackValue = "xoxb-LEAKCHECK-7c1d2e3f4a5b6c7d";
const std::string kDbPassword = "pw\"<&'LEAKCHECK\\]]>";

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(SecurityTest, NoValueOrTokenInClearInTheDataDirectoryOrLogs) {
  VaultProcess vault;
  const std::string& root = vault.root_token();
  ASSERT_EQ(vault.Request("POST", "/api/v1/environments", root, R"({"id":"acme"})").status, 201);
  json::object put1{{"value", kSlackValue}};
  json::object put2{{"value", kDbPassword}};
  ASSERT_EQ(vault
                .Request("PUT", "/api/v1/environments/acme/secrets/SLACK_TOKEN", root,
                         json::serialize(put1))
                .status,
            201);
  ASSERT_EQ(vault
                .Request("PUT", "/api/v1/environments/acme/secrets/db/password", root,
                         json::serialize(put2))
                .status,
            201);
  Response made = vault.Request("POST", "/api/v1/tokens", root,
                                R"({"role":"security","environments":["acme"]})");
  const std::string token(made.Json().at("token").as_string());
  ASSERT_EQ(vault.Request("GET", "/api/v1/environments/acme/values/SLACK_TOKEN", token).status,
            200);
  // A failed attempt with a wrong token must not put that token anywhere either.
  const std::string wrong = "svt_" + std::string(64, 'e');
  ASSERT_EQ(vault.Request("GET", "/api/v1/environments/acme/values/SLACK_TOKEN", wrong).status,
            401);
  ASSERT_EQ(vault.Stop(), 0);  // flush everything, WAL included

  const std::vector<std::string> needles = {kSlackValue, kDbPassword, token,
                                            wrong,       root,        Base64Encode(kSlackValue)};
  const std::string unseal_key = ReadFile(vault.dir() + "/unseal.key");
  size_t files = 0;
  for (const std::string& path : FilesUnder(vault.dir())) {
    const std::string name = std::filesystem::path(path).filename();
    if (name == "root.token" || name == "unseal.key") continue;  // dev mode's own files
    const std::string content = ReadFile(path);
    ++files;
    for (const std::string& needle : needles) {
      EXPECT_FALSE(Contains(content, needle)) << path << " holds a secret";
    }
    EXPECT_FALSE(Contains(content, unseal_key.substr(0, 64))) << path << " holds the unseal key";
  }
  EXPECT_GE(files, 2u);  // the database and an audit file at least
  const std::string log = vault.LogText();
  for (const std::string& needle : {kSlackValue, kDbPassword, token, wrong}) {
    EXPECT_FALSE(Contains(log, needle)) << "the server log holds a secret";
  }
  EXPECT_TRUE(Contains(log, root)) << "dev mode prints the root token once on stdout";
}

// Swaps the value columns of two version rows directly in SQLite.
void SwapVersionRows(const std::string& db_path, const std::string& key_a,
                     const std::string& key_b) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
  auto value_of = [&](const std::string& key) {
    sqlite3_stmt* stmt = nullptr;
    const std::string sql =
        "SELECT path, value FROM kv WHERE CAST(path AS TEXT) LIKE '%/v/" + key + "#%'";
    sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr);
    std::pair<std::string, std::string> row;
    if (sqlite3_step(stmt) == SQLITE_ROW) {
      row.first.assign(static_cast<const char*>(sqlite3_column_blob(stmt, 0)),
                       sqlite3_column_bytes(stmt, 0));
      row.second.assign(static_cast<const char*>(sqlite3_column_blob(stmt, 1)),
                        sqlite3_column_bytes(stmt, 1));
    }
    sqlite3_finalize(stmt);
    return row;
  };
  auto a = value_of(key_a);
  auto b = value_of(key_b);
  ASSERT_FALSE(a.first.empty());
  ASSERT_FALSE(b.first.empty());
  for (const auto& [path, value] : {std::pair{a.first, b.second}, std::pair{b.first, a.second}}) {
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(db, "UPDATE kv SET value = ?1 WHERE path = ?2", -1, &stmt, nullptr);
    sqlite3_bind_blob(stmt, 1, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
    sqlite3_bind_blob(stmt, 2, path.data(), static_cast<int>(path.size()), SQLITE_TRANSIENT);
    ASSERT_EQ(sqlite3_step(stmt), SQLITE_DONE);
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
}

TEST(SecurityTest, SwappedCiphertextsFailWithIntegrityErrorNeverTheWrongValue) {
  char tmpl[] = "/tmp/svault-swap-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  {
    VaultProcess vault({}, dir);
    const std::string& root = vault.root_token();
    ASSERT_EQ(vault.Request("POST", "/api/v1/environments", root, R"({"id":"acme"})").status, 201);
    ASSERT_EQ(vault
                  .Request("PUT", "/api/v1/environments/acme/secrets/ALPHA", root,
                           R"({"value":"alpha-value"})")
                  .status,
              201);
    ASSERT_EQ(vault
                  .Request("PUT", "/api/v1/environments/acme/secrets/BRAVO", root,
                           R"({"value":"bravo-value"})")
                  .status,
              201);
    ASSERT_EQ(vault.Stop(), 0);
  }
  SwapVersionRows(dir + "/vault.db", "ALPHA", "BRAVO");
  {
    VaultProcess vault({}, dir);
    const std::string root = ReadFile(dir + "/root.token");
    for (const char* key : {"ALPHA", "BRAVO"}) {
      Response r =
          vault.Request("GET", std::string("/api/v1/environments/acme/values/") + key, root);
      EXPECT_EQ(r.status, 500) << key << ": " << r.body;
      EXPECT_EQ(r.ErrorCode(), "integrity_error");
      EXPECT_FALSE(Contains(r.body, "-value"));
    }
  }
  std::filesystem::remove_all(dir);
  std::filesystem::remove(dir + ".log");
}

TEST(SecurityTest, DataSurvivesRestart) {
  char tmpl[] = "/tmp/svault-restart-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  {
    VaultProcess vault({}, dir);
    ASSERT_EQ(vault.Request("POST", "/api/v1/environments", vault.root_token(), R"({"id":"acme"})")
                  .status,
              201);
    ASSERT_EQ(vault
                  .Request("PUT", "/api/v1/environments/acme/secrets/K", vault.root_token(),
                           R"({"value":"kept"})")
                  .status,
              201);
    EXPECT_TRUE(Contains(vault.LogText(), "Root token"));
    ASSERT_EQ(vault.Stop(), 0);
  }
  {
    VaultProcess vault({}, dir);
    EXPECT_FALSE(Contains(vault.LogText(), "Root token")) << "printed only at initialisation";
    Response r = vault.Request("GET", "/api/v1/environments/acme/values/K", vault.root_token());
    EXPECT_EQ(r.Json().at("value").as_string(), "kept");
  }
  std::filesystem::remove_all(dir);
  std::filesystem::remove(dir + ".log");
}

// Reads every audit record of the running vault, as admin.
std::vector<json::object> AuditRecords(const VaultProcess& vault) {
  std::vector<json::object> records;
  std::string after = "0";
  for (int guard = 0; guard < 100; ++guard) {
    Response r =
        vault.Request("GET", "/api/v1/audit?limit=1000&after=" + after, vault.root_token());
    json::object page = r.Json().as_object();
    for (const auto& item : page["items"].as_array()) records.push_back(item.as_object());
    if (page["next_cursor"].is_null()) break;
    after = std::string(page["next_cursor"].as_string());
  }
  return records;
}

TEST(SecurityTest, EveryRequestLeavesARequestRecordThenAnOutcome) {
  VaultProcess vault;
  const std::string& root = vault.root_token();
  ASSERT_EQ(vault.Request("POST", "/api/v1/environments", root, R"({"id":"acme"})").status, 201);
  ASSERT_EQ(vault
                .Request("PUT", "/api/v1/environments/acme/secrets/SLACK", root,
                         R"({"value":"audit-me-not"})")
                .status,
            201);
  Response revealed = vault.Request("GET", "/api/v1/environments/acme/values/SLACK", root);
  const std::string reveal_id = revealed.headers["x-request-id"];
  ASSERT_FALSE(reveal_id.empty());
  Response denied =
      vault.Request("GET", "/api/v1/environments/acme/values/SLACK", "svt_" + std::string(64, 'b'));
  ASSERT_EQ(denied.status, 401);

  std::vector<json::object> records = AuditRecords(vault);
  std::vector<json::object> reveal;
  for (const auto& r : records) {
    if (r.at("request_id").as_string() == reveal_id) reveal.push_back(r);
    EXPECT_FALSE(Contains(json::serialize(r), "audit-me-not"));
    EXPECT_FALSE(Contains(json::serialize(r), root));
  }
  ASSERT_EQ(reveal.size(), 2u);
  EXPECT_EQ(reveal[0].at("phase").as_string(), "request");
  EXPECT_EQ(reveal[1].at("phase").as_string(), "response");
  EXPECT_LT(reveal[0].at("seq").as_int64(), reveal[1].at("seq").as_int64());
  EXPECT_EQ(reveal[0].at("action").as_string(), "secret.reveal");
  EXPECT_TRUE(reveal[0].at("keys").at(0).at("version").is_null());    // as requested: unpinned
  EXPECT_EQ(reveal[1].at("keys").at(0).at("version").as_int64(), 1);  // as used
  EXPECT_EQ(reveal[1].at("status").as_int64(), 200);
  EXPECT_EQ(reveal[1].at("environment").as_string(), "acme");

  size_t unauthenticated = 0;
  for (const auto& r : records) {
    if (r.contains("status") && r.at("status").as_int64() == 401) {
      ++unauthenticated;
      EXPECT_TRUE(r.at("token_id").is_null());
      EXPECT_EQ(r.at("outcome").as_string(), "unauthenticated");
    }
  }
  EXPECT_EQ(unauthenticated, 1u);
}

TEST(SecurityTest, InitAndUnsealAreInTheChain) {
  char tmpl[] = "/tmp/svault-life-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  {
    VaultProcess vault({}, dir);
    std::vector<json::object> records = AuditRecords(vault);
    ASSERT_GE(records.size(), 2u);
    EXPECT_EQ(records[0].at("action").as_string(), "sys.init");
    EXPECT_EQ(records[0].at("phase").as_string(), "event");
    EXPECT_EQ(records[1].at("action").as_string(), "sys.unseal.dev");
    ASSERT_EQ(vault.Stop(), 0);
  }
  {
    VaultProcess vault({}, dir);
    size_t inits = 0;
    size_t unseals = 0;
    for (const json::object& r : AuditRecords(vault)) {
      inits += r.at("action").as_string() == "sys.init" ? 1 : 0;
      unseals += r.at("action").as_string() == "sys.unseal.dev" ? 1 : 0;
    }
    EXPECT_EQ(inits, 1u);
    EXPECT_EQ(unseals, 2u);
  }
  std::filesystem::remove_all(dir);
  std::filesystem::remove(dir + ".log");
}

TEST(SecurityTest, ManagementRecordsNameWhatTheyActedOn) {
  VaultProcess vault({"--log-level", "debug"});
  const std::string& root = vault.root_token();
  ASSERT_EQ(vault.Request("POST", "/api/v1/environments", root, R"({"id":"acme"})").status, 201);
  Response made = vault.Request("POST", "/api/v1/tokens", root,
                                R"({"role":"developer","environments":["acme"]})");
  const std::string id(made.Json().at("id").as_string());
  const std::string token(made.Json().at("token").as_string());
  ASSERT_EQ(vault.Request("DELETE", "/api/v1/tokens/" + id, root).status, 204);
  // A token pasted where the id belongs, in any spelling, is refused and never recorded.
  std::string upper = token;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const std::string& pasted : {token, upper, token.substr(4), "x" + token}) {
    EXPECT_EQ(vault.Request("DELETE", "/api/v1/tokens/" + pasted, root).status, 404);
  }

  bool env_request = false, created = false, revoked = false, redacted = false;
  for (const json::object& r : AuditRecords(vault)) {
    const std::string text = json::serialize(r);
    EXPECT_FALSE(Contains(text, token.substr(4, 32)));  // no part of its secret half
    EXPECT_FALSE(Contains(text, upper.substr(4, 32)));
    EXPECT_FALSE(Contains(text, root));
    const std::string action(r.at("action").as_string());
    const std::string phase(r.at("phase").as_string());
    const json::value& target = r.at("target");
    if (action == "env.create" && phase == "request") {
      env_request = r.at("environment").as_string() == "acme";
    }
    if (action == "token.create" && phase == "response") created = target.as_string() == id;
    if (action == "token.revoke" && phase == "request" && target.as_string() == id) revoked = true;
    if (action == "token.revoke" && target.is_string() &&
        target.as_string() == "[not a token id]") {
      redacted = true;
    }
  }
  const std::string log = vault.LogText();
  EXPECT_TRUE(Contains(log, "/api/v1/tokens/[not a token id]")) << "debug logs name the calls";
  EXPECT_FALSE(Contains(log, token.substr(4, 32)));
  EXPECT_FALSE(Contains(log, upper.substr(4, 32)));
  EXPECT_TRUE(env_request);
  EXPECT_TRUE(created);
  EXPECT_TRUE(revoked);
  EXPECT_TRUE(redacted);
}

TEST(SecurityTest, AuditorsSeeOnlyTheirEnvironments) {
  VaultProcess vault;
  const std::string& root = vault.root_token();
  for (const char* env : {"acme", "other"}) {
    ASSERT_EQ(vault
                  .Request("POST", "/api/v1/environments", root,
                           std::string(R"({"id":")") + env + R"("})")
                  .status,
              201);
    ASSERT_EQ(vault
                  .Request("PUT", std::string("/api/v1/environments/") + env + "/secrets/K", root,
                           R"({"value":"v"})")
                  .status,
              201);
  }
  Response made = vault.Request("POST", "/api/v1/tokens", root,
                                R"({"role":"auditor","environments":["acme"]})");
  const std::string auditor(made.Json().at("token").as_string());
  Response r = vault.Request("GET", "/api/v1/audit?limit=1000", auditor);
  ASSERT_EQ(r.status, 200);
  size_t acme = 0;
  const json::value body = r.Json();
  for (const auto& item : body.at("items").as_array()) {
    const json::value& env = item.at("environment");
    EXPECT_TRUE(env.is_null() || env.as_string() == "acme") << json::serialize(item);
    acme += (!env.is_null() && env.as_string() == "acme") ? 1 : 0;
  }
  EXPECT_EQ(acme, 4u);  // the create and the put, a request and an outcome record each
}

// A 64 KB tmpfs (root only) for an audit directory that fills up; gone at the end.
class TinyTmpfs {
 public:
  TinyTmpfs() {
    char tmpl[] = "/tmp/svault-tinyfs-XXXXXX";
    path_ = mkdtemp(tmpl);
    mounted_ = ::mount("tmpfs", path_.c_str(), "tmpfs", 0, "size=64k,mode=0700") == 0;
    if (!mounted_) error_ = std::strerror(errno);
  }
  ~TinyTmpfs() {
    Unmount();
    std::filesystem::remove_all(path_);
  }
  TinyTmpfs(const TinyTmpfs&) = delete;
  TinyTmpfs& operator=(const TinyTmpfs&) = delete;

  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }
  const std::string& path() const { return path_; }
  void Unmount() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
    mounted_ = false;
  }

 private:
  std::string path_;
  std::string error_;
  bool mounted_ = false;
};

TEST(SecurityTest, AuditFileThatCannotGrowFailsClosed) {
  TinyTmpfs tmpfs;
  if (!tmpfs.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (needs root): " << tmpfs.error();
  const std::string& mount_point = tmpfs.path();
  {
    VaultProcess vault({"--audit-dir", mount_point});
    const std::string& root = vault.root_token();
    ASSERT_EQ(vault.Request("POST", "/api/v1/environments", root, R"({"id":"acme"})").status, 201);
    // Fill the audit filesystem with requests until the vault refuses.
    int last = 0;
    int writes = 0;
    int made = 0;  // 503s that say the change was made (its outcome record could not be written)
    for (int i = 0; i < 2000 && last != 503; ++i) {
      Response put =
          vault.Request("PUT", "/api/v1/environments/acme/secrets/K", root, R"({"value":"v"})");
      last = put.status;
      if (last == 200 || last == 201) ++writes;
      if (last == 503 && Contains(put.body, "the change was made")) ++made;
    }
    ASSERT_EQ(last, 503);
    Response refused = vault.Request("PUT", "/api/v1/environments/acme/secrets/K", root,
                                     R"({"value":"after-full"})");
    EXPECT_EQ(refused.status, 503);
    EXPECT_EQ(refused.ErrorCode(), "unavailable");
    Response reveal = vault.Request("GET", "/api/v1/environments/acme/values/K", root);
    EXPECT_EQ(reveal.status, 503);
    EXPECT_FALSE(Contains(reveal.body, "\"value\""));
    // Nothing the refused requests asked for happened: stop, give the audit room, look.
    ASSERT_EQ(vault.Stop(), 0);
    tmpfs.Unmount();
    VaultProcess reopened({}, vault.dir());
    Response versions = reopened.Request("GET", "/api/v1/environments/acme/versions/K?limit=1000",
                                         reopened.root_token());
    ASSERT_EQ(versions.status, 200) << versions.body;
    // Each successful put made a version, and so did each put whose answer said the change was
    // made though its outcome record could not be written; no refused put did.
    const size_t versions_count = versions.Json().at("items").as_array().size();
    EXPECT_EQ(versions_count, static_cast<size_t>(writes + made));
    Response value =
        reopened.Request("GET", "/api/v1/environments/acme/values/K", reopened.root_token());
    EXPECT_EQ(value.Json().at("value").as_string(), "v");
  }
}

// Tokens created while the audit disk fills: every token that exists afterwards was either
// answered (201) or named by id in a 503 that says the change was made, so none is live and
// unknown.
TEST(SecurityTest, ATokenCreatedAsTheAuditFillsIsNeverUnknown) {
  TinyTmpfs tmpfs;
  if (!tmpfs.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (needs root): " << tmpfs.error();
  const std::string& mount_point = tmpfs.path();
  {
    VaultProcess vault({"--audit-dir", mount_point});
    const std::string root = vault.root_token();
    std::mutex mu;
    std::set<std::string> known;
    std::vector<std::thread> creators;
    for (int t = 0; t < 8; ++t) {
      creators.emplace_back([&] {
        for (int i = 0; i < 400; ++i) {
          Response r = vault.Request("POST", "/api/v1/tokens", root, R"({"role":"admin"})");
          std::lock_guard lock(mu);
          if (r.status == 201) known.insert(std::string(r.Json().at("id").as_string()));
          if (r.status == 503 && Contains(r.body, "the change was made")) {
            known.insert(std::string(r.Json().at("target").as_string()));
          }
          if (r.status == 503) return;
        }
      });
    }
    for (std::thread& creator : creators) creator.join();
    ASSERT_EQ(vault.Stop(), 0);
    tmpfs.Unmount();
    VaultProcess reopened({}, vault.dir());
    Response self = reopened.Request("GET", "/api/v1/tokens/self", reopened.root_token());
    ASSERT_EQ(self.status, 200);
    known.insert(std::string(self.Json().at("id").as_string()));
    Response list = reopened.Request("GET", "/api/v1/tokens?limit=1000", reopened.root_token());
    ASSERT_EQ(list.status, 200) << list.body;
    const boost::json::value listed = list.Json();
    for (const auto& item : listed.at("items").as_array()) {
      const std::string id(item.at("id").as_string());
      EXPECT_EQ(known.count(id), 1u) << "a live token nobody was told of: " << id;
    }
  }
}

TEST(SecurityTest, SigtermDrainsAndExitsCleanly) {
  VaultProcess vault;
  const std::string& root = vault.root_token();
  ASSERT_EQ(vault.Request("POST", "/api/v1/environments", root, R"({"id":"acme"})").status, 201);
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0};
  std::atomic<int> bad{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; !stop; ++i) {
        Response r = vault.Request(
            "PUT",
            "/api/v1/environments/acme/secrets/w" + std::to_string(w) + "-" + std::to_string(i),
            root, R"({"value":"v"})");
        if (r.status == 201) {
          ++ok;
        } else if (r.status != 0) {
          ++bad;  // a request that got an answer must have succeeded
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(vault.Stop(), 0);
  stop = true;
  for (auto& t : writers) t.join();
  EXPECT_GT(ok.load(), 0);
  EXPECT_EQ(bad.load(), 0);
  EXPECT_TRUE(Contains(vault.LogText(), "server stopped"));
}

}  // namespace
}  // namespace svault::testing
