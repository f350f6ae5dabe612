#include "vault/vault.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <thread>

#include "storage/sqlite/sqlite_store.h"

namespace svault::vault {
namespace {

class VaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/svault-vault-XXXXXX";
    dir_ = mkdtemp(tmpl);
    store_ = std::move(storage::OpenSqliteStore({.path = dir_ + "/vault.db"}).value());
    VaultOptions options;
    options.audit.dir = dir_ + "/audit";
    vault_ = std::make_unique<Vault>(*store_, clock_, options);
    unseal_key_ =
        std::make_unique<crypto::GuardedKey>(std::move(crypto::GuardedKey::Random().value()));
    auto token = vault_->Initialize(*unseal_key_);
    ASSERT_TRUE(token.ok()) << token.status().ToString();
    root_token_ = std::string(token->Reveal());
    ASSERT_TRUE(vault_->Unseal(*unseal_key_).ok());
    root_ = vault_->Authenticate(root_token_).value();
  }
  // Closes the vault and the store (checkpointing the WAL), then opens and unseals them again;
  // `hooks` gives the store's test hooks (its path is set here).
  void ReopenStore(storage::SqliteOptions hooks = {}) {
    vault_.reset();
    store_.reset();
    hooks.path = dir_ + "/vault.db";
    store_ = std::move(storage::OpenSqliteStore(std::move(hooks)).value());
    VaultOptions options;
    options.audit.dir = dir_ + "/audit";
    vault_ = std::make_unique<Vault>(*store_, clock_, options);
    ASSERT_TRUE(vault_->Unseal(*unseal_key_).ok());
  }

