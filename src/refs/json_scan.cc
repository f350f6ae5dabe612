#include "refs/json_scan.h"

#include <fmt/format.h>

namespace svault::refs {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

uint32_t Hex4(std::string_view s, size_t at) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v = v * 16 + static_cast<uint32_t>(HexValue(s[at + i]));
  return v;
}

// JSON pointer escaping of one reference token.
void AppendPointerToken(std::string& pointer, std::string_view token) {
  pointer.push_back('/');
  for (char c : token) {
    if (c == '~') {
      pointer += "~0";
    } else if (c == '/') {
      pointer += "~1";
    } else {
      pointer.push_back(c);
    }
  }
}

class Scanner {
 public:
  Scanner(std::string_view in, const std::function<void(const JsonString&)>* on_string)
      : in_(in), on_string_(on_string) {}

  Status Run() {
    SkipSpace();
    SVAULT_RETURN_IF_ERROR(Value(0));
    SkipSpace();
    if (pos_ != in_.size()) return Fail("unexpected data after the JSON value");
    return Status::Ok();
  }

 private:
  Status Fail(std::string_view what) const {
    return BadRequest(fmt::format("document is not valid JSON: {} at byte {}", what, pos_));
  }

  void SkipSpace() {
    while (pos_ < in_.size() &&
           (in_[pos_] == ' ' || in_[pos_] == '\t' || in_[pos_] == '\n' || in_[pos_] == '\r')) {
      ++pos_;
    }
  }

  Status Value(int depth) {
    if (depth > kMaxJsonDepth) return Fail("nesting too deep");
    if (pos_ >= in_.size()) return Fail("unexpected end");
    switch (in_[pos_]) {
      case '{': return Object(depth);
      case '[': return Array(depth);
      case '"': return String(false);
      case 't': return Literal("true");
      case 'f': return Literal("false");
      case 'n': return Literal("null");
      default: return Number();
    }
  }

  Status Literal(std::string_view word) {
    if (in_.substr(pos_, word.size()) != word) return Fail("unexpected character");
    pos_ += word.size();
    return Status::Ok();
  }

  bool Digits() {
    const size_t start = pos_;
    while (pos_ < in_.size() && in_[pos_] >= '0' && in_[pos_] <= '9') ++pos_;
    return pos_ > start;
  }

  Status Number() {
    if (pos_ < in_.size() && in_[pos_] == '-') ++pos_;
    if (pos_ < in_.size() && in_[pos_] == '0') {
      ++pos_;
    } else if (!Digits()) {
      return Fail("unexpected character");
    }
    if (pos_ < in_.size() && in_[pos_] == '.') {
      ++pos_;
      if (!Digits()) return Fail("digits expected after '.'");
    }
    if (pos_ < in_.size() && (in_[pos_] == 'e' || in_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < in_.size() && (in_[pos_] == '+' || in_[pos_] == '-')) ++pos_;
      if (!Digits()) return Fail("digits expected in exponent");
    }
    return Status::Ok();
  }

  // Scans a string; `key` strings leave their decoded text in key_.
  Status String(bool key) {
    const size_t begin = ++pos_;
    bool escaped = false;
    while (true) {
      if (pos_ >= in_.size()) return Fail("unterminated string");
      const unsigned char c = static_cast<unsigned char>(in_[pos_]);
      if (c == '"') break;
      if (c < 0x20) return Fail("control character in string");
      if (c == '\\') {
        escaped = true;
        SVAULT_RETURN_IF_ERROR(Escape());
      } else {
        ++pos_;
      }
    }
    const size_t end = pos_++;
    if (key) {
      key_ = escaped ? DecodeJsonString(in_, begin, end).text()
                     : std::string(in_.substr(begin, end - begin));
    }
    if (on_string_ != nullptr) {
      if (key) {
        const size_t mark = pointer_.size();
        AppendPointerToken(pointer_, key_);
        (*on_string_)(JsonString{true, &pointer_, begin, end});
        pointer_.resize(mark);
      } else {
        (*on_string_)(JsonString{false, &pointer_, begin, end});
      }
    }
    return Status::Ok();
  }

