#include "storage/sqlite/sqlite_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <mutex>
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
                   "AND (?2 = x'' OR path < ?2) ORDER BY path LIMIT ?3") {}

  bool valid() const {
    return get.valid() && put.valid() && del.valid() && del_range.valid() && scan_from.valid() &&
           scan_after.valid();
  }
  sqlite3* db() const { return handle.db; }

  DbHandle handle;
  Statement get, put, del, del_range, scan_from, scan_after;
};

Status Exec(sqlite3* db, const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &error) == SQLITE_OK) return Status::Ok();
  std::string message = error != nullptr ? error : "unknown error";
  sqlite3_free(error);
  return Unavailable("store: " + message);
}

class SqliteStore;

class SqliteTransaction final : public Transaction {
 public:
  SqliteTransaction(SqliteStore* store, std::unique_ptr<Connection> conn, TxnMode mode,
                    std::unique_lock<std::mutex> write_lock)
      : store_(store), conn_(std::move(conn)), mode_(mode), write_lock_(std::move(write_lock)) {}
  ~SqliteTransaction() override;

  Result<std::optional<std::string>> Get(std::string_view path) override;
  Status Put(std::string_view path, std::string_view value) override;
  Status Delete(std::string_view path) override;
  Result<size_t> DeletePrefix(std::string_view prefix) override;
  Result<std::vector<Entry>> Scan(std::string_view prefix, std::string_view start_after,
                                  size_t limit) override;
  Status Commit() override;

 private:
  Status CheckWritable() const;
  Status StepDone(Statement& stmt, std::string_view what);

  SqliteStore* store_;
  std::unique_ptr<Connection> conn_;
  TxnMode mode_;
  std::unique_lock<std::mutex> write_lock_;
  bool finished_ = false;
};

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(SqliteOptions options) : options_(std::move(options)) {}

  Result<std::unique_ptr<Connection>> OpenConnection();
  Status Migrate();
  Result<std::unique_ptr<Transaction>> Begin(TxnMode mode) override;
  void Release(std::unique_ptr<Connection> conn);

 private:
  SqliteOptions options_;
  std::mutex pool_mu_;
  std::vector<std::unique_ptr<Connection>> pool_;  // guarded by pool_mu_
  std::mutex write_mu_;                            // held by the one open write transaction
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
  std::unique_lock<std::mutex> write_lock;
  if (mode == TxnMode::kWrite) write_lock = std::unique_lock<std::mutex>(write_mu_);

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
  SVAULT_RETURN_IF_ERROR(Exec(conn->db(), mode == TxnMode::kWrite ? "BEGIN IMMEDIATE" : "BEGIN"));
  return std::unique_ptr<Transaction>(
      new SqliteTransaction(this, std::move(conn), mode, std::move(write_lock)));
}

void SqliteStore::Release(std::unique_ptr<Connection> conn) {
  std::lock_guard<std::mutex> lock(pool_mu_);
  pool_.push_back(std::move(conn));
}

SqliteTransaction::~SqliteTransaction() {
  if (!finished_ && Exec(conn_->db(), "ROLLBACK").ok()) finished_ = true;
  // A connection whose rollback failed is in an unknown state: drop it rather than reuse it.
  if (finished_) store_->Release(std::move(conn_));
}

Status SqliteTransaction::CheckWritable() const {
  if (finished_) return Internal("store: transaction already finished");
  if (mode_ != TxnMode::kWrite) return Internal("store: write in a read transaction");
  return Status::Ok();
}

Status SqliteTransaction::StepDone(Statement& stmt, std::string_view what) {
  const int rc = sqlite3_step(stmt.get());
  stmt.Reset();
  return rc == SQLITE_DONE ? Status::Ok() : DbError(conn_->db(), what);
}

Result<std::optional<std::string>> SqliteTransaction::Get(std::string_view path) {
  if (finished_) return Internal("store: transaction already finished");
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
  Status status = Exec(conn_->db(), "COMMIT");
  if (!status.ok()) return status;  // the destructor rolls back
  finished_ = true;
  if (write_lock_.owns_lock()) write_lock_.unlock();
  return Status::Ok();
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
