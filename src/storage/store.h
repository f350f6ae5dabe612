// The narrow storage interface the domain code uses. Storage sees opaque bytes under byte-string
// paths; the domain layer above encrypts values and binds each path into the cipher's associated
// data. Implementations: SQLite (storage/sqlite/), PostgreSQL later. Storage never logs.
//
// Paths are compared as raw bytes, so a scan returns entries in byte order. All reads and writes
// happen inside a transaction; a transaction that is destroyed without Commit() rolls back, so a
// request that fails half-way leaves nothing behind.
#ifndef SVAULT_STORAGE_STORE_H_
#define SVAULT_STORAGE_STORE_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace svault::storage {

struct Entry {
  std::string path;
  std::string value;
};

class Transaction {
 public:
  virtual ~Transaction() = default;

  // The value at `path`, or nullopt when there is none.
  virtual Result<std::optional<std::string>> Get(std::string_view path) = 0;
  // Creates or replaces the value at `path`. Write transactions only.
  virtual Status Put(std::string_view path, std::string_view value) = 0;
  // Removes `path` if present. Write transactions only.
  virtual Status Delete(std::string_view path) = 0;
  // Removes every path that starts with `prefix`; returns how many. Write transactions only.
  virtual Result<size_t> DeletePrefix(std::string_view prefix) = 0;
  // Entries whose path starts with `prefix` and sorts strictly after `start_after` (ignored
  // when empty), in byte order, at most `limit` of them.
  virtual Result<std::vector<Entry>> Scan(std::string_view prefix, std::string_view start_after,
                                          size_t limit) = 0;
  // Makes every write durable and visible, or fails (kUnavailable) and leaves nothing.
  virtual Status Commit() = 0;
  // As Commit(), but a write transaction keeps every other write transaction out until it is
  // destroyed, so the caller can act on the outcome (forget a key term, say) before any other
  // writer runs. It does not wait for other writers to share its commit.
  virtual Status CommitAlone() { return Commit(); }
};

enum class TxnMode { kRead, kWrite };

class Store {
 public:
  virtual ~Store() = default;
  // Starts a transaction. Write transactions are serialised; reads see a consistent snapshot
  // and never block on writers. Every transaction must be destroyed before its Store.
  virtual Result<std::unique_ptr<Transaction>> Begin(TxnMode mode) = 0;

  // Write transactions may be group-committed, and one may then read writes of others that are
  // not yet durable. If a write transaction of the calling thread ended without committing
  // after reading writes that were then lost (their commit failed), answers kUnavailable, once:
  // an answer the caller based on those reads (a conflict, say) must not be given. OK otherwise.
  virtual Status TakeLostReads() { return Status::Ok(); }
};

}  // namespace svault::storage

#endif  // SVAULT_STORAGE_STORE_H_
