#include "storage/sqlite/sqlite_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <unordered_set>
#include <vector>

namespace svault::storage {
namespace {

// Numbered schema migrations, applied in order at open; never edit one that has shipped.
constexpr const char* kMigrations[] = {
    // 1: one ordered table of opaque bytes.
    "CREATE TABLE kv (path BLOB PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;",
};

Status DbError(sqlite3* db, std::string_view what) {
  // SQLite's messages name tables and constraints, never bound values.
  return Unavailable(std::string("store: ") + std::string(what) + ": " + sqlite3_errmsg(db));
}

// The smallest byte string greater than every string that starts with `prefix`; empty when
// there is none (the prefix is empty or all 0xFF).
std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xFF) end.pop_back();
  if (!end.empty()) end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
  return end;
}

class Statement {
 public:
  Statement(sqlite3* db, const char* sql) { sqlite3_prepare_v3(db, sql, -1, 0, &stmt_, nullptr); }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  sqlite3_stmt* get() { return stmt_; }
  bool valid() const { return stmt_ != nullptr; }
  // Binds bytes that must stay alive until Reset(). An empty string binds x'' (never NULL).
  void Bind(int index, std::string_view bytes) {
    if (bytes.empty()) {
      sqlite3_bind_zeroblob(stmt_, index, 0);
    } else {
      sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_STATIC);
    }
  }
  void Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

std::string ColumnBytes(sqlite3_stmt* stmt, int column) {
  const void* data = sqlite3_column_blob(stmt, column);
  const int size = sqlite3_column_bytes(stmt, column);
  return data == nullptr ? std::string() : std::string(static_cast<const char*>(data), size);
}

// Closes the handle last: declared first in Connection, so it is destroyed after the statements.
struct DbHandle {
  explicit DbHandle(sqlite3* h) : db(h) {}
  ~DbHandle() { sqlite3_close_v2(db); }
  DbHandle(const DbHandle&) = delete;
  DbHandle& operator=(const DbHandle&) = delete;
  sqlite3* db;
};

// One SQLite connection with its prepared statements; used by one transaction at a time.
struct Connection {
  explicit Connection(sqlite3* db)
      : handle(db),
        get(db, "SELECT value FROM kv WHERE path = ?1"),
        put(db,
            "INSERT INTO kv(path, value) VALUES(?1, ?2) "
            "ON CONFLICT(path) DO UPDATE SET value = excluded.value"),
        del(db, "DELETE FROM kv WHERE path = ?1"),
        del_range(db, "DELETE FROM kv WHERE path >= ?1 AND (?2 = x'' OR path < ?2)"),
        // One lower bound each, so the index seeks straight to it: a page deep into a prefix
        // does not walk the rows before it again.
        scan_from(db,
                  "SELECT path, value FROM kv WHERE path >= ?1 "
                  "AND (?2 = x'' OR path < ?2) ORDER BY path LIMIT ?3"),
        scan_after(db,
                   "SELECT path, value FROM kv WHERE path > ?1 "
                   "AND (?2 = x'' OR path < ?2) ORDER BY path LIMIT ?3"),
        begin(db, "BEGIN"),
        begin_immediate(db, "BEGIN IMMEDIATE"),
        commit(db, "COMMIT"),
        rollback(db, "ROLLBACK"),
        savepoint(db, "SAVEPOINT request"),
        release(db, "RELEASE request"),
        rollback_to(db, "ROLLBACK TO request") {}

  bool valid() const {
    for (const Statement* stmt :
         {&get, &put, &del, &del_range, &scan_from, &scan_after, &begin, &begin_immediate, &commit,
          &rollback, &savepoint, &release, &rollback_to}) {
      if (!stmt->valid()) return false;
    }
    return true;
  }
  sqlite3* db() const { return handle.db; }

  DbHandle handle;
  Statement get, put, del, del_range, scan_from, scan_after;
  // Prepared once: sqlite3_exec would parse them again for every transaction.
  Statement begin, begin_immediate, commit, rollback, savepoint, release, rollback_to;
};

// Runs a statement that returns no rows.
Status Run(Connection& conn, Statement& stmt, std::string_view what) {
  const int rc = sqlite3_step(stmt.get());
  stmt.Reset();
  return rc == SQLITE_DONE ? Status::Ok() : DbError(conn.db(), what);
}

