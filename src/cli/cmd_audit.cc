// svault audit tail|verify: reading the audit chain and checking it with the vault's chain key.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/session.h"
#include "cli/value_input.h"

namespace svault::cli {
namespace {

namespace json = boost::json;

constexpr size_t kMaxPage = 1000;
constexpr std::chrono::seconds kPollInterval{1};
// Audit files rotate at a few MiB; this only bounds memory for a wrong argument.
constexpr size_t kMaxAuditFileBytes = 256u << 20;

struct AuditArgs {
  uint64_t after = 0;
  size_t limit = 0;  // 0 = no limit
  bool follow = false;
  bool partial = false;  // verify an excerpt: skip the start and end checks
  std::vector<std::string> files;
};

// A seq given as a JSON number or a decimal string; nullopt for null, missing or anything else.
std::optional<uint64_t> AsSeq(const json::value* value) {
  if (value == nullptr) return std::nullopt;
  if (value->is_uint64()) return value->get_uint64();
  if (value->is_int64() && value->get_int64() >= 0) return value->get_int64();
  if (!value->is_string()) return std::nullopt;
  const json::string& text = value->get_string();
  uint64_t seq = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seq);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return seq;
}

std::string KeysText(const json::value& keys) {
  std::string out;
  if (!keys.is_array()) return out;
  for (const auto& entry : keys.get_array()) {
    if (!entry.is_object()) continue;
    out += (out.empty() ? "" : ",") + FieldText(entry.get_object(), "key");
    const json::value* version = entry.get_object().if_contains("version");
    if (version != nullptr && !version->is_null()) out += "@" + ValueText(*version);
  }
  return out;
}

// One line per record: "seq time request_id phase action", then the fields that are set.
std::string FormatRecord(const json::object& record) {
  std::string line;
  for (const char* name : {"seq", "time", "request_id", "phase", "action"}) {
    line += (line.empty() ? "" : " ") + FieldText(record, name);
  }
  for (const char* name : {"environment", "token_id", "role", "status", "outcome", "client"}) {
    const json::value* value = record.if_contains(name);
    if (value != nullptr && !value->is_null())
      line += " " + std::string(name) + "=" + ValueText(*value);
  }
  if (const json::value* keys = record.if_contains("keys"); keys != nullptr) {
    const std::string text = KeysText(*keys);
    if (!text.empty()) line += " keys=" + text;
  }
  return Printable(line) + "\n";
}

// --- tail -----------------------------------------------------------------------------------

class Tail {
 public:
  Tail(const AuditArgs& args, Session& session)
      : args_(args), session_(session), after_(args.after) {}

  // Pages through the records after --after, following next_cursor; with --follow, polls every
  // second once the end is reached. Ends at --limit records.
  int Run() {
    while (!LimitReached()) {
      auto next = FetchPage();
      if (!next) return kExitServer;
      if (*next) continue;  // more pages now
      if (!args_.follow) break;
      session_.io().sleep(kPollInterval);
    }
    if (session_.json() && !args_.follow) session_.PrintItems(collected_);
    return kExitOk;
  }

 private:
  bool LimitReached() const { return args_.limit > 0 && printed_ >= args_.limit; }

  // One page. nullopt on an error (printed); else whether next_cursor said there is more.
  std::optional<bool> FetchPage() {
    const size_t page = args_.limit > 0 ? std::min(kMaxPage, args_.limit - printed_) : kMaxPage;
    Query query;
    query.Add("after", std::to_string(after_)).Add("limit", std::to_string(page));
    auto response = session_.Call(MakeRequest("GET", "/api/v1/audit" + query.ToString()));
    if (!response) return std::nullopt;
    auto answer = session_.ParseObject(*response);
    if (!answer) return std::nullopt;

    const json::value* items = answer->if_contains("items");
    if (items != nullptr && items->is_array()) {
      for (const auto& item : items->get_array()) {
        if (LimitReached() || !item.is_object()) break;
        Emit(item.get_object());
      }
    }

    const auto next = AsSeq(answer->if_contains("next_cursor"));
    if (!next) return false;
    if (*next <= after_ && (items == nullptr || !items->is_array() || items->get_array().empty())) {
      session_.PrintError("the server's next_cursor does not advance; stopping");
      return std::nullopt;
    }
    after_ = std::max(after_, *next);
    return true;
  }

