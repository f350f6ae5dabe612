// Init, unseal with key shares, seal, keyring rotation, rekey and data-key rotation, through the
// real binary (issue #4). Shares are checked on entry; a quorum that does not open the root key
// resets progress; old shares stop working after a rekey.
#include <gtest/gtest.h>
#include <sodium.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <sstream>
#include <thread>

#include "harness.h"

namespace svault::testing {
namespace {

namespace json = boost::json;

std::string TempDir() {
  char tmpl[] = "/tmp/svault-life-XXXXXX";
  return mkdtemp(tmpl);
}

std::string Str(const json::value& v) { return std::string(v.as_string()); }

// The checksum of a share body, as svault computes it (BLAKE2b, 4 bytes, hex).
std::string ShareChecksum(const std::string& body) {
  unsigned char out[4];
  crypto_generichash(out, sizeof(out), reinterpret_cast<const unsigned char*>(body.data()),
                     body.size(), nullptr, 0);
  static const char* kHex = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : out) {
    hex += kHex[c >> 4];
    hex += kHex[c & 15];
  }
  return hex;
}

// A share with a valid shape and checksum but other bytes: only combination can tell.
std::string Forge(const std::string& share) {
  std::string body = share.substr(0, share.rfind('-'));
  const size_t bytes_at = body.rfind('-') + 1;
  body[bytes_at] = body[bytes_at] == '0' ? '1' : '0';
  return body + "-" + ShareChecksum(body);
}

class LifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir();
    Start();
    Response init = vault_->Request("POST", "/api/v1/sys/init", "", "{}");
    ASSERT_EQ(init.status, 200) << init.body;
    const json::value body = init.Json();
    for (const auto& s : body.at("shares").as_array()) shares_.push_back(Str(s));
    root_ = Str(body.at("root_token"));
  }
  void TearDown() override {
    vault_.reset();
    std::filesystem::remove_all(dir_);
    std::filesystem::remove(dir_ + ".log");
  }

  void Start(std::vector<std::string> extra = {}) {
    vault_ = std::make_unique<VaultProcess>(extra, dir_, /*dev=*/false);
  }
  void Restart(std::vector<std::string> extra = {}) {
    ASSERT_EQ(vault_->Stop(), 0);
    Start(std::move(extra));
  }

  Response Enter(const std::string& share) {
    return vault_->Request("POST", "/api/v1/sys/unseal", "",
                           json::serialize(json::object{{"share", share}}));
  }
  Response Status() { return vault_->Request("GET", "/api/v1/sys/seal-status"); }
  void Unseal(std::vector<size_t> which, const std::vector<std::string>& shares) {
    Response last;
    for (size_t i : which) last = Enter(shares[i]);
    ASSERT_EQ(last.status, 200) << last.body;
    ASSERT_EQ(last.Json().at("sealed"), false) << last.body;
  }
  void Unseal(std::vector<size_t> which) { Unseal(std::move(which), shares_); }

  std::vector<json::object> Audit() {
    std::vector<json::object> records;
    std::string after = "0";
    while (true) {
      const json::value page =
          vault_->Request("GET", "/api/v1/audit?limit=1000&after=" + after, root_).Json();
      for (const auto& item : page.at("items").as_array()) records.push_back(item.as_object());
      if (page.at("next_cursor").is_null()) return records;
      after = Str(page.at("next_cursor"));
    }
  }

  std::string dir_;
  std::unique_ptr<VaultProcess> vault_;
  std::vector<std::string> shares_;
  std::string root_;
};

