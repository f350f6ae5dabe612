#include "vault/audit_log.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <filesystem>
#include <limits>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>

#include "common/encoding.h"
#include "crypto/mac.h"

namespace svault::vault {
namespace {

constexpr std::string_view kZeroMac =
    "0000000000000000000000000000000000000000000000000000000000000000";
constexpr std::string_view kFilePrefix = "audit-";
constexpr std::string_view kFileSuffix = ".jsonl";
constexpr std::string_view kMacField = ",\"hmac\":\"";
constexpr std::string_view kSeqField = "{\"seq\":";
constexpr size_t kMacHexLen = 64;
// ,"hmac":"<64 hex>"}  -- the fixed-length tail of every line (newline excluded).
constexpr size_t kMacSuffixLen = kMacField.size() + kMacHexLen + 2;

Status CannotWrite() { return Unavailable("audit log cannot be written"); }
Status CannotOpen() { return Unavailable("audit log cannot be opened"); }
Status CannotRead() { return Unavailable("audit log cannot be read"); }

// Closes the descriptor it owns.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    Reset(std::exchange(other.fd_, -1));
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { Reset(-1); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void Reset(int fd) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

std::string FileName(uint64_t number) {
  return fmt::format("{}{:06}{}", kFilePrefix, number, kFileSuffix);
}

std::string FilePath(const std::string& dir, uint64_t number) {
  return dir + "/" + FileName(number);
}

// The number in "audit-NNNNNN.jsonl" (at least six digits, from 1), nullopt for other names.
std::optional<uint64_t> ParseFileNumber(std::string_view name) {
  if (!name.starts_with(kFilePrefix) || !name.ends_with(kFileSuffix)) return std::nullopt;
  std::string_view digits = name.substr(kFilePrefix.size());
  digits.remove_suffix(kFileSuffix.size());
  if (digits.size() < 6) return std::nullopt;
  uint64_t number = 0;
  const char* end = digits.data() + digits.size();
  auto [ptr, ec] = std::from_chars(digits.data(), end, number);
  if (ec != std::errc() || ptr != end || number == 0) return std::nullopt;
  return number;
}

// The numbers of the audit files in `dir`, ascending.
Result<std::vector<uint64_t>> ListFileNumbers(const std::string& dir) {
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) return CannotRead();
  std::vector<uint64_t> numbers;
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (ec) return CannotRead();
    std::optional<uint64_t> number = ParseFileNumber(it->path().filename().string());
    if (number) numbers.push_back(*number);
  }
  if (ec) return CannotRead();
  std::sort(numbers.begin(), numbers.end());
  return numbers;
}

// At most `max_bytes` bytes from the start of the file at `path`.
Result<std::string> ReadFileText(const std::string& path,
                                 size_t max_bytes = std::numeric_limits<size_t>::max()) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return CannotRead();
  std::string text;
  char buffer[64 * 1024];
  while (text.size() < max_bytes) {
    const ssize_t n = read(fd.get(), buffer, std::min(sizeof(buffer), max_bytes - text.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return CannotRead();
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  return text;
}

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Invalid UTF-8 would make the line unparseable later (and the log unopenable), so each byte
// that does not start a valid sequence becomes U+FFFD.
std::string ValidUtf8(std::string_view text) {
  if (IsValidUtf8(text)) return std::string(text);
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const size_t len = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    std::string_view sequence = text.substr(i, len);
    if (lead >= 0x80 && lead < 0xC0) sequence = {};  // a stray continuation byte
    if (!sequence.empty() && IsValidUtf8(sequence)) {
      out.append(sequence);
      i += len;
    } else {
      out.append("\xEF\xBF\xBD");
      i += 1;
    }
  }
  return out;
}

boost::json::value OptionalString(const std::optional<std::string>& text) {
  if (!text) return nullptr;
  return boost::json::string(ValidUtf8(*text));
}

boost::json::array KeysJson(const std::vector<AuditKey>& keys) {
  boost::json::array array;
  for (const AuditKey& key : keys) {
    boost::json::object item;
    item["key"] = ValidUtf8(key.key);
    item["version"] = key.version ? boost::json::value(*key.version) : boost::json::value(nullptr);
    array.push_back(std::move(item));
  }
  return array;
}

// The record up to its hmac field: `{"seq":…,"prev":"…"` (object members keep insertion order,
// which fixes the field order of the line).
std::string SignedText(const AuditEntry& entry, uint64_t seq, const std::string& time,
                       const std::string& node, const std::string& prev) {
  boost::json::object record;
  record["seq"] = seq;
  record["time"] = time;
  record["node"] = ValidUtf8(node);
  record["request_id"] = ValidUtf8(entry.request_id);
  record["phase"] = ValidUtf8(entry.phase);
  record["action"] = ValidUtf8(entry.action);
  record["token_id"] = OptionalString(entry.token_id);
  record["role"] = OptionalString(entry.role);
  record["environment"] = OptionalString(entry.environment);
  record["keys"] = KeysJson(entry.keys);
  record["target"] = OptionalString(entry.target);
  record["client"] = ValidUtf8(entry.client);
  if (entry.phase == "response") record["status"] = entry.status;
  if (entry.phase != "request") record["outcome"] = ValidUtf8(entry.outcome);
  record["prev"] = prev;
  std::string text = boost::json::serialize(record);
  text.pop_back();  // the closing brace; the hmac field comes before it
  return text;
}

struct ParsedRecord {
  uint64_t seq = 0;
  std::string prev;
  std::string hmac;
  std::optional<std::string> environment;
};

// The chain fields of one line, nullopt when it is not a JSON object with them.
std::optional<ParsedRecord> ParseRecord(std::string_view line) {
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(line, ec);
  if (ec || !value.is_object()) return std::nullopt;
  const boost::json::object& object = value.get_object();
  const boost::json::value* seq = object.if_contains("seq");
  const boost::json::value* prev = object.if_contains("prev");
  const boost::json::value* hmac = object.if_contains("hmac");
  const boost::json::value* environment = object.if_contains("environment");
  if (seq == nullptr || prev == nullptr || hmac == nullptr || environment == nullptr) {
    return std::nullopt;
  }
  if (!prev->is_string() || !hmac->is_string()) return std::nullopt;
  if (!environment->is_string() && !environment->is_null()) return std::nullopt;

  ParsedRecord record;
  if (seq->is_uint64()) {
    record.seq = seq->get_uint64();
  } else if (seq->is_int64() && seq->get_int64() >= 0) {
    record.seq = static_cast<uint64_t>(seq->get_int64());
  } else {
    return std::nullopt;
  }
  record.prev = std::string(prev->get_string());
  record.hmac = std::string(hmac->get_string());
  if (environment->is_string()) record.environment = std::string(environment->get_string());
  return record;
}

// The seq written at the start of one of our lines (`{"seq":N,`), without a full parse.
std::optional<uint64_t> LeadingSeq(std::string_view line) {
  if (!line.starts_with(kSeqField)) return std::nullopt;
  const char* begin = line.data() + kSeqField.size();
  const char* end = line.data() + line.size();
  uint64_t seq = 0;
  auto [ptr, ec] = std::from_chars(begin, end, seq);
  if (ec != std::errc() || ptr == end || *ptr != ',') return std::nullopt;
  return seq;
}

// The seq of a file's first record, read from its first few bytes; nullopt when the file is
// empty or does not start with a record.
std::optional<uint64_t> FirstSeq(const std::string& path) {
  Result<std::string> head = ReadFileText(path, 64);
  if (!head.ok()) return std::nullopt;
  return LeadingSeq(*head);
}

bool IsLowerHex(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

struct SignedLine {
  std::string_view signed_text;  // S: the line up to its final ,"hmac":"…"}
  std::string_view mac;
};

// Splits off the fixed-length hmac suffix textually, so no canonical JSON is needed.
std::optional<SignedLine> SplitMac(std::string_view line) {
  if (line.size() < kMacSuffixLen) return std::nullopt;
  SignedLine split;
  split.signed_text = line.substr(0, line.size() - kMacSuffixLen);
  std::string_view suffix = line.substr(split.signed_text.size());
  if (!suffix.starts_with(kMacField) || !suffix.ends_with("\"}")) return std::nullopt;
  split.mac = suffix.substr(kMacField.size(), kMacHexLen);
  if (!IsLowerHex(split.mac)) return std::nullopt;
  return split;
}

// The last line of `content` that ends in "\n" (without it), empty when there is none.
std::string_view LastCompleteLine(std::string_view content) {
  const size_t end = content.rfind('\n');
  if (end == std::string_view::npos) return {};
  const size_t start = content.rfind('\n', end == 0 ? 0 : end - 1);
  if (start == std::string_view::npos || start == end) return content.substr(0, end);
  return content.substr(start + 1, end - start - 1);
}

// Calls `fn` with each line of `content` that ends in "\n" (without it) until it returns false.
template <typename Fn>
void ForEachCompleteLine(std::string_view content, Fn&& fn) {
  size_t pos = 0;
  while (true) {
    const size_t end = content.find('\n', pos);
    if (end == std::string_view::npos) return;
    if (!fn(content.substr(pos, end - pos))) return;
    pos = end + 1;
  }
}

// The verdict on one line of a file under verification.
struct LineVerdict {
  std::string_view reason;  // empty when the line verified and continues the chain
  bool well_formed = false;
  std::optional<uint64_t> seq;
  std::string mac;
};

LineVerdict CheckLine(const crypto::GuardedKey& chain_key, std::string_view line,
                      const std::optional<std::string>& want_prev,
                      const std::optional<uint64_t>& want_seq) {
  LineVerdict verdict;
  std::optional<ParsedRecord> record = ParseRecord(line);
  std::optional<SignedLine> split = SplitMac(line);
  if (record) verdict.seq = record->seq;
  if (!record || !split || record->hmac != split->mac) {
    verdict.reason = "unparseable";
    return verdict;
  }
  verdict.well_formed = true;
  verdict.mac = record->hmac;

  // The record's own prev is inside S, so the mac covers it; the chain check follows.
  const std::string expected_mac = crypto::AuditMac(chain_key, record->prev, split->signed_text);
  if (!crypto::ConstantTimeEquals(expected_mac, split->mac)) {
    verdict.reason = "hmac_mismatch";
  } else if (want_prev && record->prev != *want_prev) {
    verdict.reason = "prev_mismatch";
  } else if (want_seq && record->seq != *want_seq + 1) {
    verdict.reason = "seq_gap";
  }
  return verdict;
}

}  // namespace

struct AuditLog::State {
  State(const AuditOptions& opts, const crypto::GuardedKey& key, const Clock& time_source)
      : options(opts), chain_key(key), clock(time_source) {}

  Status OpenDir();
  Status OpenFile(bool create);
  Result<bool> CutTornTail(std::string& content);
  Status LoadChain(std::string_view newest_content, const std::vector<uint64_t>& numbers);
  bool NeedsRotation(size_t line_bytes) const {
    return file_size > 0 && file_size + line_bytes > options.max_file_bytes;
  }
  // Starts the next file when a line of `line_bytes` still needs it once no sync is under way
  // (the lock may be released meanwhile, so the caller rebuilds its line after).
  Status Rotate(std::unique_lock<std::mutex>& lock, size_t line_bytes);
  // Writes `batch` at the end of the file and makes it durable.
  bool WriteAndSync(int fd, std::string_view batch) const;
  // What waiting for `ticket` answers now, or nullopt while it is neither durable nor cut.
  std::optional<Status> Settled(const Ticket& ticket) const {
    // A record of an earlier generation was either durable before the cut that ended its
    // generation, or cut by it.
    if (ticket.generation < generation) {
      if (ticket.seq <= durable_at_cut[ticket.generation]) return Status::Ok();
      return CannotWrite();
    }
    if (durable_seq >= ticket.seq) return Status::Ok();
    if (broken) return CannotWrite();
    return std::nullopt;
  }
  // The sync thread: one fdatasync for every record written so far whenever some are not yet
  // durable, then the callbacks of the records it settled. Returns once stopping and idle.
  void SyncLoop();
  // One fdatasync covering every record written so far (the lock released meanwhile, so others
  // keep writing; theirs ride on the next sync).
  void SyncOnce(std::unique_lock<std::mutex>& lock);
  // Removes the callbacks whose records are settled, with their answers.
  std::vector<std::pair<std::function<void(Status)>, Status>> TakeSettled();
  // After a failed fdatasync: cuts every record not known durable and rolls the chain back.
  void CutUnsynced();
  void MarkDurable() {
    durable_size = file_size;
    durable_seq = last_seq;
    durable_hmac = last_hmac;
  }

  const AuditOptions options;
  const crypto::GuardedKey& chain_key;
  const Clock& clock;

  mutable std::mutex mu;
  UniqueFd dir_fd;           // guarded by mu
  UniqueFd file_fd;          // guarded by mu
  uint64_t file_number = 1;  // guarded by mu
  // Written: what the chain continues from (maybe still in `pending`, not yet durable).
  // guarded by mu; bytes of complete records in the current file, `pending` included
  uint64_t file_size = 0;
  // guarded by mu; records not yet in the file: the sync thread writes them all with one
  // write() before its fdatasync
  std::string pending;
  uint64_t last_seq = 0;  // guarded by mu
  std::string last_hmac;  // guarded by mu
  // Durable: covered by an fdatasync that succeeded. Readers and head() see only these.
  uint64_t durable_size = 0;  // guarded by mu
  uint64_t durable_seq = 0;   // guarded by mu
  std::string durable_hmac;   // guarded by mu
  uint64_t generation = 0;    // guarded by mu; +1 each time unsynced records are cut
  // guarded by mu; for each ended generation, the last seq that was durable when it ended
  std::vector<uint64_t> durable_at_cut;
  bool syncing = false;            // guarded by mu; an fdatasync is under way
  uint64_t syncs = 0;              // guarded by mu; fdatasyncs that covered records
  std::condition_variable synced;  // durable_seq or generation moved
  std::condition_variable work;    // for the sync thread: records written, callbacks, stop
  struct Waiter {
    Ticket ticket;
    std::function<void(Status)> done;
  };
  std::vector<Waiter> waiters;  // guarded by mu
  bool stopping = false;        // guarded by mu
  bool broken = false;          // guarded by mu; a failed write could not be undone
  std::thread syncer;
};

Status AuditLog::State::OpenDir() {
  if (options.dir.empty()) return CannotOpen();
  if (mkdir(options.dir.c_str(), 0700) != 0 && errno != EEXIST) return CannotOpen();
  dir_fd.Reset(open(options.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd.valid()) return CannotOpen();
  return Status::Ok();
}

Status AuditLog::State::OpenFile(bool create) {
  const std::string path = FilePath(options.dir, file_number);
  const int flags = O_APPEND | O_WRONLY | O_CLOEXEC | (create ? O_CREAT : 0);
  file_fd.Reset(open(path.c_str(), flags, 0600));
  if (!file_fd.valid()) return CannotOpen();
  // A new file's name is durable only once its directory is.
  if (create && fsync(dir_fd.get()) != 0) return CannotOpen();
  return Status::Ok();
}

// Anything after the last "\n" was never acknowledged (Append returns only after the whole line,
// newline included, is durable), so it is cut even when it happens to be a complete record.
Result<bool> AuditLog::State::CutTornTail(std::string& content) {
  const size_t last_newline = content.rfind('\n');
  const size_t keep = last_newline == std::string::npos ? 0 : last_newline + 1;
  file_size = keep;
  if (keep == content.size()) return false;
  if (ftruncate(file_fd.get(), static_cast<off_t>(keep)) != 0) return CannotWrite();
  if (fdatasync(file_fd.get()) != 0) return CannotWrite();
  content.resize(keep);
  return true;
}

// Continues from the last complete record: of the newest file, or of the newest earlier file
// when a rotation created the newest one but no record reached it.
Status AuditLog::State::LoadChain(std::string_view newest_content,
                                  const std::vector<uint64_t>& numbers) {
  std::string earlier_content;
  std::string_view line = LastCompleteLine(newest_content);
  for (auto it = numbers.rbegin(); line.empty() && it != numbers.rend(); ++it) {
    if (*it >= file_number) continue;
    SVAULT_ASSIGN_OR_RETURN(earlier_content, ReadFileText(FilePath(options.dir, *it)));
    line = LastCompleteLine(earlier_content);
  }
  if (line.empty()) {
    last_seq = 0;
    last_hmac = std::string(kZeroMac);
    return Status::Ok();
  }
  std::optional<ParsedRecord> record = ParseRecord(line);
  if (!record) return IntegrityError("last audit record does not parse");
  last_seq = record->seq;
  last_hmac = record->hmac;
  return Status::Ok();
}

// Makes the current file durable (a rotated file is never written again), then starts the next.
Status AuditLog::State::Rotate(std::unique_lock<std::mutex>& lock, size_t line_bytes) {
  synced.wait(lock, [this] { return !syncing; });
  if (broken) return CannotWrite();
  if (!NeedsRotation(line_bytes)) return Status::Ok();  // another append rotated meanwhile
  if (durable_seq < last_seq) {
    if (!WriteAndSync(file_fd.get(), pending)) {
      CutUnsynced();
      synced.notify_all();
      return CannotWrite();
    }
    pending.clear();
    ++syncs;
    MarkDurable();
    synced.notify_all();
    work.notify_one();  // callbacks to settle
  }
  const uint64_t next = file_number + 1;
  const std::string path = FilePath(options.dir, next);
  UniqueFd fd(open(path.c_str(), O_CREAT | O_APPEND | O_WRONLY | O_CLOEXEC, 0600));
  if (!fd.valid()) return CannotWrite();

  // A retry after a failed directory sync finds the same empty file; anything else is foreign.
  struct stat st {};
  if (fstat(fd.get(), &st) != 0 || st.st_size != 0) return CannotWrite();
  if (fsync(dir_fd.get()) != 0) return CannotWrite();

  file_fd = std::move(fd);
  file_number = next;
  file_size = 0;
  durable_size = 0;
  return Status::Ok();
}

bool AuditLog::State::WriteAndSync(int fd, std::string_view batch) const {
  return WriteAll(fd, batch) && options.sync(fd) == 0;
}

void AuditLog::State::CutUnsynced() {
  if (ftruncate(file_fd.get(), static_cast<off_t>(durable_size)) != 0 ||
      options.sync(file_fd.get()) != 0) {
    broken = true;
  }
  pending.clear();
  file_size = durable_size;
  last_seq = durable_seq;
  last_hmac = durable_hmac;
  durable_at_cut.push_back(durable_seq);  // generation `generation` ends here
  ++generation;
}

void AuditLog::State::SyncOnce(std::unique_lock<std::mutex>& lock) {
  syncing = true;
  const uint64_t target_size = file_size;
  const uint64_t target_seq = last_seq;
  std::string target_hmac = last_hmac;
  const int fd = file_fd.get();
  const std::string batch = std::move(pending);
  pending.clear();
  lock.unlock();
  const bool ok = WriteAndSync(fd, batch);
  lock.lock();
  syncing = false;
  if (ok) {
    ++syncs;
    durable_size = target_size;
    durable_seq = target_seq;
    durable_hmac = std::move(target_hmac);
  } else {
    CutUnsynced();
  }
  synced.notify_all();
}

std::vector<std::pair<std::function<void(Status)>, Status>> AuditLog::State::TakeSettled() {
  std::vector<std::pair<std::function<void(Status)>, Status>> settled;
  auto pending = waiters.begin();
  for (Waiter& waiter : waiters) {
    if (std::optional<Status> answer = Settled(waiter.ticket)) {
      settled.emplace_back(std::move(waiter.done), std::move(*answer));
    } else {
      *pending++ = std::move(waiter);
    }
  }
  waiters.erase(pending, waiters.end());
  return settled;
}

void AuditLog::State::SyncLoop() {
  std::unique_lock<std::mutex> lock(mu);
  while (true) {
    // Every waiter's record is written, so it is settled by the next sync, or already was by a
    // rotation's.
    work.wait(lock, [this] {
      return stopping || durable_seq < last_seq ||
             std::any_of(waiters.begin(), waiters.end(),
                         [this](const Waiter& w) { return Settled(w.ticket).has_value(); });
    });
    if (durable_seq < last_seq) SyncOnce(lock);
    auto settled = TakeSettled();
    if (!settled.empty()) {
      lock.unlock();
      for (auto& [done, answer] : settled) done(std::move(answer));
      settled.clear();
      lock.lock();
    }
    if (stopping && durable_seq >= last_seq && waiters.empty()) return;
  }
}

Result<std::unique_ptr<AuditLog>> AuditLog::Open(const AuditOptions& options,
                                                 const crypto::GuardedKey& chain_key,
                                                 const Clock& clock) {
  auto state = std::make_unique<State>(options, chain_key, clock);
  SVAULT_RETURN_IF_ERROR(state->OpenDir());
  SVAULT_ASSIGN_OR_RETURN(std::vector<uint64_t> numbers, ListFileNumbers(options.dir));
  if (!numbers.empty()) state->file_number = numbers.back();
  SVAULT_RETURN_IF_ERROR(state->OpenFile(/*create=*/numbers.empty()));

  SVAULT_ASSIGN_OR_RETURN(std::string content,
                          ReadFileText(FilePath(options.dir, state->file_number)));
  SVAULT_ASSIGN_OR_RETURN(bool cut, state->CutTornTail(content));
  SVAULT_RETURN_IF_ERROR(state->LoadChain(content, numbers));

  state->MarkDurable();
  state->syncer = std::thread([raw = state.get()] { raw->SyncLoop(); });
  std::unique_ptr<AuditLog> log(new AuditLog());
  log->state_ = std::move(state);
  log->torn_tail_cut_ = cut;
  return log;
}

AuditLog::~AuditLog() {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->stopping = true;
  }
  state_->work.notify_one();
  state_->synced.notify_all();
  state_->syncer.join();  // after it has settled whatever was pending
}

Result<AuditLog::Ticket> AuditLog::Write(const AuditEntry& entry) {
  State& state = *state_;
  std::unique_lock<std::mutex> lock(state.mu);
  if (state.broken) return CannotWrite();

  uint64_t seq = 0;
  std::string line;
  std::string mac;
  while (true) {
    seq = state.last_seq + 1;
    const std::string time = FormatRfc3339(state.clock.NowMillis());
    line = SignedText(entry, seq, time, state.options.node, state.last_hmac);
    mac = crypto::AuditMac(state.chain_key, state.last_hmac, line);
    line.append(kMacField).append(mac).append("\"}\n");
    // A record larger than max_file_bytes still goes into a fresh file of its own. Rotating
    // may let other appends in, so the record is built again after it.
    if (!state.NeedsRotation(line.size())) break;
    SVAULT_RETURN_IF_ERROR(state.Rotate(lock, line.size()));
  }
  state.pending.append(line);
  state.file_size += line.size();
  state.last_seq = seq;
  state.last_hmac = std::move(mac);
  state.work.notify_one();
  return Ticket{seq, state.generation};
}

Status AuditLog::AwaitDurable(Ticket ticket) {
  State& state = *state_;
  std::unique_lock<std::mutex> lock(state.mu);
  std::optional<Status> answer;
  state.synced.wait(lock, [&] { return (answer = state.Settled(ticket)).has_value(); });
  return *answer;
}

void AuditLog::WhenDurable(Ticket ticket, std::function<void(Status)> done) {
  State& state = *state_;
  std::unique_lock<std::mutex> lock(state.mu);
  if (std::optional<Status> answer = state.Settled(ticket)) {
    lock.unlock();
    done(std::move(*answer));
    return;
  }
  state.waiters.push_back({ticket, std::move(done)});
  state.work.notify_one();
}

Result<uint64_t> AuditLog::Append(const AuditEntry& entry) {
  SVAULT_ASSIGN_OR_RETURN(Ticket ticket, Write(entry));
  SVAULT_RETURN_IF_ERROR(AwaitDurable(ticket));
  return ticket.seq;
}

Result<size_t> AuditLog::SetAside(const std::string& dir, std::string_view name) {
  if (!std::filesystem::exists(dir)) return size_t{0};
  SVAULT_ASSIGN_OR_RETURN(std::vector<uint64_t> numbers, ListFileNumbers(dir));
  if (numbers.empty()) return size_t{0};
  const std::string aside = dir + "/" + std::string(name);
  if (mkdir(aside.c_str(), 0700) != 0) return CannotWrite();
  for (uint64_t number : numbers) {
    const std::string from = FilePath(dir, number);
    const std::string to = aside + from.substr(dir.size());
    if (rename(from.c_str(), to.c_str()) != 0) return CannotWrite();
  }
  return numbers.size();
}

uint64_t AuditLog::sync_count() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->syncs;
}

Result<std::vector<std::string>> AuditLog::Read(
    uint64_t after, size_t limit,
    const std::function<bool(const std::optional<std::string>&)>& visible) const {
  // Earlier files never change and the newest only grows past the snapshot, so the scan needs
  // no lock: it reads the newest file up to the size it had here.
  uint64_t newest = 0;
  uint64_t newest_size = 0;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    newest = state_->file_number;
    newest_size = state_->durable_size;
  }
  std::vector<std::string> records;
  if (limit == 0) return records;

