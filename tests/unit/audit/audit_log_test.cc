#include "vault/audit_log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "crypto/guarded_key.h"

namespace svault::vault {
namespace {

using ::testing::ElementsAre;
using ::testing::SizeIs;

const std::string kZeroMac(64, '0');

// A fresh directory under /tmp, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/svault-audit-XXXXXX";
    const char* made = mkdtemp(pattern);
    EXPECT_NE(made, nullptr);
    path_ = made != nullptr ? made : "";
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string JoinLines(const std::vector<std::string>& lines) {
  std::string text;
  for (const std::string& line : lines) text += line + "\n";
  return text;
}

boost::json::object ParseLine(const std::string& line) {
  return boost::json::parse(line).as_object();
}

AuditEntry Request(const std::string& request_id, std::optional<std::string> environment = "acme") {
  AuditEntry entry;
  entry.request_id = request_id;
  entry.phase = "request";
  entry.action = "secret.reveal";
  entry.token_id = "tok_0123";
  entry.role = "security";
  entry.environment = std::move(environment);
  entry.keys = {{"DB_PASSWORD", std::nullopt}, {"API_KEY", 3}};
  entry.client = "127.0.0.1:5000";
  return entry;
}

AuditEntry Response(const std::string& request_id) {
  AuditEntry entry = Request(request_id);
  entry.phase = "response";
  entry.keys = {{"DB_PASSWORD", 7}};
  entry.status = 200;
  entry.outcome = "ok";
  return entry;
}

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(crypto::InitCrypto());
    Result<crypto::GuardedKey> key = crypto::GuardedKey::Random();
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    key_.emplace(std::move(key).value());
    options_.dir = dir_.path() + "/audit";
    options_.node = "n1";
  }

  std::unique_ptr<AuditLog> OpenLog() {
    Result<std::unique_ptr<AuditLog>> log = AuditLog::Open(options_, *key_, clock_);
    EXPECT_TRUE(log.ok()) << log.status().ToString();
    return log.ok() ? std::move(log).value() : nullptr;
  }

  uint64_t MustAppend(AuditLog& log, const AuditEntry& entry) {
    Result<uint64_t> seq = log.Append(entry);
    EXPECT_TRUE(seq.ok()) << seq.status().ToString();
    clock_.Advance(1000);
    return seq.ok() ? *seq : 0;
  }

  std::string FilePath(int number) const {
    char name[32];
    snprintf(name, sizeof(name), "/audit-%06d.jsonl", number);
    return options_.dir + name;
  }

  // Verifies the first file as the start of the chain.
  AuditVerifyReport VerifyFirst(const std::string& content) const {
    return VerifyAuditFile(*key_, content, kZeroMac, 0);
  }

  TempDir dir_;
  std::optional<crypto::GuardedKey> key_;
  FakeClock clock_;
  AuditOptions options_;
};

TEST_F(AuditLogTest, FirstRecordsChainFromZeroWithFieldsInOrder) {
  auto log = OpenLog();
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->last_seq(), 0u);
  EXPECT_EQ(MustAppend(*log, Request("req_1")), 1u);
  EXPECT_EQ(MustAppend(*log, Response("req_1")), 2u);
  EXPECT_EQ(log->last_seq(), 2u);

  const std::string content = ReadFile(FilePath(1));
  std::vector<std::string> lines = SplitLines(content);
  ASSERT_THAT(lines, SizeIs(2));
  EXPECT_EQ(
      lines[0].rfind("{\"seq\":1,\"time\":\"2026-01-01T00:00:00.000Z\",\"node\":\"n1\","
                     "\"request_id\":\"req_1\",\"phase\":\"request\",\"action\":\"secret.reveal\","
                     "\"token_id\":\"tok_0123\",\"role\":\"security\",\"environment\":\"acme\","
                     "\"keys\":[{\"key\":\"DB_PASSWORD\",\"version\":null},"
                     "{\"key\":\"API_KEY\",\"version\":3}],\"target\":null,"
                     "\"client\":\"127.0.0.1:5000\","
                     "\"prev\":\"" +
                         kZeroMac + "\",\"hmac\":\"",
                     0),
      0u)
      << lines[0];
  boost::json::object second = ParseLine(lines[1]);
  EXPECT_EQ(second.at("prev"), ParseLine(lines[0]).at("hmac"));
  EXPECT_EQ(second.at("status").as_int64(), 200);
  EXPECT_EQ(second.at("outcome").as_string(), "ok");

  AuditVerifyReport report = VerifyFirst(content);
  EXPECT_TRUE(report.ok) << report.reason;
  EXPECT_EQ(report.records, 2u);
  EXPECT_FALSE(report.torn_tail);
  EXPECT_EQ(report.last_seq, 2u);
  EXPECT_EQ(report.last_hmac, second.at("hmac").as_string());
}