  void TearDown() override {
    vault_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  SecretMeta Put(std::string_view env, std::string_view key, std::string_view value,
                 std::optional<uint64_t> cas = std::nullopt) {
    SecretWrite w;
    w.value = SecretBytes(value);
    w.cas = cas;
    auto meta = vault_->WriteSecret(root_, env, key, std::move(w), nullptr);
    EXPECT_TRUE(meta.ok()) << meta.status().ToString();
    return meta.ok() ? *meta : SecretMeta{};
  }

  Principal Token(Role role, std::vector<std::string> envs, std::string* token_out = nullptr,
                  std::optional<int64_t> ttl = std::nullopt) {
    TokenSpec spec;
    spec.role = role;
    spec.environments = std::move(envs);
    spec.ttl_seconds = ttl;
    auto made = vault_->CreateToken(root_, spec);
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    if (token_out) *token_out = std::string(made->token.Reveal());
    return made->metadata;
  }

  std::string dir_;
  FakeClock clock_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<Vault> vault_;
  std::unique_ptr<crypto::GuardedKey> unseal_key_;
  std::string root_token_;
  Principal root_;
};

TEST_F(VaultTest, RootTokenIsAdminAndNeverExpires) {
  EXPECT_EQ(root_.role, Role::kAdmin);
  EXPECT_FALSE(root_.expires_at_ms.has_value());
  EXPECT_EQ(vault_->Initialize(*unseal_key_).status().code(), Code::kConflict);
}

TEST_F(VaultTest, PutRevealRoundTripsBytesAndVersionsCount) {
  ASSERT_TRUE(vault_->CreateEnvironment(root_, "acme", "").ok());
  const std::string odd("a\0\"\\\n\xff", 6);
  EXPECT_EQ(Put("acme", "SLACK_TOKEN", "v1").version, 1u);
  EXPECT_EQ(Put("acme", "SLACK_TOKEN", odd).version, 2u);
  auto current = vault_->RevealSecret("acme", "SLACK_TOKEN", std::nullopt);
  ASSERT_TRUE(current.ok());
  EXPECT_EQ(current->version, 2u);
  EXPECT_EQ(current->value.Reveal(), odd);
  EXPECT_EQ(vault_->RevealSecret("acme", "SLACK_TOKEN", 1)->value.Reveal(), "v1");
  EXPECT_EQ(vault_->RevealSecret("acme", "SLACK_TOKEN", 3).status().code(), Code::kNotFound);
}

TEST_F(VaultTest, VersionsAreNeverReusedAfterDelete) {
  ASSERT_TRUE(vault_->CreateEnvironment(root_, "acme", "").ok());
  Put("acme", "K", "1");
  Put("acme", "K", "2");
  ASSERT_TRUE(vault_->DeleteSecret("acme", "K").ok());
  EXPECT_EQ(vault_->GetSecret("acme", "K").status().code(), Code::kNotFound);
  EXPECT_EQ(vault_->RevealSecret("acme", "K", 1).status().code(), Code::kNotFound);
  EXPECT_EQ(Put("acme", "K", "3", /*cas=*/0).version, 3u);
  auto versions = vault_->ListVersions("acme", "K", "", 10);
  ASSERT_EQ(versions->items.size(), 1u);
  EXPECT_EQ(versions->items[0].version, 3u);
}

TEST_F(VaultTest, RecreatedEnvironmentNumbersAboveEveryEarlierVersion) {
  ASSERT_TRUE(vault_->CreateEnvironment(root_, "acme", "").ok());
  Put("acme", "K", "1");
  Put("acme", "K", "2");
  Put("acme", "J", "1");
  ASSERT_TRUE(vault_->DeleteEnvironment("acme").ok());
  ASSERT_TRUE(vault_->CreateEnvironment(root_, "acme", "").ok());
  // A definition pinned to K@1 or K@2 finds nothing rather than a new credential.
  EXPECT_EQ(Put("acme", "J", "new").version, 3u);
  EXPECT_EQ(Put("acme", "K", "new").version, 3u);
  EXPECT_EQ(Put("acme", "K", "newer").version, 4u);
  EXPECT_EQ(vault_->RevealSecret("acme", "K", 1).status().code(), Code::kNotFound);

  ASSERT_TRUE(vault_->DeleteEnvironment("acme").ok());
  ASSERT_TRUE(vault_->CreateEnvironment(root_, "acme", "").ok());
  EXPECT_EQ(Put("acme", "X", "x").version, 5u);
  ASSERT_TRUE(vault_->CreateEnvironment(root_, "other", "").ok());
  EXPECT_EQ(Put("other", "X", "x").version, 1u);
}

TEST_F(VaultTest, CheckAndSet) {
  ASSERT_TRUE(vault_->CreateEnvironment(root_, "acme", "").ok());
  Put("acme", "K", "1", 0);
  SecretWrite stale;
  stale.value = SecretBytes("x");
  stale.cas = 0;
  EXPECT_EQ(vault_->WriteSecret(root_, "acme", "K", std::move(stale), nullptr).status().code(),
            Code::kConflict);
  EXPECT_EQ(Put("acme", "K", "2", 1).version, 2u);
  EXPECT_EQ(vault_->RevealSecret("acme", "K", std::nullopt)->value.Reveal(), "2");
}

TEST_F(VaultTest, PatchKeepsUnsetFieldsAndMakesNoVersion) {
  ASSERT_TRUE(vault_->CreateEnvironment(root_, "acme", "").ok());
  SecretWrite w;
  w.value = SecretBytes("v");
  w.description = "d";
  w.type = "token";
  w.tags = std::map<std::string, std::string>{{"team", "ops"}};
  ASSERT_TRUE(vault_->WriteSecret(root_, "acme", "K", std::move(w), nullptr).ok());
  SecretWrite patch;
  patch.description = "new";
  auto meta = vault_->WriteSecret(root_, "acme", "K", std::move(patch), nullptr);
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(meta->version, 1u);
  EXPECT_EQ(meta->description, "new");
  EXPECT_EQ(meta->type, "token");
  EXPECT_EQ(meta->tags.at("team"), "ops");
  SecretWrite patch_missing;
  patch_missing.description = "x";
  EXPECT_EQ(
      vault_->WriteSecret(root_, "acme", "NOPE", std::move(patch_missing), nullptr).status().code(),
      Code::kNotFound);
}

TEST_F(VaultTest, ValueLimitIsInclusive) {
  ASSERT_TRUE(vault_->CreateEnvironment(root_, "acme", "").ok());
  Put("acme", "AT_LIMIT", std::string(64 * 1024, 'x'));
  SecretWrite over;
  over.value = SecretBytes(std::string(64 * 1024 + 1, 'x'));
  EXPECT_EQ(vault_->WriteSecret(root_, "acme", "OVER", std::move(over), nullptr).status().code(),
            Code::kTooLarge);
  EXPECT_EQ(vault_->GetSecret("acme", "OVER").status().code(), Code::kNotFound);
}

TEST_F(VaultTest, ListSecretsPagesInKeyOrderWithPrefix) {
  ASSERT_TRUE(vault_->CreateEnvironment(root_, "acme", "").ok());
  for (const char* k : {"db/host", "db/pass", "slack/token", "a", "db-other"}) Put("acme", k, "v");
  auto page1 = vault_->ListSecrets("acme", "db/", "", 1);
  ASSERT_EQ(page1->items.size(), 1u);
  EXPECT_EQ(page1->items[0].key, "db/host");
  ASSERT_TRUE(page1->next_cursor.has_value());
  auto page2 = vault_->ListSecrets("acme", "db/", *page1->next_cursor, 1);
  ASSERT_EQ(page2->items.size(), 1u);
  EXPECT_EQ(page2->items[0].key, "db/pass");
  EXPECT_FALSE(page2->next_cursor.has_value());
  auto all = vault_->ListSecrets("acme", "", "", 100);
  ASSERT_EQ(all->items.size(), 5u);
  EXPECT_EQ(all->items[0].key, "a");
  EXPECT_EQ(all->items[1].key, "db-other");  // '-' sorts before '/'
}

TEST_F(VaultTest, SwappedCiphertextsFailIntegrityNeverWrongValue) {
  ASSERT_TRUE(vault_->CreateEnvironment(root_, "acme", "").ok());
  Put("acme", "A", "alpha");
  Put("acme", "B", "bravo");
  // Swap the stored version rows of A and B underneath the vault.
  {
    auto txn = std::move(store_->Begin(storage::TxnMode::kWrite).value());
    auto envs = txn->Scan("e/", "", 100).value();
    std::string a_path, b_path;
    for (const auto& e : envs) {
      if (e.path.find("/v/A#") != std::string::npos) a_path = e.path;
      if (e.path.find("/v/B#") != std::string::npos) b_path = e.path;
    }
    auto a = txn->Get(a_path).value().value();
    auto b = txn->Get(b_path).value().value();
    ASSERT_TRUE(txn->Put(a_path, b).ok());
    ASSERT_TRUE(txn->Put(b_path, a).ok());
    ASSERT_TRUE(txn->Commit().ok());
  }
  EXPECT_EQ(vault_->RevealSecret("acme", "A", std::nullopt).status().code(), Code::kIntegrityError);
  EXPECT_EQ(vault_->RevealSecret("acme", "B", std::nullopt).status().code(), Code::kIntegrityError);
}

TEST_F(VaultTest, TokensAuthenticateExpireAndRevoke) {
  ASSERT_TRUE(vault_->CreateEnvironment(root_, "acme", "").ok());
  std::string token;
  Principal dev = Token(Role::kDeveloper, {"acme"}, &token, 60);
  auto who = vault_->Authenticate(token);
  ASSERT_TRUE(who.ok());
  EXPECT_EQ(who->token_id, dev.token_id);
  EXPECT_EQ(who->role, Role::kDeveloper);

  EXPECT_EQ(vault_->Authenticate(token + "0").status().code(), Code::kUnauthenticated);
  EXPECT_EQ(vault_->Authenticate("svt_" + std::string(64, '0')).status().code(),
            Code::kUnauthenticated);
  clock_.Advance(61'000);
  EXPECT_EQ(vault_->Authenticate(token).status().code(), Code::kUnauthenticated);

  std::string token2;
  Principal sec = Token(Role::kSecurity, {"acme"}, &token2);
  ASSERT_TRUE(vault_->RevokeToken(sec.token_id).ok());
  EXPECT_EQ(vault_->Authenticate(token2).status().code(), Code::kUnauthenticated);
  EXPECT_EQ(vault_->RevokeToken(sec.token_id).code(), Code::kNotFound);
}

TEST_F(VaultTest, LastAdminCannotBeRevoked) {
  EXPECT_EQ(vault_->RevokeToken(root_.token_id).code(), Code::kConflict);
  EXPECT_TRUE(vault_->Authenticate(root_token_).ok());
}

TEST_F(VaultTest, RootTokenCanBeRotatedThroughAPermanentSuccessor) {
  TokenSpec spec;
  spec.role = Role::kAdmin;
  spec.never_expires = true;
  auto successor = vault_->CreateToken(root_, spec);
  ASSERT_TRUE(successor.ok()) << successor.status().ToString();
  EXPECT_FALSE(successor->metadata.expires_at_ms.has_value());
  ASSERT_TRUE(vault_->RevokeToken(root_.token_id).ok());
  EXPECT_EQ(vault_->Authenticate(root_token_).status().code(), Code::kUnauthenticated);
  // The successor is now the last admin that never expires.
  EXPECT_EQ(vault_->RevokeToken(successor->metadata.token_id).code(), Code::kConflict);
}

TEST_F(VaultTest, AnExpiringAdminDoesNotCountAsASuccessor) {
  // Revoking root while only an expiring admin remains would lose management when it expires.
  Principal admin = Token(Role::kAdmin, {}, nullptr, 3600);
  EXPECT_EQ(vault_->RevokeToken(root_.token_id).code(), Code::kConflict);
  EXPECT_TRUE(vault_->RevokeToken(admin.token_id).ok());  // an expiring admin may always go
}

TEST_F(VaultTest, OnlyAdminTokensMayNeverExpire) {
  ASSERT_TRUE(vault_->CreateEnvironment(root_, "acme", "").ok());
  TokenSpec spec;
  spec.role = Role::kSecurity;
  spec.environments = {"acme"};
  spec.never_expires = true;
  EXPECT_EQ(vault_->CreateToken(root_, spec).status().code(), Code::kValidationFailed);
}

TEST_F(VaultTest, RecreatedEnvironmentIsOutOfReachOfOldTokens) {
  ASSERT_TRUE(vault_->CreateEnvironment(root_, "acme", "").ok());
  Principal sec = Token(Role::kSecurity, {"acme"});
  EXPECT_TRUE(vault_->Authorize(sec, Capability::kReveal, "acme").ok());
  EXPECT_EQ(vault_->Authorize(sec, Capability::kManage, "acme").code(), Code::kForbidden);
  EXPECT_EQ(vault_->Authorize(sec, Capability::kReveal, "other").code(), Code::kForbidden);

  ASSERT_TRUE(vault_->DeleteEnvironment("acme").ok());
  ASSERT_TRUE(vault_->CreateEnvironment(root_, "acme", "").ok());
  EXPECT_EQ(vault_->Authorize(sec, Capability::kReveal, "acme").code(), Code::kForbidden);
}

TEST_F(VaultTest, DeletedEnvironmentLeavesNoRows) {
  ASSERT_TRUE(vault_->CreateEnvironment(root_, "acme", "").ok());
  Put("acme", "K", "v");
  ASSERT_TRUE(vault_->DeleteEnvironment("acme").ok());
  auto txn = std::move(store_->Begin(storage::TxnMode::kRead).value());
  EXPECT_TRUE(txn->Scan("e/", "", 100).value().empty());
  EXPECT_EQ(vault_->GetEnvironment("acme").status().code(), Code::kNotFound);
}

// An environment's delete (a scan, a delete of every row, a keyring rotation, a commit) holds
// off writers only: a reveal elsewhere is answered while the delete is committing.
TEST_F(VaultTest, ReadsGoOnWhileAnEnvironmentIsDeleted) {
  std::atomic<bool> probe{false};
  std::atomic<bool> answered{false};
  std::future<bool> reveal;  // outlives the hook: a blocked reveal must not block it too
  ReopenStore({.path = "", .before_commit = [&] {
                 if (!probe.exchange(false)) return;
                 reveal = std::async(std::launch::async, [&] {
                   return !vault_->IsSealed() &&
                          vault_->RevealSecret("keep", "K", std::nullopt).ok();
                 });
                 // Generous: a reveal blocked behind the delete would wait here for ever.
                 if (reveal.wait_for(std::chrono::seconds(10)) == std::future_status::ready) {
                   answered = reveal.get();
                 }
               }});
  ASSERT_TRUE(vault_->CreateEnvironment(root_, "keep", "").ok());
  ASSERT_TRUE(vault_->CreateEnvironment(root_, "gone", "").ok());
  Put("keep", "K", "v");
  Put("gone", "K", "v");
  probe = true;
  ASSERT_TRUE(vault_->DeleteEnvironment("gone").ok());
  EXPECT_TRUE(answered.load());
  EXPECT_EQ(vault_->RevealSecret("keep", "K", std::nullopt)->value.Reveal(), "v");
}

// Readers of an environment that is deleted, created again and rotated under them find its
// value or find it gone, never a data key under a forgotten term.
TEST_F(VaultTest, ReadsRacingDeletesAndRotationsSeeNoIntegrityError) {
  ASSERT_TRUE(vault_->CreateEnvironment(root_, "keep", "").ok());
  Put("keep", "K", "v");
  std::atomic<bool> done{false};
  std::atomic<int> wrong{0};
  std::atomic<int> found{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      while (!done) {
        for (const char* env : {"keep", "churn"}) {
          auto value = vault_->RevealSecret(env, "K", std::nullopt);
          if (value.ok()) {
            ++found;
          } else if (value.status().code() != Code::kNotFound) {
            ++wrong;
            ADD_FAILURE() << env << ": " << value.status().ToString();
          }
        }
      }
    });
  }
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(vault_->CreateEnvironment(root_, "churn", "").ok());
    Put("churn", "K", "c");
    ASSERT_TRUE(vault_->RotateKeyring().ok());
    ASSERT_TRUE(vault_->DeleteEnvironment("churn").ok());
  }
  done = true;
  for (std::thread& reader : readers) reader.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_GT(found.load(), 0);
}

