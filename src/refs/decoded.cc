#include "refs/decoded.h"

namespace svault::refs {

Decoded Decoded::Identity(std::string_view raw, size_t base) {
  Decoded d;
  d.text_ = std::string(raw);
  d.base_ = base;
  d.identity_ = true;
  return d;
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