TEST_F(AuditLogTest, OpenCreatesPrivateDirectoryAndFile) {
  auto log = OpenLog();
  ASSERT_NE(log, nullptr);
  struct stat st {};
  ASSERT_EQ(stat(options_.dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(stat(FilePath(1).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(AuditLogTest, ReopenContinuesSeqAndChain) {
  {
    auto log = OpenLog();
    ASSERT_NE(log, nullptr);
    MustAppend(*log, Request("req_1"));
    MustAppend(*log, Response("req_1"));
  }
  auto log = OpenLog();
  ASSERT_NE(log, nullptr);
  EXPECT_FALSE(log->torn_tail_cut());
  EXPECT_EQ(log->last_seq(), 2u);
  EXPECT_EQ(MustAppend(*log, Request("req_2")), 3u);

  AuditVerifyReport report = VerifyFirst(ReadFile(FilePath(1)));
  EXPECT_TRUE(report.ok) << report.reason << " at line " << report.break_line;
  EXPECT_EQ(report.records, 3u);
  EXPECT_EQ(report.last_seq, 3u);
}

TEST_F(AuditLogTest, RotationKeepsChainAcrossFiles) {
  options_.max_file_bytes = 1200;  // a record is about 450 bytes: two per file
  auto log = OpenLog();
  ASSERT_NE(log, nullptr);
  for (int i = 1; i <= 7; ++i) EXPECT_EQ(MustAppend(*log, Request("req_" + std::to_string(i))), i);
  ASSERT_TRUE(std::filesystem::exists(FilePath(4)));
  ASSERT_FALSE(std::filesystem::exists(FilePath(5)));

  // Each file continues the state reported for the one before.
  AuditVerifyReport first = VerifyFirst(ReadFile(FilePath(1)));
  ASSERT_TRUE(first.ok) << first.reason;
  EXPECT_EQ(first.records, 2u);
  const std::string second_content = ReadFile(FilePath(2));
  EXPECT_EQ(ParseLine(SplitLines(second_content)[0]).at("prev").as_string(), first.last_hmac);
  std::vector<AuditVerifyReport> reports = {first};
  uint64_t total = first.records;
  for (int number = 2; number <= 4; ++number) {
    const std::string content = ReadFile(FilePath(number));
    EXPECT_LE(content.size(), options_.max_file_bytes);
    const AuditVerifyReport& before = reports.back();
    reports.push_back(VerifyAuditFile(*key_, content, before.last_hmac, before.last_seq));
    ASSERT_TRUE(reports.back().ok) << "file " << number << ": " << reports.back().reason;
    total += reports.back().records;
  }
  EXPECT_EQ(total, 7u);
  EXPECT_EQ(reports.back().last_seq, 7u);

  // File 2 does not continue from the start of the chain, nor from a skipped seq.
  AuditVerifyReport wrong_prev = VerifyAuditFile(*key_, second_content, kZeroMac, first.last_seq);
  EXPECT_FALSE(wrong_prev.ok);
  EXPECT_EQ(wrong_prev.reason, "prev_mismatch");
  EXPECT_EQ(wrong_prev.break_line, 1u);
  AuditVerifyReport wrong_seq =
      VerifyAuditFile(*key_, second_content, first.last_hmac, *first.last_seq + 1);
  EXPECT_FALSE(wrong_seq.ok);
  EXPECT_EQ(wrong_seq.reason, "seq_gap");
  EXPECT_EQ(wrong_seq.break_seq, 3u);

  // A reopened log continues in the newest file.
  log.reset();
  log = OpenLog();
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(MustAppend(*log, Request("req_8")), 8u);
  AuditVerifyReport last =
      VerifyAuditFile(*key_, ReadFile(FilePath(4)), reports[2].last_hmac, reports[2].last_seq);
  EXPECT_TRUE(last.ok) << last.reason;
  EXPECT_EQ(last.records, 2u);
  EXPECT_EQ(last.last_seq, 8u);
}

TEST_F(AuditLogTest, ReopenAfterEmptyRotatedFileContinuesFromPreviousFile) {
  options_.max_file_bytes = 1200;
  {
    auto log = OpenLog();
    ASSERT_NE(log, nullptr);
    for (int i = 1; i <= 2; ++i) MustAppend(*log, Request("req_" + std::to_string(i)));
  }
  // As left by a rotation whose first append then failed.
  WriteFile(FilePath(2), "");
  AuditVerifyReport first = VerifyFirst(ReadFile(FilePath(1)));
  ASSERT_TRUE(first.ok);

  auto log = OpenLog();
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->last_seq(), 2u);
  EXPECT_EQ(MustAppend(*log, Request("req_3")), 3u);
  AuditVerifyReport second =
      VerifyAuditFile(*key_, ReadFile(FilePath(2)), first.last_hmac, first.last_seq);
  EXPECT_TRUE(second.ok) << second.reason;
  EXPECT_EQ(second.records, 1u);
}

class AuditVerifyTest : public AuditLogTest {
 protected:
  void SetUp() override {
    AuditLogTest::SetUp();
    auto log = OpenLog();
    ASSERT_NE(log, nullptr);
    for (int i = 1; i <= 5; ++i) MustAppend(*log, Request("req_" + std::to_string(i)));
    content_ = ReadFile(FilePath(1));
    lines_ = SplitLines(content_);
    ASSERT_THAT(lines_, SizeIs(5));
    ASSERT_TRUE(VerifyFirst(content_).ok);
  }

  std::string content_;
  std::vector<std::string> lines_;
};

TEST_F(AuditVerifyTest, EditedRecordFailsOnItsHmac) {
  std::vector<std::string> lines = lines_;
  const size_t at = lines[2].find("req_3");
  ASSERT_NE(at, std::string::npos);
  lines[2][at + 4] = '9';  // req_3 -> req_9

  AuditVerifyReport report = VerifyFirst(JoinLines(lines));
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.reason, "hmac_mismatch");
  EXPECT_EQ(report.break_line, 3u);
  EXPECT_EQ(report.break_seq, 3u);
  EXPECT_EQ(report.records, 2u);
  EXPECT_EQ(report.last_seq, 2u);
  EXPECT_EQ(report.last_hmac, ParseLine(lines_[1]).at("hmac").as_string());
}

TEST_F(AuditVerifyTest, EditedSeqFailsOnItsHmac) {
  std::vector<std::string> lines = lines_;
  lines[1].replace(0, 9, "{\"seq\":7,");
  AuditVerifyReport report = VerifyFirst(JoinLines(lines));
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.reason, "hmac_mismatch");
  EXPECT_EQ(report.break_line, 2u);
}

TEST_F(AuditVerifyTest, RemovedRecordBreaksTheChain) {
  std::vector<std::string> lines = lines_;
  lines.erase(lines.begin() + 2);
  AuditVerifyReport report = VerifyFirst(JoinLines(lines));
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.reason, "prev_mismatch");
  EXPECT_EQ(report.break_line, 3u);
  EXPECT_EQ(report.break_seq, 4u);

  // Removing the first record is caught against the expected start.
  lines = lines_;
  lines.erase(lines.begin());
  report = VerifyFirst(JoinLines(lines));
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.reason, "prev_mismatch");
  EXPECT_EQ(report.break_line, 1u);
}