  SVAULT_ASSIGN_OR_RETURN(std::vector<uint64_t> numbers, ListFileNumbers(state_->options.dir));
  for (size_t i = 0; i < numbers.size(); ++i) {
    const uint64_t number = numbers[i];
    if (number > newest || records.size() >= limit) break;
    // A file whose successor starts at or before after + 1 holds only records up to `after`:
    // skipped after reading a few bytes of that successor, instead of being scanned whole.
    if (i + 1 < numbers.size() && numbers[i + 1] <= newest) {
      const std::optional<uint64_t> next_first =
          FirstSeq(FilePath(state_->options.dir, numbers[i + 1]));
      if (next_first && *next_first <= after + 1) continue;
    }
    const size_t max_bytes = number == newest ? newest_size : std::numeric_limits<size_t>::max();
    SVAULT_ASSIGN_OR_RETURN(std::string content,
                            ReadFileText(FilePath(state_->options.dir, number), max_bytes));
    bool parse_failed = false;
    ForEachCompleteLine(content, [&](std::string_view line) {
      std::optional<uint64_t> leading = LeadingSeq(line);
      if (leading && *leading <= after) return true;
      std::optional<ParsedRecord> record = ParseRecord(line);
      if (!record) {
        parse_failed = true;
        return false;
      }
      if (record->seq > after && visible(record->environment)) records.emplace_back(line);
      return records.size() < limit;
    });
    if (parse_failed) return IntegrityError("audit record does not parse");
  }
  return records;
}