// A reader whose snapshot predates a rotation, and who unwraps the data key only after the
// rotation forgot the older term, still gets the value; or, when the rotation came with the
// environment's delete, finds the environment gone.
class StaleReaderTest : public VaultTest, public ::testing::WithParamInterface<bool> {};

TEST_P(StaleReaderTest, AReaderBehindARotationIsAnsweredAsAfterIt) {
  const bool deleting = GetParam();
  ASSERT_TRUE(vault_->CreateEnvironment(root_, "acme", "").ok());
  Put("acme", "K", "v");
  std::atomic<bool> armed{false};
  std::atomic<bool> paused{false};
  std::atomic<bool> rotated{false};
  ReopenStore({.path = "", .before_get = [&](std::string_view path) {  // no key cached
                 // The value's row: read after the snapshot began, before the data key is looked
                 // up.
                 if (path.find("/v/") == std::string_view::npos || !armed.exchange(false)) return;
                 paused = true;
                 while (!rotated) std::this_thread::yield();
               }});
  armed = true;
  auto reveal = std::async(std::launch::async,
                           [&] { return vault_->RevealSecret("acme", "K", std::nullopt); });
  while (!paused) std::this_thread::yield();
  ASSERT_TRUE(deleting ? vault_->DeleteEnvironment("acme").ok() : vault_->RotateKeyring().ok());
  rotated = true;
  Result<SecretValue> value = reveal.get();
  if (deleting) {
    EXPECT_EQ(value.status().code(), Code::kNotFound) << value.status().ToString();
  } else {
    ASSERT_TRUE(value.ok()) << value.status().ToString();
    EXPECT_EQ(value->value.Reveal(), "v");
  }
}

