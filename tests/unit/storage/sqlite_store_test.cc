#include "storage/sqlite/sqlite_store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

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

// Writers that commit while a COMMIT is under way share the next one, and each still returns
// only once its own write is durable: here, visible to a new reader when Commit returns.
TEST_F(SqliteStoreTest, ConcurrentWritesShareCommits) {
  std::atomic<int> commits{0};
  auto opened = OpenSqliteStore({.path = dir_ + "/group.db", .after_commit = [&] {
                                   ++commits;
                                   std::this_thread::sleep_for(std::chrono::milliseconds(2));
                                 }});
  ASSERT_TRUE(opened.ok());
  Store& store = **opened;
  constexpr int kThreads = 8;
  constexpr int kPerThread = 25;
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string key = "k" + std::to_string(t) + "_" + std::to_string(i);
        auto txn = store.Begin(TxnMode::kWrite);
        if (!txn.ok() || !(*txn)->Put(key, "v").ok() || !(*txn)->Commit().ok()) {
          ++failed;
          continue;
        }
        auto read = store.Begin(TxnMode::kRead);
        if (!read.ok() || !(*read)->Get(key).value().has_value()) ++failed;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_LE(commits.load(), kThreads * kPerThread / 2) << "expected writes to share commits";
  auto read = store.Begin(TxnMode::kRead);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ((*read)->Scan("k", "", 1000).value().size(), size_t{kThreads * kPerThread});
}

// In a forked child: commits the key "kept", then sets a file size limit at the WAL's size, so
// no later commit can be written (as on a full disk). Exits the child on any failure.
void FillTheDisk(Store& store, const std::string& path) {
  {
    auto txn = store.Begin(TxnMode::kWrite);
    if (!txn.ok() || !(*txn)->Put("kept", "1").ok() || !(*txn)->Commit().ok()) _exit(11);
  }
  struct stat st {};
  if (stat((path + "-wal").c_str(), &st) != 0) _exit(12);
  signal(SIGXFSZ, SIG_IGN);
  const rlim_t limit = static_cast<rlim_t>(st.st_size);
  struct rlimit rl = {limit, limit};
  if (setrlimit(RLIMIT_FSIZE, &rl) != 0) _exit(13);
}

// The forked child's exit code, or -1 when it did not exit normally.
int ExitCodeOf(pid_t pid) {
  int wstatus = 0;
  if (pid < 0 || waitpid(pid, &wstatus, 0) != pid || !WIFEXITED(wstatus)) return -1;
  return WEXITSTATUS(wstatus);
}