Status Exec(sqlite3* db, const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &error) == SQLITE_OK) return Status::Ok();
  std::string message = error != nullptr ? error : "unknown error";
  sqlite3_free(error);
  return Unavailable("store: " + message);
}

class SqliteStore;

// The store whose lost batch a write transaction of this thread read from (see TakeLostReads).
thread_local const SqliteStore* lost_reads_of_thread = nullptr;

// A read transaction owns a pooled connection. A write transaction is a savepoint in the open
// batch of the store's one writer connection: its Commit releases the savepoint into the batch,
// lets the next writer in, and waits until a COMMIT (synchronous=FULL) covering the batch is
// done. Whichever committed writer finds no COMMIT under way leads one; writers that arrive
// meanwhile fill the next batch, so one sync covers many writes (group commit).
class SqliteTransaction final : public Transaction {
 public:
  SqliteTransaction(SqliteStore* store, std::unique_ptr<Connection> conn)
      : store_(store), conn_(conn.get()), owned_(std::move(conn)) {}
  SqliteTransaction(SqliteStore* store, Connection* writer, uint64_t batch,
                    std::unique_lock<std::mutex> write_lock)
      : store_(store), conn_(writer), batch_(batch), write_lock_(std::move(write_lock)) {}
  ~SqliteTransaction() override;

  Result<std::optional<std::string>> Get(std::string_view path) override;
  Status Put(std::string_view path, std::string_view value) override;
  Status Delete(std::string_view path) override;
  Result<size_t> DeletePrefix(std::string_view prefix) override;
  Result<std::vector<Entry>> Scan(std::string_view prefix, std::string_view start_after,
                                  size_t limit) override;
  Status Commit() override;
  Status CommitAlone() override;

 private:
  bool writes() const { return owned_ == nullptr; }
  Status CheckWritable() const;
  Status StepDone(Statement& stmt, std::string_view what);

  SqliteStore* store_;
  Connection* conn_;
  std::unique_ptr<Connection> owned_;  // reads only
  uint64_t batch_ = 0;                 // writes only: the batch the savepoint belongs to
  std::unique_lock<std::mutex> write_lock_;
  bool finished_ = false;
};

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(SqliteOptions options) : options_(std::move(options)) {}

  Result<std::unique_ptr<Connection>> OpenConnection();
  Status Migrate();
  Result<std::unique_ptr<Transaction>> Begin(TxnMode mode) override;
  Status TakeLostReads() override;
  void Release(std::unique_ptr<Connection> conn);
  const SqliteOptions& options() const { return options_; }

  // With write_mu_ held by `write_lock`: the savepoint was released into batch `batch`.
  // Unlocks, then waits until the batch is committed (OK) or lost (kUnavailable).
  Status CommitWrite(std::unique_lock<std::mutex>& write_lock, uint64_t batch);
  // With write_mu_ held: the savepoint was released into the open batch. Commits the batch
  // at once and keeps write_mu_; OK when it committed, kUnavailable when it was lost.
  Status CommitHeld();
  // Waits until batch `batch` is committed (OK) or lost (kUnavailable), leading its COMMIT
  // when none is under way.
  Status AwaitBatch(uint64_t batch);
  // With write_mu_ held: undoes an unreleased savepoint of batch `batch`, then unlocks.
  void RollBackWrite(std::unique_lock<std::mutex>& write_lock, uint64_t batch);

 private:
  Result<std::unique_ptr<Transaction>> BeginWrite();
  // Takes write_mu_ and commits the open batch, if any; then every batch so far is settled.
  void CommitBatch();
  // With write_mu_ held and a batch open: commits it and settles it; true when it committed.
  bool CommitOpenBatch();
  // With write_mu_ held: ends the open batch without committing; its writes fail.
  void AbandonBatch();
  void Settle(uint64_t batch, bool ok);

  SqliteOptions options_;
  std::mutex pool_mu_;
  std::vector<std::unique_ptr<Connection>> pool_;  // guarded by pool_mu_

  static constexpr int kMaxYields = 64;

  // Held by the one open write transaction, and by a COMMIT of a batch.
  std::mutex write_mu_;
  std::atomic<int> entering_{0};        // writers waiting for write_mu_ to begin
  std::unique_ptr<Connection> writer_;  // guarded by write_mu_
  bool batch_open_ = false;             // guarded by write_mu_
  uint64_t batch_ = 0;                  // guarded by write_mu_; the open or last batch
  size_t batch_members_ = 0;            // guarded by write_mu_; savepoints released into it

  std::mutex commit_mu_;  // taken after write_mu_, never before
  std::condition_variable settled_cv_;
  bool committing_ = false;            // guarded by commit_mu_
  uint64_t settled_ = 0;               // guarded by commit_mu_; batches up to it are settled
  std::unordered_set<uint64_t> lost_;  // guarded by commit_mu_; settled without a commit
};