INSTANTIATE_TEST_SUITE_P(RotationOrDelete, StaleReaderTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Delete" : "Rotation"; });

// Crypto-shredding (DESIGN.md §5): the environment's rows, saved before the delete (its wrapped
// data key too) and written back into the live database after, never decrypt again.
TEST_F(VaultTest, DeletedEnvironmentsCiphertextsNeverDecryptAgain) {
  ASSERT_TRUE(vault_->CreateEnvironment(root_, "acme", "").ok());
  Put("acme", "K", "shred-me-1");
  Put("acme", "K", "shred-me-2");
  Put("acme", "L", "shred-me-3");
  const std::string uid = vault_->GetEnvironment("acme")->uid;
  std::vector<storage::Entry> saved;
  std::string env_record;
  std::string wrapped_dek;
  {
    auto txn = std::move(store_->Begin(storage::TxnMode::kRead).value());
    saved = txn->Scan("e/" + uid + "/", "", 1000).value();
    env_record = txn->Get("envs/acme").value().value();
    wrapped_dek = txn->Get("e/" + uid + "/dek/0000000001").value().value();
  }
  ASSERT_EQ(vault_->DeleteEnvironment("acme").ok(), true);

  // Secure delete: with the WAL checkpointed (the store closes), the destroyed key's bytes are
  // nowhere in the database file.
  ReopenStore();
  const size_t at = wrapped_dek.find("\"wrapped\":\"");
  ASSERT_NE(at, std::string::npos);
  const std::string dek_b64 = wrapped_dek.substr(at + 11, 40);
  std::ifstream in(dir_ + "/vault.db", std::ios::binary);
  const std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_GT(file.size(), 0u);
  EXPECT_EQ(file.find(dek_b64), std::string::npos);

  // Written back exactly as they were, the wrapped data key included (as a WAL frame or a
  // saved copy would hold it): the term that wrapped it is gone.
  {
    auto txn = std::move(store_->Begin(storage::TxnMode::kWrite).value());
    for (const storage::Entry& e : saved) ASSERT_TRUE(txn->Put(e.path, e.value).ok());
    ASSERT_TRUE(txn->Put("envs/acme", env_record).ok());
    ASSERT_TRUE(txn->Commit().ok());
  }
  for (auto [key, version] : {std::pair{"K", 1}, {"K", 2}, {"L", 1}}) {
    auto value = vault_->RevealSecret("acme", key, version);
    EXPECT_EQ(value.status().code(), Code::kIntegrityError) << key << "@" << version;
  }

  // Nor under a new environment of the same id, whose data key is new.
  {
    auto txn = std::move(store_->Begin(storage::TxnMode::kWrite).value());
    ASSERT_TRUE(txn->DeletePrefix("e/" + uid + "/").ok());
    ASSERT_TRUE(txn->Delete("envs/acme").ok());
    ASSERT_TRUE(txn->Commit().ok());
  }
  ASSERT_TRUE(vault_->CreateEnvironment(root_, "acme", "").ok());
  const std::string new_uid = vault_->GetEnvironment("acme")->uid;
  {
    auto txn = std::move(store_->Begin(storage::TxnMode::kWrite).value());
    for (const storage::Entry& e : saved) {
      if (e.path.find("/dek/") != std::string::npos) continue;
      std::string path = e.path;
      path.replace(2, uid.size(), new_uid);
      ASSERT_TRUE(txn->Put(path, e.value).ok());
    }
    ASSERT_TRUE(txn->Commit().ok());
  }
  for (auto [key, version] : {std::pair{"K", 1}, {"K", 2}, {"L", 1}}) {
    auto value = vault_->RevealSecret("acme", key, version);
    EXPECT_EQ(value.status().code(), Code::kIntegrityError) << key << "@" << version;
  }
}

// Re-encryption in small batches, interleaved with writes and a second rotation: every version
// reads back as written at every step, and the old keys go once nothing uses them.
TEST_F(VaultTest, ReencryptionInterleavedWithWritesKeepsEveryVersion) {
  ASSERT_TRUE(vault_->CreateEnvironment(root_, "acme", "").ok());
  std::map<std::pair<std::string, uint64_t>, std::string> written;
  auto put = [&](const std::string& key, const std::string& value) {
    written[{key, Put("acme", key, value).version}] = value;
  };
  auto check = [&] {
    for (const auto& [kv, value] : written) {
      auto got = vault_->RevealSecret("acme", kv.first, kv.second);
      ASSERT_TRUE(got.ok()) << kv.first << "@" << kv.second << got.status().ToString();
      ASSERT_EQ(got->value.Reveal(), value);
    }
  };
  for (int i = 0; i < 20; ++i) put("K" + std::to_string(i % 7), "v" + std::to_string(i));
  ASSERT_EQ(vault_->RotateDataKey("acme")->generation, 2u);
  int batches = 0;
  for (bool more = true; more; ++batches) {
    more = vault_->ReencryptBatch(3).value();
    check();
    if (batches == 2) {
      ASSERT_EQ(vault_->RotateDataKey("acme")->generation, 3u);
    }
    if (batches < 5) put("K" + std::to_string(batches), "during-" + std::to_string(batches));
  }
  auto status = vault_->GetReencryption("acme").value();
  EXPECT_EQ(status.generation, 3u);
  EXPECT_EQ(status.versions_pending, 0u);
  EXPECT_TRUE(status.old_generations.empty());
  EXPECT_EQ(status.versions_total, written.size());
  check();
  EXPECT_FALSE(vault_->ReencryptBatch(3).value()) << "nothing left to do";
}

TEST_F(VaultTest, AtMostSixteenDataKeyGenerationsAtOnce) {
  ASSERT_TRUE(vault_->CreateEnvironment(root_, "acme", "").ok());
  Put("acme", "K", "v");
  for (int i = 0; i < 15; ++i) ASSERT_TRUE(vault_->RotateDataKey("acme").ok());
  EXPECT_EQ(vault_->RotateDataKey("acme").status().code(), Code::kConflict);
  while (vault_->ReencryptBatch(100).value()) {
  }
  EXPECT_TRUE(vault_->RotateDataKey("acme").ok());
  EXPECT_EQ(vault_->RevealSecret("acme", "K", std::nullopt)->value.Reveal(), "v");
}

// Each cached data key takes a locked page and mappings: the cache stays bounded however many
// environments are read, and every value still reads back.
TEST_F(VaultTest, DataKeyCacheIsBounded) {
  constexpr int kEnvs = 600;
  for (int i = 0; i < kEnvs; ++i) {
    const std::string env = "e" + std::to_string(i);
    ASSERT_TRUE(vault_->CreateEnvironment(root_, env, "").ok());
    Put(env, "K", "v" + std::to_string(i));
  }
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < kEnvs; ++i) {
      auto value = vault_->RevealSecret("e" + std::to_string(i), "K", std::nullopt);
      ASSERT_TRUE(value.ok());
      ASSERT_EQ(value->value.Reveal(), "v" + std::to_string(i));
    }
  }
  EXPECT_LE(vault_->CachedDataKeyCount(), 512u);
  EXPECT_GE(vault_->CachedDataKeyCount(), 500u);
}