TEST_F(AuditVerifyTest, ReorderedRecordsBreakTheChain) {
  std::vector<std::string> lines = lines_;
  std::swap(lines[1], lines[2]);
  AuditVerifyReport report = VerifyFirst(JoinLines(lines));
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.reason, "prev_mismatch");
  EXPECT_EQ(report.break_line, 2u);
  EXPECT_EQ(report.break_seq, 3u);
  EXPECT_EQ(report.records, 1u);
}

TEST_F(AuditVerifyTest, WrongKeyFailsOnFirstHmac) {
  Result<crypto::GuardedKey> other = crypto::GuardedKey::Random();
  ASSERT_TRUE(other.ok());
  AuditVerifyReport report = VerifyAuditFile(*other, content_, kZeroMac, 0);
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.reason, "hmac_mismatch");
  EXPECT_EQ(report.break_line, 1u);
}

TEST_F(AuditVerifyTest, TornTailIsNotTampering) {
  std::string torn = content_.substr(0, content_.size() - lines_[4].size() / 2);
  AuditVerifyReport report = VerifyFirst(torn);
  EXPECT_TRUE(report.ok) << report.reason;
  EXPECT_TRUE(report.torn_tail);
  EXPECT_EQ(report.records, 4u);
  EXPECT_EQ(report.last_seq, 4u);
}

TEST_F(AuditVerifyTest, CompleteLastRecordWithoutNewlineCounts) {
  std::string content = content_;
  content.pop_back();
  AuditVerifyReport report = VerifyFirst(content);
  EXPECT_TRUE(report.ok) << report.reason;
  EXPECT_FALSE(report.torn_tail);
  EXPECT_EQ(report.records, 5u);
}

TEST_F(AuditVerifyTest, EditedLastRecordWithoutNewlineIsTampering) {
  std::vector<std::string> lines = lines_;
  const size_t at = lines[4].find("req_5");
  ASSERT_NE(at, std::string::npos);
  lines[4][at + 4] = '6';
  std::string content = JoinLines(lines);
  content.pop_back();

  AuditVerifyReport report = VerifyFirst(content);
  EXPECT_FALSE(report.ok);
  EXPECT_FALSE(report.torn_tail);
  EXPECT_EQ(report.reason, "hmac_mismatch");
  EXPECT_EQ(report.break_line, 5u);
}

