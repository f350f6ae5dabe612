#include "refs/feel.h"

#include <cstdint>
#include <optional>

namespace svault::refs {
namespace {

std::optional<uint32_t> Hex4(std::string_view s, size_t at) {
  if (at + 4 > s.size()) return std::nullopt;
  uint32_t v = 0;
  for (size_t i = at; i < at + 4; ++i) {
    const char c = s[i];
    int d = -1;
    if (c >= '0' && c <= '9') d = c - '0';
    if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    if (d < 0) return std::nullopt;
    v = v * 16 + static_cast<uint32_t>(d);
  }
  return v;
}

// Decodes the \u escape at `i` (and a following low surrogate); returns its length, 0 if bad.
size_t UnicodeEscape(std::string_view s, size_t i, size_t end, Decoded& out) {
  std::optional<uint32_t> cp = Hex4(s.substr(0, end), i + 2);
  if (!cp) return 0;
  size_t length = 6;
  if (*cp >= 0xD800 && *cp < 0xDC00 && s.substr(i + 6, 2) == "\\u" && i + 12 <= end) {
    std::optional<uint32_t> low = Hex4(s, i + 8);
    if (low && *low >= 0xDC00 && *low < 0xE000) {
      *cp = 0x10000 + ((*cp - 0xD800) << 10) + (*low - 0xDC00);
      length = 12;
    }
  }
  out.PushCodePoint(*cp, i);
  return length;
}

}  // namespace

std::vector<FeelSpan> SplitFeel(std::string_view e) {
  std::vector<FeelSpan> out;
  size_t code = 0;
  size_t i = 0;
  while (i < e.size()) {
    const bool line_comment = e.substr(i, 2) == "//";
    if (line_comment || e.substr(i, 2) == "/*") {
      if (i > code) out.push_back(FeelSpan{false, false, code, i});
      const size_t close = e.find(line_comment ? "\n" : "*/", i + 2);
      const size_t end =
          close == std::string_view::npos ? e.size() : close + (line_comment ? 1 : 2);
      out.push_back(FeelSpan{false, true, i, end});
      i = code = end;
      continue;
    }
    if (e[i] != '"') {
      ++i;
      continue;
    }
    if (i > code) out.push_back(FeelSpan{false, false, code, i});
    size_t j = i + 1;
    while (j < e.size() && e[j] != '"') j += e[j] == '\\' ? 2 : 1;
    j = std::min(j, e.size());
    out.push_back(FeelSpan{true, false, i + 1, j});
    i = code = std::min(j + 1, e.size());
  }
  if (code < e.size()) out.push_back(FeelSpan{false, false, code, e.size()});
  return out;
}

Decoded DecodeFeelString(std::string_view e, size_t begin, size_t end) {
  Decoded out;
  out.Reserve(end - begin);
  size_t i = begin;
  while (i < end) {
    if (e[i] != '\\' || i + 1 >= end) {
      out.Push(e[i], i);
      ++i;
      continue;
    }
    const char c = e[i + 1];
    size_t length = 2;
    switch (c) {
      case '"': out.Push('"', i); break;
      case '\\': out.Push('\\', i); break;
      case '\'': out.Push('\'', i); break;
      case 'n': out.Push('\n', i); break;
      case 'r': out.Push('\r', i); break;
      case 't': out.Push('\t', i); break;
      case 'u': length = UnicodeEscape(e, i, end, out); break;
      default: length = 0; break;
    }
    if (length == 0) {  // not an escape FEEL knows: the backslash is itself
      out.Push('\\', i);
      length = 1;
    }
    i += length;
  }
  out.Finish(end);
  return out;
}

}  // namespace svault::refs