  void Emit(const json::object& record) {
    ++printed_;
    if (const auto seq = AsSeq(record.if_contains("seq"))) after_ = std::max(after_, *seq);
    if (!session_.json()) {
      session_.out() << FormatRecord(record);
    } else if (args_.follow) {
      session_.PrintJson(json::serialize(record));  // JSON lines: a stream has no end to merge at
    } else {
      collected_.push_back(record);
    }
    if (args_.follow) session_.out().flush();
  }

  const AuditArgs& args_;
  Session& session_;
  uint64_t after_;
  size_t printed_ = 0;
  json::array collected_;
};

// --- verify ---------------------------------------------------------------------------------

// The chain state the next file must continue.
struct ChainState {
  std::optional<std::string> prev;
  std::optional<uint64_t> seq;
};

std::string VerifyTarget(const ChainState& state) {
  Query query;
  if (state.prev) query.Add("prev", *state.prev);
  if (state.seq) query.Add("seq", std::to_string(*state.seq));
  return "/api/v1/audit/verify" + query.ToString();
}

bool IsTrue(const json::object& report, std::string_view name) {
  const json::value* value = report.if_contains(name);
  return value != nullptr && value->is_bool() && value->get_bool();
}

const json::object* BreakOf(const json::object& report) {
  const json::value* at = report.if_contains("break");
  return at != nullptr && at->is_object() ? &at->get_object() : nullptr;
}

// A torn tail is what a crash leaves at the end of the newest file, so it is a problem only in
// a file that another file follows.
bool HasProblem(const json::object& report, bool last_file) {
  const bool torn_mid_chain = IsTrue(report, "torn_tail") && !last_file;
  return !IsTrue(report, "ok") || torn_mid_chain || BreakOf(report) != nullptr;
}

std::string DescribeReport(const std::string& file, const json::object& report) {
  const std::string records = FieldText(report, "records");
  std::string line = file + ": ";
  if (const json::object* at = BreakOf(report)) {
    line += "chain breaks at line " + FieldText(*at, "line") + " (seq " + FieldText(*at, "seq") +
            "): " + FieldText(*at, "reason") + "; " + records + " records verified before it";
  } else if (!IsTrue(report, "ok")) {
    line += "not verified (" + records + " records)";
  } else if (IsTrue(report, "torn_tail")) {
    line += "torn tail: the last line is incomplete (a crash, not an edit); " + records +
            " records verified";
  } else {
    line += "ok, " + records + " records";
  }
  return Printable(line) + "\n";
}

void Advance(ChainState& state, const json::object& report) {
  const json::value* hmac = report.if_contains("last_hmac");
  if (hmac != nullptr && hmac->is_string() && !hmac->get_string().empty()) {
    state.prev = std::string(hmac->get_string());
  }
  if (const auto seq = AsSeq(report.if_contains("last_seq"))) state.seq = seq;
}

// The vault's chain head (newest seq) before any file is read, so that records cut from the end
// of the files are noticed. nullopt after printing the error.
std::optional<uint64_t> FetchHeadSeq(Session& session) {
  auto response = session.Call(MakeRequest("GET", "/api/v1/audit/head"));
  if (!response) return std::nullopt;
  auto head = session.ParseObject(*response);
  if (!head) return std::nullopt;
  std::optional<uint64_t> seq = AsSeq(head->if_contains("seq"));
  if (!seq) session.PrintError("the server's audit head has no seq");
  return seq;
}

// Verifies one file against the chain state; nullopt on a server error (already printed).
std::optional<json::object> VerifyOne(const std::string& file, const ChainState& state,
                                      Session& session, int& exit_code) {
  auto content = ReadFileBytes(file, kMaxAuditFileBytes);
  if (!content.ok()) {
    session.PrintError(content.status().message());
    exit_code = kExitUsage;
    return std::nullopt;
  }
  Request request = MakeRequest("POST", VerifyTarget(state));
  request.content_type = "text/plain";
  request.body = std::move(content).value();
  exit_code = kExitServer;
  auto response = session.Call(request);
  if (!response) return std::nullopt;
  return session.ParseObject(*response);
}

// The files to verify: each argument that is a directory stands for its audit-*.jsonl files in
// name order. Listed only after the head is fetched, so every record up to the head is in them.
std::vector<std::string> ExpandAuditPaths(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const std::string& path : paths) {
    std::error_code ec;
    if (!std::filesystem::is_directory(path, ec)) {
      files.push_back(path);
      continue;
    }
    std::vector<std::string> found;
    for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
      const std::string name = entry.path().filename().string();
      if (name.starts_with("audit-") && name.ends_with(".jsonl")) {
        found.push_back(entry.path().string());
      }
    }
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
  }
  return files;
}