// An init that crashed before it committed leaves a sys.init record under a key that is lost;
// the next init sets such files aside, so its own chain starts at seq 1 and verifies.
TEST(VaultInitTest, RecordsOfAnInitThatNeverCommittedAreSetAside) {
  ASSERT_TRUE(crypto::InitCrypto());
  char tmpl[] = "/tmp/svault-init-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  std::filesystem::create_directories(dir + "/audit");
  std::ofstream(dir + "/audit/audit-000001.jsonl") << R"({"seq":1,"action":"sys.init"})"
                                                   << "\n";
  FakeClock clock;
  auto store = std::move(storage::OpenSqliteStore({.path = dir + "/vault.db"}).value());
  VaultOptions options;
  options.audit.dir = dir + "/audit";
  Vault vault(*store, clock, options);
  auto key = std::move(crypto::GuardedKey::Random().value());
  ASSERT_TRUE(vault.Initialize(key).ok());
  ASSERT_TRUE(vault.Unseal(key).ok());
  std::ifstream in(dir + "/audit/audit-000001.jsonl");
  const std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto report = vault.VerifyAudit(content, std::string(64, '0'), 0);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok) << report->reason;
  EXPECT_NE(content.find("set_aside_files=1"), std::string::npos) << content;
  size_t aside = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir + "/audit")) {
    if (entry.is_directory() && entry.path().filename().string().starts_with("before-init-")) {
      aside += std::filesystem::exists(entry.path() / "audit-000001.jsonl") ? 1 : 0;
    }
  }
  EXPECT_EQ(aside, 1u);
  std::filesystem::remove_all(dir);
}

