#include "storage/sqlite/sqlite_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <thread>

namespace svault::storage {
namespace {

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/svault-store-XXXXXX";
    dir_ = mkdtemp(tmpl);
    auto store = OpenSqliteStore({.path = dir_ + "/vault.db"});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<Transaction> Write() { return std::move(store_->Begin(TxnMode::kWrite).value()); }
  std::unique_ptr<Transaction> Read() { return std::move(store_->Begin(TxnMode::kRead).value()); }

  std::string dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(SqliteStoreTest, PutGetCommit) {
  auto txn = Write();
  ASSERT_TRUE(txn->Put("a", std::string("x\0y", 3)).ok());
  ASSERT_TRUE(txn->Put("empty", "").ok());
  ASSERT_TRUE(txn->Commit().ok());

  auto read = Read();
  EXPECT_EQ(read->Get("a").value(), std::string("x\0y", 3));
  EXPECT_EQ(read->Get("empty").value(), std::string());
  EXPECT_FALSE(read->Get("missing").value().has_value());
}

TEST_F(SqliteStoreTest, UncommittedTransactionRollsBack) {
  {
    auto txn = Write();
    ASSERT_TRUE(txn->Put("a", "1").ok());
  }
  EXPECT_FALSE(Read()->Get("a").value().has_value());
}

TEST_F(SqliteStoreTest, ScanIsOrderedByBytesAndBoundedByPrefix) {
  auto txn = Write();
  for (const char* p : {"k/b", "k/a", "k/a/x", "k0", "j", "k/c"}) ASSERT_TRUE(txn->Put(p, p).ok());
  ASSERT_TRUE(txn->Commit().ok());

  auto read = Read();
  auto all = read->Scan("k/", "", 100).value();
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].path, "k/a");
  EXPECT_EQ(all[1].path, "k/a/x");
  EXPECT_EQ(all[3].path, "k/c");

  auto page = read->Scan("k/", "k/a/x", 1).value();
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0].path, "k/b");
  EXPECT_EQ(read->Scan("", "", 100).value().size(), 6u);
}

TEST_F(SqliteStoreTest, DeletePrefixRemovesOnlyThePrefix) {
  auto txn = Write();
  for (const char* p : {"e/1/a", "e/1/b", "e/10/a", "e/2/a"}) ASSERT_TRUE(txn->Put(p, "v").ok());
  EXPECT_EQ(txn->DeletePrefix("e/1/").value(), 2u);
  ASSERT_TRUE(txn->Commit().ok());
  auto left = Read()->Scan("e/", "", 10).value();
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0].path, "e/10/a");
}

TEST_F(SqliteStoreTest, ReadTransactionRefusesWrites) {
  auto read = Read();
  EXPECT_FALSE(read->Put("a", "b").ok());
}

TEST_F(SqliteStoreTest, DatabaseFileIsPrivate) {
  auto txn = Write();
  ASSERT_TRUE(txn->Put("a", "b").ok());
  ASSERT_TRUE(txn->Commit().ok());
  for (const char* name : {"/vault.db", "/vault.db-wal"}) {
    struct stat st {};
    ASSERT_EQ(stat((dir_ + name).c_str(), &st), 0) << name;
    EXPECT_EQ(st.st_mode & 0077, 0u) << name;
  }
}

TEST_F(SqliteStoreTest, ConcurrentIncrementsLoseNothing) {
  constexpr int kThreads = 8;
  constexpr int kEach = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this] {
      for (int i = 0; i < kEach; ++i) {
        auto txn = Write();
        auto current = txn->Get("counter").value();
        const int n = current ? std::stoi(*current) : 0;
        ASSERT_TRUE(txn->Put("counter", std::to_string(n + 1)).ok());
        ASSERT_TRUE(txn->Commit().ok());
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(Read()->Get("counter").value().value(), std::to_string(kThreads * kEach));
}

TEST_F(SqliteStoreTest, ReopenKeepsDataAndMigrationsAreIdempotent) {
  {
    auto txn = Write();
    ASSERT_TRUE(txn->Put("a", "b").ok());
    ASSERT_TRUE(txn->Commit().ok());
  }
  store_.reset();
  auto reopened = OpenSqliteStore({.path = dir_ + "/vault.db"});
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  store_ = std::move(reopened).value();
  EXPECT_EQ(Read()->Get("a").value().value(), "b");
}

TEST_F(SqliteStoreTest, UnopenablePathIsUnavailable) {
  auto store = OpenSqliteStore({.path = dir_ + "/no/such/dir/vault.db"});
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Code::kUnavailable);
}

}  // namespace
}  // namespace svault::storage