TEST_F(AuditVerifyTest, CutLineInTheMiddleIsUnparseable) {
  std::vector<std::string> lines = lines_;
  lines[2].resize(lines[2].size() / 2);
  AuditVerifyReport report = VerifyFirst(JoinLines(lines));
  EXPECT_FALSE(report.ok);
  EXPECT_FALSE(report.torn_tail);
  EXPECT_EQ(report.reason, "unparseable");
  EXPECT_EQ(report.break_line, 3u);
  EXPECT_EQ(report.break_seq, std::nullopt);
}

TEST_F(AuditLogTest, OpenCutsTornTailAndNextAppendVerifies) {
  {
    auto log = OpenLog();
    ASSERT_NE(log, nullptr);
    for (int i = 1; i <= 3; ++i) MustAppend(*log, Request("req_" + std::to_string(i)));
  }
  const std::string intact = ReadFile(FilePath(1));
  const std::string last = SplitLines(intact).back();
  WriteFile(FilePath(1), intact + last.substr(0, last.size() / 2));  // a crash mid-write

  auto log = OpenLog();
  ASSERT_NE(log, nullptr);
  EXPECT_TRUE(log->torn_tail_cut());
  EXPECT_EQ(log->last_seq(), 3u);
  EXPECT_EQ(ReadFile(FilePath(1)), intact);

  EXPECT_EQ(MustAppend(*log, Request("req_4")), 4u);
  AuditVerifyReport report = VerifyFirst(ReadFile(FilePath(1)));
  EXPECT_TRUE(report.ok) << report.reason << " at line " << report.break_line;
  EXPECT_FALSE(report.torn_tail);
  EXPECT_EQ(report.records, 4u);
}

TEST_F(AuditLogTest, OpenRejectsUnparseableLastRecord) {
  {
    auto log = OpenLog();
    ASSERT_NE(log, nullptr);
    MustAppend(*log, Request("req_1"));
  }
  WriteFile(FilePath(1), ReadFile(FilePath(1)) + "{\"seq\":\n");
  Result<std::unique_ptr<AuditLog>> log = AuditLog::Open(options_, *key_, clock_);
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), Code::kIntegrityError);
}

TEST_F(AuditLogTest, OpenFailsWhenDirectoryIsAFile) {
  WriteFile(options_.dir, "not a directory");
  Result<std::unique_ptr<AuditLog>> log = AuditLog::Open(options_, *key_, clock_);
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), Code::kUnavailable);
}

// Root ignores file modes, so a read-only file or directory would not stop the write. A file
// size limit does: with RLIMIT_FSIZE set and SIGXFSZ ignored, write() past the limit fails with
// EFBIG (after a short write up to the limit). The limit applies to the whole process, so it is
// set in a forked child; the child reports through its exit code and the parent checks the file.
// `room` is how many bytes the child may still add: 0 fails the first write, a few bytes force a
// partial line that Append must cut away. The child opens a log of its own: a fork keeps only
// the forking thread, so the parent's log has no sync thread there.
int AppendInChildWithFileSizeLimit(const std::function<std::unique_ptr<AuditLog>()>& open,
                                   const std::string& path, off_t room) {
  const pid_t pid = fork();
  if (pid == 0) {
    std::unique_ptr<AuditLog> opened = open();
    if (opened == nullptr) _exit(9);
    AuditLog& log = *opened;
    signal(SIGXFSZ, SIG_IGN);
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) _exit(10);
    const rlim_t limit = static_cast<rlim_t>(st.st_size + room);
    struct rlimit rl = {limit, limit};
    if (setrlimit(RLIMIT_FSIZE, &rl) != 0) _exit(11);
    Result<uint64_t> seq = log.Append(Request("req_denied"));
    if (seq.ok()) _exit(12);
    if (seq.status().code() != Code::kUnavailable) _exit(13);
    if (seq.status().message() != "audit log cannot be written") _exit(14);
    if (stat(path.c_str(), &st) != 0 || static_cast<rlim_t>(st.st_size) + room != limit) _exit(15);
    if (log.last_seq() != 2) _exit(16);
    _exit(0);
  }
  int wstatus = 0;
  if (pid < 0 || waitpid(pid, &wstatus, 0) != pid || !WIFEXITED(wstatus)) return -1;
  return WEXITSTATUS(wstatus);
}