  Status Escape() {
    if (pos_ + 1 >= in_.size()) return Fail("unterminated escape");
    const char e = in_[pos_ + 1];
    if (e == 'u') {
      if (pos_ + 6 > in_.size()) return Fail("short \\u escape");
      for (size_t i = 2; i < 6; ++i) {
        if (HexValue(in_[pos_ + i]) < 0) return Fail("bad \\u escape");
      }
      pos_ += 6;
      return Status::Ok();
    }
    if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos) {
      return Fail("unknown escape");
    }
    pos_ += 2;
    return Status::Ok();
  }

  Status Object(int depth) {
    ++pos_;
    SkipSpace();
    if (pos_ < in_.size() && in_[pos_] == '}') {
      ++pos_;
      return Status::Ok();
    }
    while (true) {
      if (pos_ >= in_.size() || in_[pos_] != '"') return Fail("member name expected");
      SVAULT_RETURN_IF_ERROR(String(true));
      SkipSpace();
      if (pos_ >= in_.size() || in_[pos_] != ':') return Fail("':' expected");
      ++pos_;
      SkipSpace();
      const size_t mark = pointer_.size();
      AppendPointerToken(pointer_, key_);
      SVAULT_RETURN_IF_ERROR(Value(depth + 1));
      pointer_.resize(mark);
      SkipSpace();
      if (pos_ < in_.size() && in_[pos_] == ',') {
        ++pos_;
        SkipSpace();
        continue;
      }
      if (pos_ < in_.size() && in_[pos_] == '}') {
        ++pos_;
        return Status::Ok();
      }
      return Fail("',' or '}' expected");
    }
  }

  Status Array(int depth) {
    ++pos_;
    SkipSpace();
    if (pos_ < in_.size() && in_[pos_] == ']') {
      ++pos_;
      return Status::Ok();
    }
    for (size_t index = 0;; ++index) {
      const size_t mark = pointer_.size();
      pointer_ += '/';
      pointer_ += std::to_string(index);
      SVAULT_RETURN_IF_ERROR(Value(depth + 1));
      pointer_.resize(mark);
      SkipSpace();
      if (pos_ < in_.size() && in_[pos_] == ',') {
        ++pos_;
        SkipSpace();
        continue;
      }
      if (pos_ < in_.size() && in_[pos_] == ']') {
        ++pos_;
        return Status::Ok();
      }
      return Fail("',' or ']' expected");
    }
  }

  std::string_view in_;
  const std::function<void(const JsonString&)>* on_string_;
  size_t pos_ = 0;
  std::string pointer_;
  std::string key_;
};

}  // namespace

Status ScanJson(std::string_view input, const std::function<void(const JsonString&)>& on_string) {
  return Scanner(input, &on_string).Run();
}

bool IsJson(std::string_view input) { return Scanner(input, nullptr).Run().ok(); }

Decoded DecodeJsonString(std::string_view in, size_t begin, size_t end) {
  Decoded out;
  out.Reserve(end - begin);
  size_t i = begin;
  while (i < end) {
    if (in[i] != '\\') {
      out.Push(in[i], i);
      ++i;
      continue;
    }
    const char e = in[i + 1];
    if (e != 'u') {
      static constexpr std::string_view kFrom = "\"\\/bfnrt";
      static constexpr std::string_view kTo = "\"\\/\b\f\n\r\t";
      out.Push(kTo[kFrom.find(e)], i);
      i += 2;
      continue;
    }
    uint32_t cp = Hex4(in, i + 2);
    size_t len = 6;
    const bool pair =
        cp >= 0xD800 && cp < 0xDC00 && i + 12 <= end && in[i + 6] == '\\' && in[i + 7] == 'u';
    if (pair) {
      const uint32_t low = Hex4(in, i + 8);
      if (low >= 0xDC00 && low < 0xE000) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        len = 12;
      }
    }
    out.PushCodePoint(cp, i);
    i += len;
  }
  out.Finish(end);
  return out;
}

}  // namespace svault::refs