// Sends the files in order, each continuing the chain state of the answer before. Unless
// --partial, the first file must start the chain (seq 1) and the last must reach the head the
// vault had before verification began. Exit 3 on a break, a mid-chain torn tail, or a missing
// start or end.
int RunVerify(const AuditArgs& args, Session& session) {
  ChainState state;
  std::optional<uint64_t> head;
  if (!args.partial) {
    state.prev = std::string(64, '0');  // the chain's very start
    state.seq = 0;
    head = FetchHeadSeq(session);
    if (!head) return kExitServer;
  }

  const std::vector<std::string> files = ExpandAuditPaths(args.files);
  bool problems = false;
  json::array reports;
  bool broken = false;
  for (size_t i = 0; i < files.size() && !broken; ++i) {
    int exit_code = kExitOk;
    std::optional<json::object> report = VerifyOne(files[i], state, session, exit_code);
    if (!report) return exit_code;
    problems = HasProblem(*report, i + 1 == files.size()) || problems;
    broken = BreakOf(*report) != nullptr || !IsTrue(*report, "ok");
    Advance(state, *report);
    if (session.json()) {
      report->emplace("file", files[i]);
      reports.push_back(std::move(*report));
    } else {
      session.out() << DescribeReport(files[i], *report);
    }
    // After a break the chain state is unknown, so later files would all fail for no new
    // reason: name the first break only.
    if (broken && i + 1 < files.size() && !session.json()) {
      session.out() << "not checked after the break: " << files.size() - i - 1 << " file(s)\n";
    }
  }

  const uint64_t reached = state.seq.value_or(0);
  if (!broken && head && reached < *head) {
    problems = true;
    if (session.json()) {
      reports.push_back(json::object{
          {"problem", "records missing at the end"}, {"last_seq", reached}, {"head_seq", *head}});
    } else {
      session.out() << "the files end at seq " << reached << " but the vault's chain had reached "
                    << *head << " before verification began: newer records are missing "
                    << "(--partial verifies an excerpt)\n";
    }
  }
  if (session.json()) session.PrintItems(reports);
  return problems ? kExitProblems : kExitOk;
}

}  // namespace

void AddAuditCommand(CLI::App& root, Action& action) {
  CLI::App* audit = root.add_subcommand("audit", "read and verify the audit log");
  audit->require_subcommand(1);
  auto args = std::make_shared<AuditArgs>();

  CLI::App* tail = audit->add_subcommand("tail", "print audit records, oldest first");
  tail->add_option("--after", args->after, "only records with a seq greater than N (default 0)");
  tail->add_option("--limit", args->limit, "stop after N records (default: no limit)")
      ->check(CLI::PositiveNumber);
  tail->add_flag("-f,--follow", args->follow,
                 "keep polling every second for new records (--json: one record per line)");
  tail->callback([&action, args] {
    action = [args](Session& session) { return Tail(*args, session).Run(); };
  });

  CLI::App* verify = audit->add_subcommand(
      "verify",
      "verify audit files, in order, as one chain (exit 3 on a break or a mid-chain torn tail)");
  verify
      ->add_option("files", args->files,
                   "audit files, oldest first, or a directory of them (read after the vault's "
                   "head is fetched, so new records cannot slip between)")
      ->required()
      ->check(CLI::ExistingPath);
  verify->add_flag("--partial", args->partial,
                   "the files are an excerpt: do not require the chain's first record or the "
                   "vault's newest one");
  verify->callback(
      [&action, args] { action = [args](Session& session) { return RunVerify(*args, session); }; });
}

}  // namespace svault::cli