TEST(LifecycleUninitialisedTest, OnlyHealthSealStatusAndInitAnswer) {
  const std::string dir = TempDir();
  {
    VaultProcess vault({}, dir, /*dev=*/false);
    Response health = vault.Request("GET", "/api/v1/sys/health");
    EXPECT_EQ(health.status, 503);
    EXPECT_EQ(health.Json().at("initialized"), false);
    Response status = vault.Request("GET", "/api/v1/sys/seal-status");
    EXPECT_EQ(status.status, 200);
    EXPECT_EQ(status.Json().at("initialized"), false);
    EXPECT_EQ(vault.Request("GET", "/api/v1/environments", "svt_x").ErrorCode(), "uninitialized");
    EXPECT_EQ(vault.Request("POST", "/api/v1/sys/seal", "svt_x").ErrorCode(), "uninitialized");
    EXPECT_EQ(vault.Request("POST", "/api/v1/sys/unseal", "", R"({"reset":true})").ErrorCode(),
              "uninitialized");
    // Bad init bodies change nothing.
    for (const std::string body :
         {R"({"shares":3,"threshold":4})", R"({"shares":0})", R"({"shares":17,"threshold":2})",
          R"({"threshold":0})", R"({"shares":"5"})", R"({"colour":1})",
          R"({"auto_unseal":true,"shares":3})", "[1]"}) {
      Response r = vault.Request("POST", "/api/v1/sys/init", "", body);
      EXPECT_EQ(r.status, 422) << body << " " << r.body;
    }
    EXPECT_EQ(vault.Request("POST", "/api/v1/sys/init", "", "{").status, 400);
    EXPECT_EQ(vault.Request("GET", "/api/v1/sys/seal-status").Json().at("initialized"), false);
  }
  std::filesystem::remove_all(dir);
  std::filesystem::remove(dir + ".log");
}

TEST_F(LifecycleTest, InitAnswersFiveSharesOnceAndLeavesTheVaultSealed) {
  ASSERT_EQ(shares_.size(), 5u);
  EXPECT_TRUE(root_.starts_with("svt_"));
  json::value status = Status().Json();
  EXPECT_EQ(status.at("initialized"), true);
  EXPECT_EQ(status.at("sealed"), true);
  EXPECT_EQ(status.at("progress"), 0);
  EXPECT_EQ(status.at("threshold"), 3);
  EXPECT_EQ(status.at("type"), "shamir");
  EXPECT_EQ(vault_->Request("GET", "/api/v1/environments", root_).ErrorCode(), "sealed");
  EXPECT_EQ(vault_->Request("POST", "/api/v1/sys/init", "", "{}").status, 409);
  // Shares are never stored, nor logged.
  for (const std::string& file : FilesUnder(dir_)) {
    const std::string bytes = ReadFile(file);
    for (const std::string& share : shares_) {
      EXPECT_EQ(bytes.find(share.substr(24, 40)), std::string::npos) << file;
    }
    EXPECT_EQ(bytes.find(root_), std::string::npos) << file;
  }
  const std::string log = vault_->LogText();
  for (const std::string& share : shares_) {
    EXPECT_EQ(log.find(share.substr(24, 40)), std::string::npos);
  }
}

TEST_F(LifecycleTest, SharesAreCheckedOnEntryAndCountOnce) {
  // Malformed: refused at once, not counted, and never echoed.
  std::string typo = shares_[0];
  typo[30] = typo[30] == 'a' ? 'b' : 'a';
  Response bad = Enter(typo);
  EXPECT_EQ(bad.status, 422) << bad.body;
  EXPECT_EQ(bad.Json().at("progress"), 0) << "an error keeps the seal-status shape";
  EXPECT_EQ(bad.Json().at("sealed"), true);
  EXPECT_EQ(bad.body.find(typo.substr(24, 40)), std::string::npos);
  EXPECT_EQ(Enter("hello").status, 422);
  EXPECT_EQ(vault_->Request("POST", "/api/v1/sys/unseal", "", R"({})").status, 422);
  EXPECT_EQ(vault_->Request("POST", "/api/v1/sys/unseal", "", "").status, 400);

  // Repeated: counts once.
  EXPECT_EQ(Enter(shares_[0]).Json().at("progress"), 1);
  EXPECT_EQ(Enter(shares_[0]).Json().at("progress"), 1);
  EXPECT_EQ(Enter(shares_[1]).Json().at("progress"), 2);

  // Reset forgets them.
  Response reset = vault_->Request("POST", "/api/v1/sys/unseal", "", R"({"reset":true})");
  EXPECT_EQ(reset.status, 200);
  EXPECT_EQ(reset.Json().at("progress"), 0);
  EXPECT_EQ(Status().Json().at("sealed"), true);
}

TEST_F(LifecycleTest, AShareOfAnotherVaultIsRefused) {
  const std::string other_dir = TempDir();
  std::string other_share;
  {
    VaultProcess other({}, other_dir, /*dev=*/false);
    Response init = other.Request("POST", "/api/v1/sys/init", "", "{}");
    other_share = Str(init.Json().at("shares").as_array()[0]);
  }
  Response r = Enter(other_share);
  EXPECT_EQ(r.status, 422);
  EXPECT_NE(r.body.find("another vault"), std::string::npos) << r.body;
  EXPECT_EQ(r.Json().at("progress"), 0);
  std::filesystem::remove_all(other_dir);
  std::filesystem::remove(other_dir + ".log");
}