uint64_t AuditLog::last_seq() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->durable_seq;
}

AuditLog::Head AuditLog::head() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return Head{state_->durable_seq, state_->durable_hmac};
}

AuditVerifyReport VerifyAuditFile(const crypto::GuardedKey& chain_key, std::string_view content,
                                  std::optional<std::string> expected_prev,
                                  std::optional<uint64_t> expected_seq) {
  AuditVerifyReport report;
  std::optional<std::string> prev = std::move(expected_prev);
  std::optional<uint64_t> seq = expected_seq;
  uint64_t line_number = 0;
  size_t pos = 0;
  while (pos < content.size()) {
    const size_t end = content.find('\n', pos);
    const bool complete = end != std::string_view::npos;
    std::string_view line = content.substr(pos, complete ? end - pos : std::string_view::npos);
    pos = complete ? end + 1 : content.size();
    ++line_number;

    LineVerdict verdict = CheckLine(chain_key, line, prev, seq);
    // A crash leaves a strict prefix of a line, which is never a well-formed record.
    if (!complete && !verdict.well_formed) {
      report.torn_tail = true;
      break;
    }
    if (!verdict.reason.empty()) {
      report.ok = false;
      report.break_line = line_number;
      report.break_seq = verdict.seq;
      report.reason = std::string(verdict.reason);
      break;
    }
    ++report.records;
    prev = std::move(verdict.mac);
    seq = verdict.seq;
  }
  report.last_hmac = prev.value_or("");
  report.last_seq = seq;
  return report;
}

}  // namespace svault::vault