Result<std::unique_ptr<Connection>> SqliteStore::OpenConnection() {
  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(options_.path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    Status error = DbError(db, "cannot open " + options_.path);
    sqlite3_close_v2(db);
    return error;
  }
  sqlite3_busy_timeout(db, options_.busy_timeout_ms);
  // WAL for readers beside a writer; FULL sync so a commit survives power loss; secure_delete
  // so freed pages are zeroed (crypto-shredding does the rest).
  Status pragmas = Exec(db,
                        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                        "PRAGMA secure_delete=ON; PRAGMA foreign_keys=ON;");
  if (!pragmas.ok()) {
    sqlite3_close_v2(db);
    return pragmas;
  }
  return std::make_unique<Connection>(db);
}

Status SqliteStore::Migrate() {
  SVAULT_ASSIGN_OR_RETURN(std::unique_ptr<Connection> conn, OpenConnection());
  sqlite3* db = conn->db();
  SVAULT_RETURN_IF_ERROR(Exec(db, "BEGIN IMMEDIATE"));
  Status status = Exec(db,
                       "CREATE TABLE IF NOT EXISTS schema_migrations ("
                       "version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
  int applied = 0;
  if (status.ok()) {
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(db, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", -1, &stmt,
                       nullptr);
    if (stmt != nullptr && sqlite3_step(stmt) == SQLITE_ROW) applied = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
  }
  const int known = static_cast<int>(std::size(kMigrations));
  if (status.ok() && applied > known) {
    status = Unavailable("store: the database was written by a newer svault");
  }
  for (int v = applied + 1; status.ok() && v <= known; ++v) {
    status = Exec(db, kMigrations[v - 1]);
    if (status.ok()) {
      std::string record =
          "INSERT INTO schema_migrations VALUES(" + std::to_string(v) + ", strftime('%s','now'))";
      status = Exec(db, record.c_str());
    }
  }
  if (!status.ok()) {
    (void)Exec(db, "ROLLBACK");  // the migration error is what matters
    return status;
  }
  return Exec(db, "COMMIT");
}

Result<std::unique_ptr<Transaction>> SqliteStore::Begin(TxnMode mode) {
  if (mode == TxnMode::kWrite) return BeginWrite();
  std::unique_ptr<Connection> conn;
  {
    std::lock_guard<std::mutex> lock(pool_mu_);
    if (!pool_.empty()) {
      conn = std::move(pool_.back());
      pool_.pop_back();
    }
  }
  if (conn == nullptr) {
    SVAULT_ASSIGN_OR_RETURN(conn, OpenConnection());
    if (!conn->valid()) return DbError(conn->db(), "cannot prepare statements");
  }
  SVAULT_RETURN_IF_ERROR(Run(*conn, conn->begin, "begin"));
  return std::unique_ptr<Transaction>(new SqliteTransaction(this, std::move(conn)));
}

Result<std::unique_ptr<Transaction>> SqliteStore::BeginWrite() {
  ++entering_;
  std::unique_lock<std::mutex> write_lock(write_mu_);
  --entering_;
  if (writer_ == nullptr) {
    SVAULT_ASSIGN_OR_RETURN(writer_, OpenConnection());
    if (!writer_->valid()) {
      Status error = DbError(writer_->db(), "cannot prepare statements");
      writer_.reset();
      return error;
    }
  }
  if (!batch_open_) {
    SVAULT_RETURN_IF_ERROR(Run(*writer_, writer_->begin_immediate, "begin"));
    batch_open_ = true;
    ++batch_;
    batch_members_ = 0;
  }
  Status savepoint = Run(*writer_, writer_->savepoint, "savepoint");
  if (!savepoint.ok()) {
    AbandonBatch();
    return savepoint;
  }
  return std::unique_ptr<Transaction>(
      new SqliteTransaction(this, writer_.get(), batch_, std::move(write_lock)));
}

void SqliteStore::Release(std::unique_ptr<Connection> conn) {
  std::lock_guard<std::mutex> lock(pool_mu_);
  pool_.push_back(std::move(conn));
}

Status SqliteStore::CommitWrite(std::unique_lock<std::mutex>& write_lock, uint64_t batch) {
  ++batch_members_;
  write_lock.unlock();
  return AwaitBatch(batch);
}

Status SqliteStore::AwaitBatch(uint64_t batch) {
  std::unique_lock<std::mutex> lock(commit_mu_);
  while (settled_ < batch) {
    if (committing_) {
      settled_cv_.wait(lock);
      continue;
    }
    committing_ = true;
    lock.unlock();
    CommitBatch();
    lock.lock();
    committing_ = false;
    settled_cv_.notify_all();
  }
  if (lost_.count(batch) != 0) return Unavailable("store: the commit failed; nothing was written");
  return Status::Ok();
}

void SqliteStore::CommitBatch() {
  if (options_.before_commit) options_.before_commit();
  std::unique_lock<std::mutex> write_lock(write_mu_);
  // Writers already waiting for the lock join this batch first: committing ahead of them would
  // leave each for a sync of its own. Bounded, so a steady stream of writers cannot starve it.
  for (int i = 0; i < kMaxYields && entering_.load() > 0; ++i) {
    write_lock.unlock();
    std::this_thread::yield();
    write_lock.lock();
  }
  if (!batch_open_) {
    Settle(batch_, true);  // ended already (abandoned, and so marked lost)
    return;
  }
  CommitOpenBatch();
}

bool SqliteStore::CommitOpenBatch() {
  const bool ok = Run(*writer_, writer_->commit, "commit").ok();
  if (!ok && !Run(*writer_, writer_->rollback, "rollback").ok()) writer_.reset();
  batch_open_ = false;
  if (ok && options_.after_commit) options_.after_commit();
  Settle(batch_, ok);
  return ok;
}

Status SqliteStore::CommitHeld() {
  ++batch_members_;
  if (options_.before_commit) options_.before_commit();
  // The batch may hold earlier writers' savepoints too; they wait for this COMMIT as for any.
  if (CommitOpenBatch()) return Status::Ok();
  return Unavailable("store: the commit failed; nothing was written");
}

void SqliteStore::RollBackWrite(std::unique_lock<std::mutex>& write_lock, uint64_t batch) {
  const bool undone = batch == batch_ && batch_open_ &&
                      Run(*writer_, writer_->rollback_to, "rollback").ok() &&
                      Run(*writer_, writer_->release, "release").ok();
  // A batch nobody else joined is ended at once, so the database is not held locked for writes.
  if (!undone || batch_members_ == 0) AbandonBatch();
  // What this transaction read may include the batch's writes: the caller answers only once
  // they are durable, and learns through TakeLostReads when they were lost instead.
  const bool others_pending = batch_open_ && batch == batch_;
  write_lock.unlock();
  if (others_pending && !AwaitBatch(batch).ok()) lost_reads_of_thread = this;
}

Status SqliteStore::TakeLostReads() {
  if (lost_reads_of_thread != this) return Status::Ok();
  lost_reads_of_thread = nullptr;
  return Unavailable("store: a commit this request depended on failed; nothing was written");
}

void SqliteStore::AbandonBatch() {
  if (!batch_open_) return;
  if (!Run(*writer_, writer_->rollback, "rollback").ok()) writer_.reset();  // unknown state
  batch_open_ = false;
  Settle(batch_, batch_members_ == 0);
}

void SqliteStore::Settle(uint64_t batch, bool ok) {
  {
    std::lock_guard<std::mutex> lock(commit_mu_);
    if (!ok) lost_.insert(batch);
    settled_ = std::max(settled_, batch);
  }
  settled_cv_.notify_all();
}

SqliteTransaction::~SqliteTransaction() {
  if (writes()) {
    if (!finished_) store_->RollBackWrite(write_lock_, batch_);
    return;
  }
  if (!finished_ && Run(*conn_, conn_->rollback, "rollback").ok()) finished_ = true;
  // A connection whose rollback failed is in an unknown state: drop it rather than reuse it.
  if (finished_) store_->Release(std::move(owned_));
}

Status SqliteTransaction::CheckWritable() const {
  if (finished_) return Internal("store: transaction already finished");
  if (!writes()) return Internal("store: write in a read transaction");
  return Status::Ok();
}

Status SqliteTransaction::StepDone(Statement& stmt, std::string_view what) {
  const int rc = sqlite3_step(stmt.get());
  stmt.Reset();
  return rc == SQLITE_DONE ? Status::Ok() : DbError(conn_->db(), what);
}

Result<std::optional<std::string>> SqliteTransaction::Get(std::string_view path) {
  if (finished_) return Internal("store: transaction already finished");
  if (store_->options().before_get) store_->options().before_get(path);
  Statement& stmt = conn_->get;
  stmt.Bind(1, path);
  const int rc = sqlite3_step(stmt.get());
  std::optional<std::string> value;
  if (rc == SQLITE_ROW) value = ColumnBytes(stmt.get(), 0);
  stmt.Reset();
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return DbError(conn_->db(), "get");
  return value;
}

Status SqliteTransaction::Put(std::string_view path, std::string_view value) {
  SVAULT_RETURN_IF_ERROR(CheckWritable());
  conn_->put.Bind(1, path);
  conn_->put.Bind(2, value);
  return StepDone(conn_->put, "put");
}

Status SqliteTransaction::Delete(std::string_view path) {
  SVAULT_RETURN_IF_ERROR(CheckWritable());
  conn_->del.Bind(1, path);
  return StepDone(conn_->del, "delete");
}

Result<size_t> SqliteTransaction::DeletePrefix(std::string_view prefix) {
  SVAULT_RETURN_IF_ERROR(CheckWritable());
  const std::string end = PrefixEnd(prefix);
  conn_->del_range.Bind(1, prefix);
  conn_->del_range.Bind(2, end);
  SVAULT_RETURN_IF_ERROR(StepDone(conn_->del_range, "delete prefix"));
  return static_cast<size_t>(sqlite3_changes(conn_->db()));
}

Result<std::vector<Entry>> SqliteTransaction::Scan(std::string_view prefix,
                                                   std::string_view start_after, size_t limit) {
  if (finished_) return Internal("store: transaction already finished");
  const std::string end = PrefixEnd(prefix);
  // Rows after `start_after` when it lies at or beyond the prefix, else from the prefix on.
  const bool after = !start_after.empty() && start_after >= prefix;
  Statement& stmt = after ? conn_->scan_after : conn_->scan_from;
  stmt.Bind(1, after ? start_after : prefix);
  stmt.Bind(2, end);
  sqlite3_bind_int64(stmt.get(), 3, static_cast<sqlite3_int64>(limit));
  std::vector<Entry> entries;
  int rc = SQLITE_ROW;
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
    entries.push_back({ColumnBytes(stmt.get(), 0), ColumnBytes(stmt.get(), 1)});
  }
  stmt.Reset();
  if (rc != SQLITE_DONE) return DbError(conn_->db(), "scan");
  return entries;
}