// A share altered behind a valid checksum (or forged by someone who saw a share's shape) is not
// one the vault made: refused on entry, not counted.
TEST_F(LifecycleTest, AForgedShareIsRefusedOnEntry) {
  EXPECT_EQ(Enter(shares_[0]).Json().at("progress"), 1);
  Response forged = Enter(Forge(shares_[1]));
  EXPECT_EQ(forged.status, 422) << forged.body;
  EXPECT_NE(forged.body.find("altered or forged"), std::string::npos) << forged.body;
  EXPECT_EQ(forged.Json().at("progress"), 1);
  // A forged share with the index of a real one does not take its place.
  Unseal({1, 2});
}

// A quorum whose combination does not open the root key (here: the stored wrapped root key was
// replaced behind the vault's back) answers "combination failed" and starts over.
TEST_F(LifecycleTest, AWrongQuorumFailsAndResetsProgress) {
  ASSERT_EQ(vault_->Stop(), 0);
  std::string saved;
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ + "/vault.db").c_str(), &db), SQLITE_OK);
    sqlite3_stmt* read = nullptr;
    sqlite3_prepare_v2(db, "SELECT value FROM kv WHERE path = CAST('sys/root' AS BLOB)", -1, &read,
                       nullptr);
    ASSERT_EQ(sqlite3_step(read), SQLITE_ROW);
    saved.assign(static_cast<const char*>(sqlite3_column_blob(read, 0)),
                 sqlite3_column_bytes(read, 0));
    sqlite3_finalize(read);
    std::string altered = saved;
    altered[altered.size() / 2] ^= 0x01;
    sqlite3_stmt* write = nullptr;
    sqlite3_prepare_v2(db, "UPDATE kv SET value = ?1 WHERE path = CAST('sys/root' AS BLOB)", -1,
                       &write, nullptr);
    sqlite3_bind_blob(write, 1, altered.data(), static_cast<int>(altered.size()), SQLITE_STATIC);
    ASSERT_EQ(sqlite3_step(write), SQLITE_DONE);
    sqlite3_finalize(write);
    sqlite3_close(db);
  }
  Start();
  EXPECT_EQ(Enter(shares_[0]).status, 200);
  EXPECT_EQ(Enter(shares_[1]).status, 200);
  Response r = Enter(shares_[2]);
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_NE(r.body.find("combination failed"), std::string::npos) << r.body;
  EXPECT_EQ(r.Json().at("progress"), 0);
  EXPECT_EQ(r.Json().at("sealed"), true);
}

TEST_F(LifecycleTest, UnsealThenRestartSealedThenAnotherQuorum) {
  Unseal({0, 1, 2});
  EXPECT_EQ(vault_->Request("GET", "/api/v1/sys/health").status, 200);
  ASSERT_EQ(vault_->Request("POST", "/api/v1/environments", root_, R"({"id":"acme"})").status, 201);
  ASSERT_EQ(
      vault_->Request("PUT", "/api/v1/environments/acme/secrets/K", root_, R"({"value":"kept"})")
          .status,
      201);
  Restart();
  EXPECT_EQ(Status().Json().at("sealed"), true);
  EXPECT_EQ(vault_->Request("GET", "/api/v1/environments/acme/values/K", root_).ErrorCode(),
            "sealed");
  Unseal({4, 1, 3});
  Response value = vault_->Request("GET", "/api/v1/environments/acme/values/K", root_);
  EXPECT_EQ(value.status, 200);
  EXPECT_EQ(value.Json().at("value"), "kept");

  // The chain holds the init, and each unseal with what happened while sealed.
  std::vector<json::object> records = Audit();
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(records[0].at("action"), "sys.init");
  EXPECT_EQ(records[0].at("target"), "shares=5 threshold=3");
  std::vector<std::string> unseals;
  for (const json::object& r : records) {
    if (r.at("action") == "sys.unseal") unseals.push_back(Str(r.at("target")));
  }
  ASSERT_EQ(unseals.size(), 2u);
  for (const std::string& summary : unseals) {
    EXPECT_NE(summary.find("shares_accepted=3"), std::string::npos) << summary;
  }
  EXPECT_NE(unseals[1].find("requests_refused=1"), std::string::npos) << unseals[1];
}

