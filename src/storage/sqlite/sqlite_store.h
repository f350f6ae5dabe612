// The embedded SQLite store: one file, WAL, synchronous=FULL (durable commits), secure_delete on,
// numbered schema migrations applied at open. The file is created 0600.
//
// Write transactions are group-committed: each is a savepoint in a batch on one writer
// connection, and one COMMIT (one WAL sync) covers every write that joined the batch while the
// previous COMMIT ran. Commit() still returns only once its own writes are durable; if the
// batch's COMMIT fails, every write in it fails and nothing of it remains. A write transaction
// sees the writes of its batch before they are durable, so one that ends without committing
// (a check that failed, say) also waits for its batch before its caller answers, and
// TakeLostReads tells that caller when the batch was lost.
#ifndef SVAULT_STORAGE_SQLITE_SQLITE_STORE_H_
#define SVAULT_STORAGE_SQLITE_SQLITE_STORE_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "storage/store.h"

namespace svault::storage {

struct SqliteOptions {
  std::string path;  // database file; created when missing
  int busy_timeout_ms = 10'000;
  // Called after each group COMMIT that succeeded, with the writer lock held (tests count
  // commits through it, or slow them down as a slow disk would).
  std::function<void()> after_commit = nullptr;
  // Called by a batch's leader before it takes the writer lock to COMMIT (tests hold it there
  // to let other writers into the batch), and by CommitAlone with the lock held.
  std::function<void()> before_commit = nullptr;
  // Called before each Get, with its path (tests pause a reader there, its snapshot taken).
  std::function<void(std::string_view path)> before_get = nullptr;
};

// Opens (creating when needed) and migrates the database. kUnavailable when the file cannot be
// opened or migrated.
Result<std::unique_ptr<Store>> OpenSqliteStore(const SqliteOptions& options);

}  // namespace svault::storage

#endif  // SVAULT_STORAGE_SQLITE_SQLITE_STORE_H_