TEST_F(AuditLogTest, AppendFailsClosedWhenFileCannotGrow) {
  auto log = OpenLog();
  ASSERT_NE(log, nullptr);
  MustAppend(*log, Request("req_1"));
  MustAppend(*log, Response("req_1"));
  const std::string before = ReadFile(FilePath(1));

  auto open = [this] { return OpenLog(); };
  EXPECT_EQ(AppendInChildWithFileSizeLimit(open, FilePath(1), 0), 0);
  EXPECT_EQ(ReadFile(FilePath(1)), before);
  EXPECT_EQ(AppendInChildWithFileSizeLimit(open, FilePath(1), 20), 0);
  EXPECT_EQ(ReadFile(FilePath(1)), before);

  // The chain is intact: the next append (in this process, without the limit) verifies.
  EXPECT_EQ(MustAppend(*log, Request("req_2")), 3u);
  AuditVerifyReport report = VerifyFirst(ReadFile(FilePath(1)));
  EXPECT_TRUE(report.ok) << report.reason;
  EXPECT_EQ(report.records, 3u);
}

std::vector<uint64_t> Seqs(const std::vector<std::string>& records) {
  std::vector<uint64_t> seqs;
  for (const std::string& record : records) {
    seqs.push_back(ParseLine(record).at("seq").to_number<uint64_t>());
  }
  return seqs;
}

TEST_F(AuditLogTest, ReadFiltersByVisibilityAndHonoursAfterAndLimit) {
  options_.max_file_bytes = 1200;  // spread the records over several files
  auto log = OpenLog();
  ASSERT_NE(log, nullptr);
  const std::vector<std::optional<std::string>> environments = {
      "acme", "beta", std::nullopt, "acme", "beta", "acme", std::nullopt, "acme"};
  for (size_t i = 0; i < environments.size(); ++i) {
    MustAppend(*log, Request("req_" + std::to_string(i + 1), environments[i]));
  }
  ASSERT_TRUE(std::filesystem::exists(FilePath(3)));
  auto acme_auditor = [](const std::optional<std::string>& environment) {
    return !environment || *environment == "acme";
  };

  Result<std::vector<std::string>> all = log->Read(0, 100, acme_auditor);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_THAT(Seqs(*all), ElementsAre(1, 3, 4, 6, 7, 8));
  const std::vector<std::string> lines = SplitLines(ReadFile(FilePath(1)));
  EXPECT_EQ((*all)[0], lines[0]);

  Result<std::vector<std::string>> page = log->Read(3, 2, acme_auditor);
  ASSERT_TRUE(page.ok());
  EXPECT_THAT(Seqs(*page), ElementsAre(4, 6));
  Result<std::vector<std::string>> tail = log->Read(6, 100, acme_auditor);
  ASSERT_TRUE(tail.ok());
  EXPECT_THAT(Seqs(*tail), ElementsAre(7, 8));

  // Limits that end a page inside a file (two records per file here).
  auto everything = [](const std::optional<std::string>&) { return true; };
  Result<std::vector<std::string>> first = log->Read(0, 1, everything);
  ASSERT_TRUE(first.ok());
  EXPECT_THAT(Seqs(*first), ElementsAre(1));
  Result<std::vector<std::string>> middle = log->Read(2, 3, everything);
  ASSERT_TRUE(middle.ok());
  EXPECT_THAT(Seqs(*middle), ElementsAre(3, 4, 5));

  Result<std::vector<std::string>> none = log->Read(0, 0, acme_auditor);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  Result<std::vector<std::string>> past = log->Read(8, 100, acme_auditor);
  ASSERT_TRUE(past.ok());
  EXPECT_TRUE(past->empty());
  Result<std::vector<std::string>> beta =
      log->Read(0, 100, [](const std::optional<std::string>& e) { return e == "beta"; });
  ASSERT_TRUE(beta.ok());
  EXPECT_THAT(Seqs(*beta), ElementsAre(2, 5));
}

// Collects every string in a JSON value (object keys excluded).
void CollectStrings(const boost::json::value& value, std::vector<std::string>& out) {
  if (value.is_string()) out.emplace_back(value.get_string());
  if (value.is_array()) {
    for (const auto& item : value.get_array()) CollectStrings(item, out);
  }
  if (value.is_object()) {
    for (const auto& member : value.get_object()) CollectStrings(member.value(), out);
  }
}