TEST_F(LifecycleTest, SealNeedsAdminThenRefusesEverything) {
  Unseal({0, 1, 2});
  ASSERT_EQ(vault_->Request("POST", "/api/v1/environments", root_, R"({"id":"acme"})").status, 201);
  Response made = vault_->Request("POST", "/api/v1/tokens", root_,
                                  R"({"role":"security","environments":["acme"]})");
  const std::string security = Str(made.Json().at("token"));
  EXPECT_EQ(vault_->Request("POST", "/api/v1/sys/seal", security).status, 403);
  EXPECT_EQ(vault_->Request("POST", "/api/v1/sys/seal", "").status, 401);
  EXPECT_EQ(vault_->Request("POST", "/api/v1/sys/seal", root_).status, 204);
  EXPECT_EQ(vault_->Request("GET", "/api/v1/sys/health").status, 503);
  EXPECT_EQ(vault_->Request("GET", "/api/v1/environments", root_).ErrorCode(), "sealed");
  EXPECT_EQ(vault_->Request("POST", "/api/v1/sys/seal", root_).ErrorCode(), "sealed");
  Unseal({0, 3, 4});
  EXPECT_EQ(vault_->Request("GET", "/api/v1/environments/acme", security).status, 200);
  // The seal is in the chain, request and outcome.
  size_t seal_records = 0;
  for (const json::object& r : Audit()) seal_records += r.at("action") == "sys.seal" ? 1 : 0;
  EXPECT_EQ(seal_records, 6u);  // request and outcome of the 403, the 401 and the 204
}