// A COMMIT that cannot be written fails every write of its batch, and none of them remains. The
// file size limit that makes the WAL unable to grow applies to a whole process, so the writes
// run in a forked child (which opens its own store) and report through its exit code.
int WriteInChildWithFullDisk(const std::string& path, bool alone = false) {
  if (const pid_t pid = fork(); pid != 0) return ExitCodeOf(pid);
  auto opened = OpenSqliteStore({.path = path});
  if (!opened.ok()) _exit(10);
  Store& store = **opened;
  FillTheDisk(store, path);
  std::atomic<int> committed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      auto txn = store.Begin(TxnMode::kWrite);
      if (!txn.ok()) return;
      const std::string value(64 * 1024, 'x');
      if (!(*txn)->Put("lost" + std::to_string(t), value).ok()) return;
      if (alone ? (*txn)->CommitAlone().ok() : (*txn)->Commit().ok()) {
        ++committed;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  _exit(committed.load() == 0 ? 0 : 14);
}

// A write transaction that reads another's write in its batch and ends without committing
// waits for the batch; when the batch is lost, TakeLostReads says so, once. (Forked for the file
// size limit, as above.)
int LoseAReadInChildWithFullDisk(const std::string& path) {
  if (const pid_t pid = fork(); pid != 0) return ExitCodeOf(pid);
  // The writer's COMMIT waits until the reader has read inside the writer's batch.
  std::atomic<bool> hold{false};
  std::atomic<bool> read_done{false};
  auto opened = OpenSqliteStore({.path = path, .before_commit = [&] {
                                   while (hold && !read_done) std::this_thread::yield();
                                 }});
  if (!opened.ok()) _exit(10);
  Store& store = **opened;
  FillTheDisk(store, path);

  hold = true;
  std::atomic<bool> released{false};
  std::atomic<bool> committed{false};
  std::thread writer([&] {
    auto txn = store.Begin(TxnMode::kWrite);
    if (!txn.ok() || !(*txn)->Put("pending", std::string(64 * 1024, 'x')).ok()) return;
    released = true;  // Commit below lets the next writer in, then leads the batch's COMMIT
    committed = (*txn)->Commit().ok();
  });
  while (!released) std::this_thread::yield();
  bool saw = false;
  {
    auto txn = store.Begin(TxnMode::kWrite);  // joins the writer's batch
    if (!txn.ok()) _exit(14);
    auto pending = (*txn)->Get("pending");
    saw = pending.ok() && pending->has_value();
    read_done = true;
  }  // ends without committing: waits for the batch, which is lost
  const Status lost = store.TakeLostReads();
  const Status again = store.TakeLostReads();
  writer.join();
  if (committed) _exit(15);
  if (!saw) _exit(16);
  if (lost.code() != Code::kUnavailable) _exit(17);
  if (!again.ok()) _exit(18);
  _exit(0);
}

TEST_F(SqliteStoreTest, AReadOfALostBatchIsReported) {
  EXPECT_EQ(LoseAReadInChildWithFullDisk(dir_ + "/lost.db"), 0);
  EXPECT_TRUE(store_->TakeLostReads().ok()) << "only the thread that read is told";
}

class FailedCommitTest : public SqliteStoreTest, public ::testing::WithParamInterface<bool> {};

TEST_P(FailedCommitTest, AFailedCommitFailsItsWholeBatchAndLeavesNothing) {
  const std::string path = dir_ + "/full.db";
  EXPECT_EQ(WriteInChildWithFullDisk(path, GetParam()), 0);
  auto opened = OpenSqliteStore({.path = path});
  ASSERT_TRUE(opened.ok());
  auto read = (*opened)->Begin(TxnMode::kRead);
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE((*read)->Get("kept").value().has_value());
  EXPECT_TRUE((*read)->Scan("lost", "", 10).value().empty());
  read->reset();
  auto txn = (*opened)->Begin(TxnMode::kWrite);
  ASSERT_TRUE(txn.ok());
  ASSERT_TRUE((*txn)->Put("after", "1").ok());
  EXPECT_TRUE((*txn)->Commit().ok());
}

INSTANTIATE_TEST_SUITE_P(GroupedOrAlone, FailedCommitTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Alone" : "Grouped"; });

// CommitAlone commits the open batch at once, earlier writers' savepoints included, and keeps
// every other writer out until the transaction is destroyed.
TEST_F(SqliteStoreTest, CommitAloneKeepsWritersOutUntilDestroyed) {
  std::atomic<bool> alone_began{false};
  auto opened = OpenSqliteStore({.path = dir_ + "/alone.db", .before_commit = [&] {
                                   while (!alone_began) std::this_thread::yield();
                                 }});
  ASSERT_TRUE(opened.ok());
  Store& store = **opened;

  std::atomic<bool> released{false};
  std::atomic<bool> earlier_done{false};
  Status earlier = Internal("not run");
  std::thread writer([&] {  // released into the batch, then held in its leader's hook
    auto txn = store.Begin(TxnMode::kWrite);
    if (!txn.ok() || !(*txn)->Put("earlier", "1").ok()) return;
    released = true;
    earlier = (*txn)->Commit();
    earlier_done = true;
  });
  while (!released) std::this_thread::yield();

  auto alone = store.Begin(TxnMode::kWrite);
  ASSERT_TRUE(alone.ok());
  alone_began = true;
  ASSERT_TRUE((*alone)->Put("alone", "1").ok());
  ASSERT_TRUE((*alone)->CommitAlone().ok());
  {
    auto read = store.Begin(TxnMode::kRead);
    ASSERT_TRUE(read.ok());
    EXPECT_TRUE((*read)->Get("alone").value().has_value());
    EXPECT_TRUE((*read)->Get("earlier").value().has_value()) << "its batch committed with it";
  }

  std::atomic<bool> later_began{false};
  std::thread later([&] {
    auto txn = store.Begin(TxnMode::kWrite);
    later_began = true;
    if (txn.ok() && (*txn)->Put("later", "1").ok()) (void)(*txn)->Commit();
  });
  // Not a timing claim: a writer that got in early would be seen here, a slow one passes.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(later_began.load()) << "a writer began before the alone transaction ended";
  EXPECT_FALSE(earlier_done.load()) << "the earlier writer's leader waits for the lock too";
  alone->reset();
  later.join();
  writer.join();
  EXPECT_TRUE(earlier.ok()) << earlier.ToString();
  auto read = store.Begin(TxnMode::kRead);
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE((*read)->Get("later").value().has_value());
}

}  // namespace
}  // namespace svault::storage
