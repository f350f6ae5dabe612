#include "refs/decoded.h"

namespace svault::refs {

Decoded Decoded::Identity(std::string_view raw, size_t base) {
  Decoded d;
  d.text_ = std::string(raw);
  d.base_ = base;
  d.identity_ = true;
  return d;
}

void Decoded::PushCodePoint(uint32_t cp, size_t raw) {
  if (cp >= 0xD800 && cp < 0xE000) cp = 0xFFFD;
  if (cp < 0x80) {
    Push(static_cast<char>(cp), raw);
  } else if (cp < 0x800) {
    Push(static_cast<char>(0xC0 | (cp >> 6)), raw);
    Push(static_cast<char>(0x80 | (cp & 0x3F)), raw);
  } else if (cp < 0x10000) {
    Push(static_cast<char>(0xE0 | (cp >> 12)), raw);
    Push(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)), raw);
    Push(static_cast<char>(0x80 | (cp & 0x3F)), raw);
  } else {
    Push(static_cast<char>(0xF0 | (cp >> 18)), raw);
    Push(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)), raw);
    Push(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)), raw);
    Push(static_cast<char>(0x80 | (cp & 0x3F)), raw);
  }
}

void Decoded::Finish(size_t raw_end) { raw_.push_back(raw_end); }

void Decoded::ComposeWith(const Decoded& outer) {
  if (identity_) {
    raw_.resize(text_.size() + 1);
    for (size_t i = 0; i <= text_.size(); ++i) raw_[i] = base_ + i;
    identity_ = false;
  }
  for (size_t& offset : raw_) offset = outer.RawAt(offset);
}

}  // namespace svault::refs