TEST_F(LifecycleTest, ASealRacingInFlightReadsNeverAnswersAWrongValue) {
  Unseal({0, 1, 2});
  ASSERT_EQ(vault_->Request("POST", "/api/v1/environments", root_, R"({"id":"acme"})").status, 201);
  for (int i = 0; i < 8; ++i) {
    ASSERT_EQ(vault_
                  ->Request("PUT", "/api/v1/environments/acme/secrets/K" + std::to_string(i), root_,
                            R"({"value":"value-)" + std::to_string(i) + R"("})")
                  .status,
              201);
  }
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0};
  std::atomic<int> sealed{0};
  std::atomic<int> wrong{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&, t] {
      for (int n = 0; !stop; ++n) {
        const int i = (n + t) % 8;
        Response r =
            vault_->Request("GET", "/api/v1/environments/acme/values/K" + std::to_string(i), root_);
        if (r.status == 200 && Str(r.Json().at("value")) == "value-" + std::to_string(i)) {
          ++ok;
        } else if (r.status == 503 && r.ErrorCode() == "sealed") {
          ++sealed;
        } else {
          ++wrong;
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(vault_->Request("POST", "/api/v1/sys/seal", root_).status, 204);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  stop = true;
  for (std::thread& t : readers) t.join();
  EXPECT_GT(ok.load(), 0);
  EXPECT_GT(sealed.load(), 0);
  EXPECT_EQ(wrong.load(), 0);
  Unseal({0, 1, 2});

  // Every request that began has its outcome, and the chain verifies.
  std::map<std::string, int> phases;
  for (const json::object& r : Audit()) {
    // Events have one record; the audit read that fetches this has no outcome yet.
    if (r.at("phase") == "event" || r.at("action") == "audit.read") continue;
    phases[Str(r.at("request_id"))] += r.at("phase") == "request" ? 1 : 10;
  }
  for (const auto& [id, sum] : phases) EXPECT_EQ(sum, 11) << id;
  CliResult verify =
      RunCli({"audit", "verify", "--partial", dir_ + "/audit/audit-000001.jsonl"}, "",
             {{"SVAULT_ADDR", "http://127.0.0.1:" + std::to_string(vault_->port())},
              {"SVAULT_TOKEN", root_}});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

TEST_F(LifecycleTest, RotateThenRestartKeepsEveryValue) {
  Unseal({0, 1, 2});
  ASSERT_EQ(vault_->Request("POST", "/api/v1/environments", root_, R"({"id":"acme"})").status, 201);
  ASSERT_EQ(vault_->Request("POST", "/api/v1/environments", root_, R"({"id":"beta"})").status, 201);
  vault_->Request("PUT", "/api/v1/environments/acme/secrets/A", root_, R"({"value":"a1"})");
  vault_->Request("PUT", "/api/v1/environments/beta/secrets/B", root_, R"({"value":"b1"})");
  std::string before = ReadFile(dir_ + "/vault.db");

  Response rotated = vault_->Request("POST", "/api/v1/sys/rotate", root_);
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  EXPECT_EQ(rotated.Json().at("term"), 2);
  EXPECT_EQ(vault_->Request("POST", "/api/v1/sys/rotate", root_).Json().at("term"), 3);
  vault_->Request("PUT", "/api/v1/environments/acme/secrets/A", root_, R"({"value":"a2"})");
  Restart();
  Unseal({0, 1, 2});
  auto value = [&](const std::string& path) {
    return Str(vault_->Request("GET", "/api/v1/environments/" + path, root_).Json().at("value"));
  };
  EXPECT_EQ(value("acme/values/A?version=1"), "a1");
  EXPECT_EQ(value("acme/values/A"), "a2");
  EXPECT_EQ(value("beta/values/B"), "b1");
  // A new environment after rotation works too.
  ASSERT_EQ(vault_->Request("POST", "/api/v1/environments", root_, R"({"id":"gamma"})").status,
            201);
  vault_->Request("PUT", "/api/v1/environments/gamma/secrets/C", root_, R"({"value":"c1"})");
  EXPECT_EQ(value("gamma/values/C"), "c1");
}

TEST_F(LifecycleTest, RekeyReplacesTheSharesAndTheOldOnesStopWorking) {
  Unseal({0, 1, 2});
  Response start =
      vault_->Request("POST", "/api/v1/sys/rekey/init", root_, R"({"shares":3,"threshold":2})");
  ASSERT_EQ(start.status, 200) << start.body;
  const std::string nonce = Str(start.Json().at("nonce"));
  EXPECT_EQ(start.Json().at("required"), 3);
  EXPECT_EQ(
      vault_->Request("POST", "/api/v1/sys/rekey/init", root_, R"({"shares":3,"threshold":2})")
          .status,
      409);
  auto update = [&](const std::string& n, const std::string& share) {
    return vault_->Request("POST", "/api/v1/sys/rekey/update", root_,
                           json::serialize(json::object{{"nonce", n}, {"share", share}}));
  };
  EXPECT_EQ(update("00", shares_[0]).status, 404);
  EXPECT_EQ(update(nonce, "junk").status, 422);
  EXPECT_EQ(update(nonce, shares_[0]).Json().at("progress"), 1);
  EXPECT_EQ(update(nonce, shares_[0]).Json().at("progress"), 1);
  EXPECT_EQ(update(nonce, shares_[3]).Json().at("progress"), 2);
  Response done = update(nonce, shares_[4]);
  ASSERT_EQ(done.status, 200) << done.body;
  EXPECT_EQ(done.headers["cache-control"], "no-store");
  std::vector<std::string> fresh;
  const json::value done_body = done.Json();
  for (const auto& s : done_body.at("new_shares").as_array()) fresh.push_back(Str(s));
  ASSERT_EQ(fresh.size(), 3u);
  EXPECT_EQ(vault_->Request("GET", "/api/v1/sys/rekey", root_).Json().at("verifying"), true);
  EXPECT_EQ(update(nonce, shares_[1]).status, 409) << "the current quorum is done";

  // The new shares take effect only once a quorum of them is entered back.
  auto verify = [&](const std::string& share) {
    return vault_->Request("POST", "/api/v1/sys/rekey/verify", root_,
                           json::serialize(json::object{{"nonce", nonce}, {"share", share}}));
  };
  EXPECT_EQ(verify(shares_[0]).status, 422) << "an old share is not a new one";
  EXPECT_EQ(verify(fresh[1]).Json().at("verify_progress"), 1);
  Response complete = verify(fresh[2]);
  ASSERT_EQ(complete.status, 200) << complete.body;
  EXPECT_EQ(complete.Json().at("complete"), true);
  EXPECT_EQ(vault_->Request("GET", "/api/v1/sys/rekey", root_).Json().at("started"), false);

  Restart();
  EXPECT_EQ(Status().Json().at("threshold"), 2);
  Response old = Enter(shares_[0]);
  EXPECT_EQ(old.status, 422);
  EXPECT_NE(old.body.find("rekey replaced"), std::string::npos) << old.body;
  Unseal({2, 0}, fresh);

  // A rekey can be cancelled; its shares then count for nothing.
  Response again =
      vault_->Request("POST", "/api/v1/sys/rekey/init", root_, R"({"shares":2,"threshold":2})");
  ASSERT_EQ(again.status, 200);
  EXPECT_EQ(vault_->Request("DELETE", "/api/v1/sys/rekey", root_).status, 204);
  EXPECT_EQ(update(Str(again.Json().at("nonce")), fresh[0]).status, 404);
  EXPECT_EQ(vault_->Request("DELETE", "/api/v1/sys/rekey", root_).status, 404);
}

// New shares that never reach their holders (a lost answer, a failed audit record, a restart)
// change nothing: until they are entered back, the old shares keep working.
TEST_F(LifecycleTest, NewSharesThatAreNeverVerifiedChangeNothing) {
  Unseal({0, 1, 2});
  Response start =
      vault_->Request("POST", "/api/v1/sys/rekey/init", root_, R"({"shares":2,"threshold":2})");
  const std::string nonce = Str(start.Json().at("nonce"));
  Response done;
  for (size_t i : {0, 1, 2}) {
    done = vault_->Request("POST", "/api/v1/sys/rekey/update", root_,
                           json::serialize(json::object{{"nonce", nonce}, {"share", shares_[i]}}));
  }
  ASSERT_EQ(done.status, 200) << done.body;
  const json::value body = done.Json();
  const std::string fresh = Str(body.at("new_shares").as_array()[0]);
  Restart();
  Response refused = Enter(fresh);
  EXPECT_EQ(refused.status, 422);
  EXPECT_NE(refused.body.find("does not have"), std::string::npos) << refused.body;
  Unseal({3, 4, 0});
}

TEST_F(LifecycleTest, RekeyRefusesForgedShares) {
  Unseal({0, 1, 2});
  Response start =
      vault_->Request("POST", "/api/v1/sys/rekey/init", root_, R"({"shares":2,"threshold":2})");
  const std::string nonce = Str(start.Json().at("nonce"));
  auto update = [&](const std::string& share) {
    return vault_->Request("POST", "/api/v1/sys/rekey/update", root_,
                           json::serialize(json::object{{"nonce", nonce}, {"share", share}}));
  };
  EXPECT_EQ(update(shares_[0]).Json().at("progress"), 1);
  EXPECT_EQ(update(Forge(shares_[1])).status, 422);
  EXPECT_EQ(vault_->Request("GET", "/api/v1/sys/rekey", root_).Json().at("progress"), 1);
  EXPECT_EQ(vault_->Request("DELETE", "/api/v1/sys/rekey", root_).status, 204);
  Restart();
  Unseal({0, 1, 2});
}

}  // namespace
}  // namespace svault::testing

namespace svault::testing {
namespace {

// Data-key generations: rotate-key re-encrypts older versions in the background, every value
// stays readable throughout, and a re-encryption killed half-way resumes at the next start.
class DataKeyRotationTest : public ::testing::Test {
 protected:
  static constexpr int kKeys = 30;
  static constexpr int kVersions = 10;

  void SetUp() override {
    dir_ = TempDir();
    Start({"--reencrypt-batch", "8", "--reencrypt-pause-ms", "40"});
    root_ = vault_->root_token();
    ASSERT_EQ(vault_->Request("POST", "/api/v1/environments", root_, R"({"id":"acme"})").status,
              201);
    for (int v = 1; v <= kVersions; ++v) {
      for (int k = 0; k < kKeys; ++k) {
        ASSERT_EQ(vault_->Request("PUT", Path("secrets", k), root_,
                                  json::serialize(json::object{{"value", Value(k, v)}}))
                          .status /
                      100,
                  2);
      }
    }
  }
  void TearDown() override {
    vault_.reset();
    std::filesystem::remove_all(dir_);
    std::filesystem::remove(dir_ + ".log");
  }

  void Start(std::vector<std::string> extra) {
    vault_ = std::make_unique<VaultProcess>(extra, dir_, /*dev=*/true);
  }
  static std::string Path(const std::string& kind, int k) {
    return "/api/v1/environments/acme/" + kind + "/KEY_" + std::to_string(k);
  }
  static std::string Value(int k, int v) {
    return "value-" + std::to_string(k) + "-" + std::to_string(v);
  }
  json::value Progress() {
    return vault_->Request("GET", "/api/v1/environments/acme/rotate-key", root_).Json();
  }
  // Every version of every key reads back as written.
  void ExpectEveryVersion() {
    for (int k = 0; k < kKeys; ++k) {
      for (int v = 1; v <= kVersions; ++v) {
        Response r =
            vault_->Request("GET", Path("values", k) + "?version=" + std::to_string(v), root_);
        ASSERT_EQ(r.status, 200) << k << "@" << v << " " << r.body;
        ASSERT_EQ(Str(r.Json().at("value")), Value(k, v)) << k << "@" << v;
      }
    }
  }
  void WaitUntilDone() {
    for (int i = 0; i < 600; ++i) {
      if (Progress().at("done") == true) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    FAIL() << "re-encryption did not finish: " << json::serialize(Progress());
  }

  std::string dir_;
  std::unique_ptr<VaultProcess> vault_;
  std::string root_;
};

TEST_F(DataKeyRotationTest, OldVersionsAreReencryptedAndTheOldGenerationDestroyed) {
  json::value before = Progress();
  EXPECT_EQ(before.at("generation"), 1);
  EXPECT_EQ(before.at("done"), true);
  Response rotated = vault_->Request("POST", "/api/v1/environments/acme/rotate-key", root_);
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  EXPECT_EQ(rotated.Json().at("generation"), 2);
  EXPECT_EQ(rotated.Json().at("versions_total"), kKeys * kVersions);
  // Readable throughout, and new writes go to the new generation.
  ExpectEveryVersion();
  ASSERT_EQ(vault_->Request("PUT", Path("secrets", 0), root_, R"({"value":"after"})").status, 200);
  WaitUntilDone();
  json::value after = Progress();
  EXPECT_EQ(after.at("versions_pending"), 0);
  EXPECT_TRUE(after.at("old_generations").as_array().empty());
  ExpectEveryVersion();
  EXPECT_EQ(Str(vault_->Request("GET", Path("values", 0), root_).Json().at("value")), "after");
  // Only admins rotate.
  Response made = vault_->Request("POST", "/api/v1/tokens", root_,
                                  R"({"role":"security","environments":["acme"]})");
  const std::string security = Str(made.Json().at("token"));
  EXPECT_EQ(vault_->Request("POST", "/api/v1/environments/acme/rotate-key", security).status, 403);
  EXPECT_EQ(vault_->Request("POST", "/api/v1/environments/nope/rotate-key", root_).status, 404);
}

TEST_F(DataKeyRotationTest, AReencryptionKilledHalfWayResumesAtTheNextStart) {
  ASSERT_EQ(vault_->Request("POST", "/api/v1/environments/acme/rotate-key", root_).status, 200);
  // Wait until some but not all versions have moved, then kill the server outright.
  bool midway = false;
  for (int i = 0; i < 2000 && !midway; ++i) {
    json::value p = Progress();
    const int64_t pending = p.at("versions_pending").to_number<int64_t>();
    midway = pending > 0 && pending < kKeys * kVersions;
    if (!midway) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ASSERT_TRUE(midway) << json::serialize(Progress());
  vault_->Kill();

  Start({"--reencrypt-batch", "8", "--reencrypt-pause-ms", "40"});
  const int64_t pending = Progress().at("versions_pending").to_number<int64_t>();
  EXPECT_GT(pending, 0) << "the restart found the half-done work";
  ExpectEveryVersion();
  WaitUntilDone();
  ExpectEveryVersion();
}

}  // namespace
}  // namespace svault::testing

namespace svault::testing {
namespace {

// The operator's commands, as the README shows them: init prints each share on its own line,
// unseal reads shares from stdin, rekey replaces them.
TEST(OperatorCliTest, InitUnsealRotateRekeySealThroughTheCli) {
  const std::string dir = TempDir();
  VaultProcess vault({}, dir, /*dev=*/false);
  std::map<std::string, std::string> env = {
      {"SVAULT_ADDR", "http://127.0.0.1:" + std::to_string(vault.port())}};

  CliResult init = RunCli({"operator", "init", "--shares", "3", "--threshold", "2"}, "", env);
  ASSERT_EQ(init.exit_code, 0) << init.err;
  std::vector<std::string> shares;
  std::string root;
  std::istringstream lines(init.out);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("Unseal share ")) shares.push_back(line.substr(line.find(": ") + 2));
    if (line.starts_with("Root token: ")) root = line.substr(12);
  }
  ASSERT_EQ(shares.size(), 3u) << init.out;
  EXPECT_NE(init.err.find("different person"), std::string::npos) << init.err;
  env["SVAULT_TOKEN"] = root;

  // A mistyped share stops a piped unseal with exit 2 and counts nothing.
  CliResult bad = RunCli({"operator", "unseal"}, "svs1-nonsense\n", env);
  EXPECT_EQ(bad.exit_code, 2);
  CliResult unseal = RunCli({"operator", "unseal"}, shares[2] + "\n" + shares[0] + "\n", env);
  ASSERT_EQ(unseal.exit_code, 0) << unseal.err;
  EXPECT_EQ(unseal.out, "unsealed\n");
  for (const std::string& share : shares) {
    EXPECT_EQ(unseal.err.find(share), std::string::npos) << "a share is never echoed";
  }

  ASSERT_EQ(RunCli({"env", "create", "acme"}, "", env).exit_code, 0);
  CliResult rotate_key = RunCli({"env", "rotate-key", "--env", "acme"}, "", env);
  EXPECT_EQ(rotate_key.exit_code, 0) << rotate_key.err;
  EXPECT_NE(rotate_key.out.find("generation        2"), std::string::npos) << rotate_key.out;
  CliResult rotate = RunCli({"operator", "rotate"}, "", env);
  EXPECT_EQ(rotate.exit_code, 0) << rotate.err;
  EXPECT_NE(rotate.out.find("term 2"), std::string::npos) << rotate.out;

  CliResult rekey = RunCli({"operator", "rekey", "--shares", "2", "--threshold", "2"},
                           shares[1] + "\n" + shares[2] + "\n", env);
  ASSERT_EQ(rekey.exit_code, 0) << rekey.err;
  std::vector<std::string> fresh;
  std::istringstream rekey_lines(rekey.out);
  for (std::string line; std::getline(rekey_lines, line);) {
    if (line.starts_with("Unseal share ")) fresh.push_back(line.substr(line.find(": ") + 2));
  }
  ASSERT_EQ(fresh.size(), 2u) << rekey.out;
  // Each new holder enters their share back; the second completes the rekey.
  CliResult first = RunCli({"operator", "rekey", "--verify"}, fresh[0] + "\n", env);
  EXPECT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.err.find("verified 1/2"), std::string::npos) << first.err;
  CliResult second = RunCli({"operator", "rekey", "--verify"}, fresh[1] + "\n", env);
  EXPECT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.out.find("rekey complete"), std::string::npos) << second.out;

  ASSERT_EQ(RunCli({"operator", "seal"}, "", env).exit_code, 0);
  CliResult status = RunCli({"operator", "status", "--json"}, "", env);
  EXPECT_NE(status.out.find(R"("sealed":true)"), std::string::npos) << status.out;
  EXPECT_EQ(RunCli({"operator", "unseal"}, shares[0] + "\n" + shares[1] + "\n", env).exit_code, 2);
  EXPECT_EQ(RunCli({"operator", "unseal", "--reset"}, "", env).exit_code, 0);
  // One holder at a time: the first run leaves progress for the next and exits 0.
  CliResult one = RunCli({"operator", "unseal"}, fresh[0] + "\n", env);
  EXPECT_EQ(one.exit_code, 0) << one.err;
  EXPECT_NE(one.err.find("progress 1/2"), std::string::npos) << one.err;
  CliResult again = RunCli({"operator", "unseal"}, fresh[0] + "\n", env);
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("entered already"), std::string::npos) << again.err;
  EXPECT_EQ(again.err.find("error"), std::string::npos) << again.err;
  CliResult two = RunCli({"operator", "unseal"}, fresh[1] + "\n", env);
  EXPECT_EQ(two.exit_code, 0) << two.err;
  EXPECT_EQ(two.out, "unsealed\n");
  EXPECT_EQ(RunCli({"operator", "unseal"}, "junk\n", env).out, "already unsealed\n");
  std::filesystem::remove_all(dir);
  std::filesystem::remove(dir + ".log");
}

}  // namespace
}  // namespace svault::testing