Status SqliteTransaction::Commit() {
  if (finished_) return Internal("store: transaction already finished");
  if (!writes()) {
    SVAULT_RETURN_IF_ERROR(Run(*conn_, conn_->commit, "commit"));
    finished_ = true;
    return Status::Ok();
  }
  SVAULT_RETURN_IF_ERROR(Run(*conn_, conn_->release, "release"));  // the destructor rolls back
  finished_ = true;
  return store_->CommitWrite(write_lock_, batch_);
}

Status SqliteTransaction::CommitAlone() {
  if (finished_ || !writes()) return Commit();
  SVAULT_RETURN_IF_ERROR(Run(*conn_, conn_->release, "release"));  // the destructor rolls back
  finished_ = true;
  return store_->CommitHeld();  // write_lock_ stays held until the destructor
}

// Creates the database file 0600 before SQLite sees it (SQLite gives its -wal and -shm files
// the same mode as the database).
Status CreatePrivateFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) return Unavailable("store: cannot create " + path);
  ::close(fd);
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const SqliteOptions& options) {
  SVAULT_RETURN_IF_ERROR(CreatePrivateFile(options.path));
  auto store = std::make_unique<SqliteStore>(options);
  SVAULT_RETURN_IF_ERROR(store->Migrate());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace svault::storage