TEST_F(AuditLogTest, RecordsHoldOnlyTheEntryFields) {
  auto log = OpenLog();
  ASSERT_NE(log, nullptr);
  MustAppend(*log, Request("req_1"));
  MustAppend(*log, Response("req_1"));
  AuditEntry anonymous;
  anonymous.request_id = "req_2";
  anonymous.phase = "response";
  anonymous.action = "sys.unseal";
  anonymous.client = "127.0.0.1:6000";
  anonymous.status = 401;
  anonymous.outcome = "unauthenticated";
  MustAppend(*log, anonymous);

  const std::set<std::string> request_fields = {
      "seq",  "time",        "node", "request_id", "phase",  "action", "token_id",
      "role", "environment", "keys", "target",     "client", "prev",   "hmac"};
  std::set<std::string> response_fields = request_fields;
  response_fields.insert({"status", "outcome"});
  const std::set<std::string> inputs = {"n1",
                                        "req_1",
                                        "req_2",
                                        "request",
                                        "response",
                                        "secret.reveal",
                                        "sys.unseal",
                                        "tok_0123",
                                        "security",
                                        "acme",
                                        "DB_PASSWORD",
                                        "API_KEY",
                                        "127.0.0.1:5000",
                                        "127.0.0.1:6000",
                                        "ok",
                                        "unauthenticated"};

  for (const std::string& line : SplitLines(ReadFile(FilePath(1)))) {
    boost::json::object record = ParseLine(line);
    std::set<std::string> fields;
    for (const auto& member : record) fields.emplace(member.key());
    EXPECT_EQ(fields, record.at("phase") == "request" ? request_fields : response_fields);

    // Every string is an input or something the log adds itself (time, prev, hmac).
    std::set<std::string> added = {std::string(record.at("time").as_string()),
                                   std::string(record.at("prev").as_string()),
                                   std::string(record.at("hmac").as_string())};
    std::vector<std::string> strings;
    CollectStrings(record, strings);
    for (const std::string& text : strings) {
      EXPECT_TRUE(inputs.count(text) == 1 || added.count(text) == 1) << text;
    }
  }
  boost::json::object last = ParseLine(SplitLines(ReadFile(FilePath(1))).back());
  EXPECT_TRUE(last.at("token_id").is_null());
  EXPECT_TRUE(last.at("role").is_null());
  EXPECT_TRUE(last.at("environment").is_null());
  EXPECT_TRUE(last.at("keys").as_array().empty());
  EXPECT_EQ(last.at("status").as_int64(), 401);
}

TEST_F(AuditLogTest, InvalidUtf8IsReplacedSoTheLogStaysReadable) {
  auto log = OpenLog();
  ASSERT_NE(log, nullptr);
  AuditEntry entry = Request("req_1");
  entry.keys = {{"BAD\xff\xc3(KEY", std::nullopt}};
  EXPECT_EQ(MustAppend(*log, entry), 1u);
  log.reset();

  log = OpenLog();
  ASSERT_NE(log, nullptr);
  Result<std::vector<std::string>> records =
      log->Read(0, 10, [](const std::optional<std::string>&) { return true; });
  ASSERT_TRUE(records.ok());
  ASSERT_THAT(*records, SizeIs(1));
  EXPECT_EQ(ParseLine((*records)[0]).at("keys").at(0).at("key").as_string(),
            "BAD\xEF\xBF\xBD\xEF\xBF\xBD(KEY");
  EXPECT_TRUE(VerifyFirst(ReadFile(FilePath(1))).ok);
}

