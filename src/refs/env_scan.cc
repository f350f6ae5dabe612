#include "refs/env_scan.h"

#include <fmt/format.h>

#include <algorithm>

namespace svault::refs {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

class Scanner {
 public:
  Scanner(std::string_view doc, std::vector<EnvPiece>& out) : doc_(doc), out_(out) {}

  Status Run() {
    while (pos_ < doc_.size()) SVAULT_RETURN_IF_ERROR(Line());
    return Status::Ok();
  }

 private:
  Status Fail(std::string_view what, size_t at) const {
    const auto line = 1 + std::count(doc_.begin(), doc_.begin() + static_cast<long>(at), '\n');
    return BadRequest(fmt::format("document is not a valid .env file: {} (line {})", what, line));
  }

  size_t LineEnd(size_t from) const {
    const size_t nl = doc_.find('\n', from);
    return nl == std::string_view::npos ? doc_.size() : nl;
  }

  size_t SkipBlanks(size_t i, size_t end) const {
    while (i < end && IsBlank(doc_[i])) ++i;
    return i;
  }

  // End of [begin, end) without trailing blanks and CR.
  size_t TrimEnd(size_t begin, size_t end) const {
    while (end > begin && (IsBlank(doc_[end - 1]) || doc_[end - 1] == '\r')) --end;
    return end;
  }

  Status Line() {
    const size_t line_end = LineEnd(pos_);
    size_t i = SkipBlanks(pos_, line_end);
    if (i == TrimEnd(i, line_end) || doc_[i] == '#') {
      pos_ = line_end + 1;
      return Status::Ok();
    }
    if (doc_.substr(i, 7) == "export ") i = SkipBlanks(i + 7, line_end);
    const size_t eq = doc_.substr(0, line_end).find('=', i);
    if (eq == std::string_view::npos) return Fail("expected NAME=value", i);
    const size_t name_end = TrimEnd(i, eq);
    if (name_end == i) return Fail("empty variable name", i);
    out_.push_back(EnvPiece{EnvPiece::Kind::kName, i, name_end});
    return Value(SkipBlanks(eq + 1, line_end), line_end);
  }

  Status Value(size_t v, size_t line_end) {
    if (v < line_end && (doc_[v] == '"' || doc_[v] == '\'')) return Quoted(v);
    size_t end = TrimEnd(v, line_end);
    for (size_t k = v + 1; k < end; ++k) {
      if (doc_[k] == '#' && IsBlank(doc_[k - 1])) {
        end = TrimEnd(v, k);
        break;
      }
    }
    out_.push_back(EnvPiece{EnvPiece::Kind::kUnquoted, v, end});
    pos_ = line_end + 1;
    return Status::Ok();
  }

  Status Quoted(size_t open) {
    const char quote = doc_[open];
    size_t k = open + 1;
    while (k < doc_.size() && doc_[k] != quote) k += (quote == '"' && doc_[k] == '\\') ? 2 : 1;
    if (k >= doc_.size()) return Fail("unterminated quoted value", open);
    const auto kind = quote == '"' ? EnvPiece::Kind::kDoubleQuoted : EnvPiece::Kind::kSingleQuoted;
    out_.push_back(EnvPiece{kind, open + 1, k});

    const size_t line_end = LineEnd(k);
    const size_t rest = SkipBlanks(k + 1, line_end);
    const size_t rest_end = TrimEnd(rest, line_end);
    if (rest < rest_end && doc_[rest] != '#') {
      out_.push_back(EnvPiece{EnvPiece::Kind::kTrailing, rest, rest_end});
    }
    pos_ = line_end + 1;
    return Status::Ok();
  }

  std::string_view doc_;
  std::vector<EnvPiece>& out_;
  size_t pos_ = 0;
};

}  // namespace

Status ScanEnv(std::string_view doc, std::vector<EnvPiece>& out) { return Scanner(doc, out).Run(); }

Decoded DecodeEnvQuoted(std::string_view doc, size_t begin, size_t end) {
  Decoded out;
  size_t i = begin;
  while (i < end) {
    if (doc[i] == '\\' && i + 1 < end) {
      const char e = doc[i + 1];
      if (e == '\\' || e == '"' || e == '$' || e == '`' || e == 'n') {
        out.Push(e == 'n' ? '\n' : e, i);
        i += 2;
        continue;
      }
    }
    out.Push(doc[i], i);
    ++i;
  }
  out.Finish(end);
  return out;
}

}  // namespace svault::refs
