// The audit log (DESIGN.md §7): one append-only JSON-lines file per node, each record chained to
// the one before by an HMAC under the keyring's audit-chain key, with a per-node `seq` that
// continues across files. Never holds a value, a token or a share.
//
// File layout: DIR/audit-NNNNNN.jsonl (NNNNNN from 000001, one more at each rotation). Every line
// is one JSON object ending in "\n":
//   {"seq":7,"time":"2026-12-04T15:45:31.123Z","node":"n1","request_id":"req_..",
//    "phase":"request","action":"secret.reveal","token_id":"tok_..","role":"security",
//    "environment":"acme","keys":[{"key":"A","version":null}],"target":null,
//    "client":"127.0.0.1:5000",
//    "status":200,"outcome":"ok","prev":"<64 hex>","hmac":"<64 hex>"}
// `status` and `outcome` appear on phase "response" only; phase "event" (a vault lifecycle step
// such as init or unseal, with no request before it) carries `outcome`; `token_id`, `role`,
// `environment`,
// and `version` are null when unknown. `prev` is the hmac of the record before (64 zeros for the
// very first). `hmac` = AuditMac(chain_key, prev, S) where S is the line's text up to (not
// including) the final `,"hmac":"…"}`; verification strips that suffix textually, so no
// canonical JSON is needed. A rotated file's first record carries the last hmac of the previous
// file in `prev`, so the chain runs across files.
#ifndef SVAULT_VAULT_AUDIT_LOG_H_
#define SVAULT_VAULT_AUDIT_LOG_H_

#include <unistd.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "crypto/guarded_key.h"

namespace svault::vault {

struct AuditKey {
  std::string key;
  std::optional<uint64_t> version;  // nullopt = unpinned / unknown (null in JSON)
};

// What a caller fills in; the log adds seq, time, node, prev and hmac.
struct AuditEntry {
  std::string request_id;
  std::string phase;   // "request", "response" or "event"
  std::string action;  // e.g. "secret.put", "token.create", "sys.init"
  std::optional<std::string> token_id;
  std::optional<std::string> role;
  std::optional<std::string> environment;
  std::vector<AuditKey> keys;
  // What a non-secret operation acted on, where it is not an environment or a key: the id of
  // the token created or revoked. Never a token.
  std::optional<std::string> target;
  std::string client;
  int status = 0;       // response phase only
  std::string outcome;  // response and event phases: "ok" or an error code name
};

struct AuditOptions {
  std::string dir;  // created 0700 when missing
  std::string node = "node-1";
  uint64_t max_file_bytes = 2 * 1024 * 1024;  // rotate when a file would grow past this
  // Makes a file's written bytes durable (fdatasync; tests inject failures). 0 on success.
  std::function<int(int fd)> sync = [](int fd) { return ::fdatasync(fd); };
};

class AuditLog {
 public:
  // Opens the newest file in `dir` (creating the first when there is none), cuts a torn last
  // line (a partial record without "\n", left by a crash) and reports that through
  // `torn_tail_cut()`, and continues seq and the chain from the last complete record.
  // `chain_key` must outlive the log. kUnavailable when the directory or file cannot be used;
  // kIntegrityError when the last complete record does not parse.
  static Result<std::unique_ptr<AuditLog>> Open(const AuditOptions& options,
                                                const crypto::GuardedKey& chain_key,
                                                const Clock& clock);
  ~AuditLog();

  // Moves the audit files of `dir` into a new subdirectory `name` (0700), so that a new chain
  // starts afresh: init calls it for the records a failed init left behind. Answers how many
  // files moved (0 when there were none).
  static Result<size_t> SetAside(const std::string& dir, std::string_view name);

  // A record written to the file but maybe not yet durable.
  struct Ticket {
    uint64_t seq = 0;
    uint64_t generation = 0;  // which run of unsynced records it belongs to (see below)
  };

  // Appends are group-committed: a record joins the chain at once, in memory, and the log's
  // sync thread writes every record added so far with one write() and one fdatasync whenever
  // some are not yet durable, so one sync covers the records of many concurrent requests. On any
  // failure (disk full, permission revoked, I/O error, a failed fdatasync) the records not yet
  // durable are cut from the file, each of them fails (kUnavailable), and the chain continues from
  // the last durable one, so it stays intact. Thread-safe; records are totally ordered by seq.

  // Adds one record to the chain without waiting for it to reach the disk. The caller must then
  // wait for it (AwaitDurable or WhenDurable) before acting on it.
  Result<Ticket> Write(const AuditEntry& entry);
  // Blocks until the record is durable (OK) or was cut (kUnavailable).
  Status AwaitDurable(Ticket ticket);
  // Calls `done` once, with what AwaitDurable would answer: on the log's sync thread, or at once
  // on the caller's when the record is already settled. `done` must be quick (hand the result
  // to another thread) and must not destroy the log.
  void WhenDurable(Ticket ticket, std::function<void(Status)> done);
  // Write, then AwaitDurable; answers the record's seq.
  Result<uint64_t> Append(const AuditEntry& entry);
  // fdatasyncs that made records durable so far (fewer than appends under load).
  uint64_t sync_count() const;

  // Complete records with seq > `after`, oldest first, at most `limit`, for which `visible`
  // returns true (it gets the record's environment, nullopt when none). Each item is the
  // record's JSON text without the trailing newline.
  Result<std::vector<std::string>> Read(
      uint64_t after, size_t limit,
      const std::function<bool(const std::optional<std::string>&)>& visible) const;

  // True when Open() cut a torn tail (the server logs it).
  bool torn_tail_cut() const { return torn_tail_cut_; }
  uint64_t last_seq() const;  // of the newest durable record

  // The newest durable record: its seq and hmac (0 and 64 zeros before the first). An auditor
  // compares it with the files it verifies, so records cut from the end are noticed.
  struct Head {
    uint64_t seq = 0;
    std::string hmac;
  };
  Head head() const;

 private:
  AuditLog() = default;
  struct State;
  std::unique_ptr<State> state_;
  bool torn_tail_cut_ = false;
};

// The result of verifying one file of a chain.
struct AuditVerifyReport {
  bool ok = true;          // every complete record verified and the chain is unbroken
  uint64_t records = 0;    // complete records checked
  bool torn_tail = false;  // the file ends in a partial line without "\n" (crash, not tamper)
  // When !ok: where the chain first breaks.
  uint64_t break_line = 0;            // 1-based line number in the file
  std::optional<uint64_t> break_seq;  // the seq of that line when it parses
  std::string reason;                 // "hmac_mismatch", "prev_mismatch", "seq_gap", "unparseable"
  // The chain state after the last good record, to pass on when verifying the next file.
  std::string last_hmac;
  std::optional<uint64_t> last_seq;
};

// Verifies `content` (one audit file) under `chain_key`. When `expected_prev` / `expected_seq`
// are given (the state after the previous file), the first record must continue them: its prev
// must equal expected_prev and its seq be expected_seq + 1. An edited record fails on its hmac;
// a removed or reordered one fails on prev or seq. A last line without "\n" is reported as
// torn_tail, not as a break, unless it is a complete valid record missing only the newline.
AuditVerifyReport VerifyAuditFile(const crypto::GuardedKey& chain_key, std::string_view content,
                                  std::optional<std::string> expected_prev,
                                  std::optional<uint64_t> expected_seq);

}  // namespace svault::vault

#endif  // SVAULT_VAULT_AUDIT_LOG_H_