TEST_F(AuditLogTest, ConcurrentAppendsAreTotallyOrdered) {
  options_.max_file_bytes = 8 * 1024;
  auto log = OpenLog();
  ASSERT_NE(log, nullptr);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 25;
  std::vector<std::vector<uint64_t>> seqs(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        Result<uint64_t> seq = log->Append(Request("req_" + std::to_string(t)));
        if (seq.ok()) seqs[t].push_back(*seq);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  std::set<uint64_t> all;
  for (const auto& list : seqs) all.insert(list.begin(), list.end());
  ASSERT_EQ(all.size(), static_cast<size_t>(kThreads * kPerThread));
  EXPECT_EQ(*all.begin(), 1u);
  EXPECT_EQ(*all.rbegin(), static_cast<uint64_t>(kThreads * kPerThread));

  AuditVerifyReport report = VerifyFirst(ReadFile(FilePath(1)));
  uint64_t total = report.records;
  for (int number = 2; std::filesystem::exists(FilePath(number)); ++number) {
    ASSERT_TRUE(report.ok) << report.reason;
    report = VerifyAuditFile(*key_, ReadFile(FilePath(number)), report.last_hmac, report.last_seq);
    total += report.records;
  }
  EXPECT_TRUE(report.ok) << report.reason;
  EXPECT_EQ(total, static_cast<uint64_t>(kThreads * kPerThread));
}

// Group commit: under concurrency one fdatasync covers many records, and every append still
// returns only after its own record is durable.
TEST_F(AuditLogTest, ConcurrentAppendsShareFdatasyncs) {
  std::atomic<int> syncing{0};
  std::atomic<bool> overlapped{false};
  options_.sync = [&](int fd) {
    if (syncing.fetch_add(1) > 0) overlapped = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // a slow disk
    const int rc = ::fdatasync(fd);
    syncing.fetch_sub(1);
    return rc;
  };
  auto log = OpenLog();
  ASSERT_NE(log, nullptr);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 40;
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        Result<uint64_t> seq = log->Append(Request("req_" + std::to_string(t)));
        if (!seq.ok()) ++failed;
        // Durable before it returned: the head has reached it.
        if (seq.ok() && log->head().seq < *seq) ++failed;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_FALSE(overlapped.load()) << "one fdatasync at a time";
  EXPECT_LT(log->sync_count(), static_cast<uint64_t>(kThreads * kPerThread) / 2)
      << "expected records to share fdatasyncs";
  AuditVerifyReport report = VerifyFirst(ReadFile(FilePath(1)));
  EXPECT_TRUE(report.ok) << report.reason;
  EXPECT_EQ(report.records, static_cast<uint64_t>(kThreads * kPerThread));
}

// A failed fdatasync fails every append whose record it should have covered: none of them is in
// the file, the chain continues from the last durable record, and later appends succeed.
TEST_F(AuditLogTest, AFailedFdatasyncFailsItsRecordsAndCutsThem) {
  std::atomic<int> calls{0};
  std::atomic<int> fail_call{-1};
  options_.sync = [&](int fd) {
    const int n = calls.fetch_add(1);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (n == fail_call.load()) return -1;
    return ::fdatasync(fd);
  };
  auto log = OpenLog();
  ASSERT_NE(log, nullptr);
  MustAppend(*log, Request("req_before"));
  fail_call = calls.load() + 2;  // a sync in the middle of the concurrent burst fails

  constexpr int kThreads = 6;
  constexpr int kPerThread = 20;
  std::mutex mu;
  std::set<std::string> acknowledged;
  int failures = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string id = "req_" + std::to_string(t) + "_" + std::to_string(i);
        Result<uint64_t> seq = log->Append(Request(id));
        std::lock_guard lock(mu);
        if (seq.ok()) {
          acknowledged.insert(id);
        } else {
          EXPECT_EQ(seq.status().code(), Code::kUnavailable);
          ++failures;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_GT(failures, 0);
  MustAppend(*log, Request("req_after"));

  // The file holds exactly the acknowledged records (and the two around the burst), chained.
  const std::string content = ReadFile(FilePath(1));
  AuditVerifyReport report = VerifyFirst(content);
  EXPECT_TRUE(report.ok) << report.reason;
  std::set<std::string> in_file;
  for (const std::string& line : SplitLines(content)) {
    in_file.insert(std::string(ParseLine(line).at("request_id").as_string()));
  }
  acknowledged.insert("req_before");
  acknowledged.insert("req_after");
  EXPECT_EQ(in_file, acknowledged);
  EXPECT_EQ(report.records, acknowledged.size());
}

// Read skips the files that hold only records up to `after`, judging by where the next file
// starts, and answers the same records at every boundary.
TEST_F(AuditLogTest, ReadSkipsFilesWhollyBeforeAfter) {
  options_.max_file_bytes = 1200;  // two records per file
  auto log = OpenLog();
  ASSERT_NE(log, nullptr);
  for (int i = 1; i <= 7; ++i) MustAppend(*log, Request("req_" + std::to_string(i)));
  auto everything = [](const std::optional<std::string>&) { return true; };
  for (uint64_t after = 0; after <= 7; ++after) {
    Result<std::vector<std::string>> read = log->Read(after, 100, everything);
    ASSERT_TRUE(read.ok()) << after;
    std::vector<uint64_t> expected;
    for (uint64_t seq = after + 1; seq <= 7; ++seq) expected.push_back(seq);
    EXPECT_EQ(Seqs(*read), expected) << "after " << after;
  }
  // File 1 (seqs 1 and 2) is not even parsed once the reader is past it.
  std::ofstream(FilePath(1), std::ios::trunc) << "not a record\n";
  Result<std::vector<std::string>> past = log->Read(2, 100, everything);
  ASSERT_TRUE(past.ok()) << past.status().ToString();
  EXPECT_THAT(Seqs(*past), ElementsAre(3, 4, 5, 6, 7));
  EXPECT_FALSE(log->Read(0, 100, everything).ok());
}

// WhenDurable answers on the sync thread, not the caller's, once a sync covered the record;
// many records written before one sync are settled by it together.
TEST_F(AuditLogTest, WhenDurableCallsBackOnceTheRecordIsDurable) {
  std::mutex gate;
  gate.lock();  // holds the first sync until every record below is written
  std::atomic<int> syncs{0};
  options_.sync = [&](int fd) {
    if (syncs.fetch_add(1) == 0) std::lock_guard wait(gate);
    return ::fdatasync(fd);
  };
  auto log = OpenLog();
  ASSERT_NE(log, nullptr);
  constexpr int kRecords = 20;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::pair<uint64_t, Status>> answers;
  std::set<std::thread::id> callers;
  for (int i = 0; i < kRecords; ++i) {
    Result<AuditLog::Ticket> ticket = log->Write(Request("req_" + std::to_string(i)));
    ASSERT_TRUE(ticket.ok());
    log->WhenDurable(*ticket, [&, seq = ticket->seq](Status status) {
      std::lock_guard lock(mu);
      EXPECT_GE(log->head().seq, seq) << "called back before its record was durable";
      answers.emplace_back(seq, std::move(status));
      callers.insert(std::this_thread::get_id());
      cv.notify_all();
    });
  }
  gate.unlock();
  std::unique_lock lock(mu);
  ASSERT_TRUE(
      cv.wait_for(lock, std::chrono::seconds(10), [&] { return answers.size() == kRecords; }));
  for (const auto& [seq, status] : answers) EXPECT_TRUE(status.ok()) << seq;
  EXPECT_EQ(callers.count(std::this_thread::get_id()), 0u);
  EXPECT_LE(syncs.load(), 2) << "the records written during the first sync share the next";
}

// A failed sync fails the callbacks of the records it should have covered, and they are gone
// from the file; a record already durable answers at once.
TEST_F(AuditLogTest, WhenDurableReportsACutRecordAndAnswersSettledOnesAtOnce) {
  std::atomic<bool> fail{false};
  options_.sync = [&](int fd) { return fail.exchange(false) ? -1 : ::fdatasync(fd); };  // once
  auto log = OpenLog();
  ASSERT_NE(log, nullptr);
  Result<AuditLog::Ticket> durable = log->Write(Request("req_kept"));
  ASSERT_TRUE(durable.ok());
  ASSERT_TRUE(log->AwaitDurable(*durable).ok());
  std::optional<Status> at_once;
  log->WhenDurable(*durable, [&](Status status) { at_once = std::move(status); });
  ASSERT_TRUE(at_once.has_value()) << "a settled record answers on the caller's thread";
  EXPECT_TRUE(at_once->ok());

  fail = true;
  Result<AuditLog::Ticket> doomed = log->Write(Request("req_cut"));
  ASSERT_TRUE(doomed.ok());
  std::promise<Status> answer;
  log->WhenDurable(*doomed, [&](Status status) { answer.set_value(std::move(status)); });
  std::future<Status> future = answer.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(future.get().code(), Code::kUnavailable);
  EXPECT_EQ(ReadFile(FilePath(1)).find("req_cut"), std::string::npos);
  EXPECT_EQ(MustAppend(*log, Request("req_next")), 2u);
}

// A record that became durable stays reported durable after a later sync fails and cuts the
// records written after it.
TEST_F(AuditLogTest, ADurableRecordIsNotReportedLostByALaterFailure) {
  std::atomic<bool> fail{false};
  options_.sync = [&](int fd) { return fail.exchange(false) ? -1 : ::fdatasync(fd); };  // once
  auto log = OpenLog();
  ASSERT_NE(log, nullptr);
  Result<AuditLog::Ticket> kept = log->Write(Request("req_kept"));
  ASSERT_TRUE(kept.ok());
  ASSERT_TRUE(log->AwaitDurable(*kept).ok());
  fail = true;
  Result<AuditLog::Ticket> cut = log->Write(Request("req_cut"));
  ASSERT_TRUE(cut.ok());
  EXPECT_EQ(log->AwaitDurable(*cut).code(), Code::kUnavailable);
  EXPECT_TRUE(log->AwaitDurable(*kept).ok());
  std::optional<Status> answer;
  log->WhenDurable(*kept, [&](Status status) { answer = std::move(status); });
  ASSERT_TRUE(answer.has_value());
  EXPECT_TRUE(answer->ok());
  // The seq the cut record had is taken again by the next record; its old ticket stays lost.
  Result<AuditLog::Ticket> next = log->Write(Request("req_next"));
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->seq, cut->seq);
  EXPECT_TRUE(log->AwaitDurable(*next).ok());
  EXPECT_EQ(log->AwaitDurable(*cut).code(), Code::kUnavailable);
}

// Destroying the log settles what is pending first: no callback is lost.
TEST_F(AuditLogTest, ClosingTheLogSettlesPendingCallbacks) {
  std::atomic<int> called{0};
  {
    auto log = OpenLog();
    ASSERT_NE(log, nullptr);
    for (int i = 0; i < 5; ++i) {
      Result<AuditLog::Ticket> ticket = log->Write(Request("req_" + std::to_string(i)));
      ASSERT_TRUE(ticket.ok());
      log->WhenDurable(*ticket, [&](Status status) {
        EXPECT_TRUE(status.ok());
        ++called;
      });
    }
  }
  EXPECT_EQ(called.load(), 5);
}

}  // namespace
}  // namespace svault::vault