TEST_F(VaultTest, UnsealWithWrongKeyFails) {
  Vault other(*store_, clock_, VaultOptions{.audit = {.dir = dir_ + "/audit2"}});
  auto wrong = std::move(crypto::GuardedKey::Random().value());
  EXPECT_EQ(other.Unseal(wrong).code(), Code::kIntegrityError);
  EXPECT_TRUE(other.IsSealed());
  EXPECT_EQ(other.Authenticate(root_token_).status().code(), Code::kSealed);
}

TEST_F(VaultTest, ConcurrentCasWritersHaveOneWinnerPerVersion) {
  ASSERT_TRUE(vault_->CreateEnvironment(root_, "acme", "").ok());
  Put("acme", "K", "0");
  constexpr int kWriters = 20;
  std::atomic<int> wins{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kWriters; ++i) {
    threads.emplace_back([&, i] {
      SecretWrite w;
      w.value = SecretBytes("writer-" + std::to_string(i));
      w.cas = 1;
      auto r = vault_->WriteSecret(root_, "acme", "K", std::move(w), nullptr);
      if (r.ok()) {
        ++wins;
      } else {
        EXPECT_EQ(r.status().code(), Code::kConflict);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wins.load(), 1);
  EXPECT_EQ(vault_->ListVersions("acme", "K", "", 100)->items.size(), 2u);
}

TEST_F(VaultTest, ListEnvironmentsShowsOnlyReachableOnes) {
  for (const char* id : {"a", "b", "c"}) ASSERT_TRUE(vault_->CreateEnvironment(root_, id, "").ok());
  Principal dev = Token(Role::kDeveloper, {"b"});
  auto page = vault_->ListEnvironments(dev, "", 10);
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].id, "b");
  auto admin_page = vault_->ListEnvironments(root_, "", 2);
  ASSERT_EQ(admin_page->items.size(), 2u);
  EXPECT_EQ(admin_page->next_cursor, "b");
}

}  // namespace
}  // namespace svault::vault
