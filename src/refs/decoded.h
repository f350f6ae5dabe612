// Decoded text that remembers where each of its bytes was spelled in the raw document, so a
// reference found after decoding (entities, JSON escapes, FEEL escapes) is replaced in the raw
// bytes that spelled it. Layers compose: JSON inside an XML attribute maps JSON-decoded bytes to
// attribute-decoded bytes to raw bytes.
#ifndef SVAULT_REFS_DECODED_H_
#define SVAULT_REFS_DECODED_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace svault::refs {

class Decoded {
 public:
  // Text that is its own raw spelling, starting at raw offset `base`.
  static Decoded Identity(std::string_view raw, size_t base);

  // Room for `n` decoded bytes.
  void Reserve(size_t n) {
    text_.reserve(n);
    raw_.reserve(n + 1);
  }
  // Appends one decoded byte spelled by the raw bytes starting at `raw_offset`.
  void Push(char c, size_t raw_offset) {
    text_.push_back(c);
    raw_.push_back(raw_offset);
  }
  // Appends code point `cp` as UTF-8 (a surrogate as U+FFFD), every byte spelled at
  // `raw_offset`.
  void PushCodePoint(uint32_t cp, size_t raw_offset);
  // Closes the text: `raw_end` is where the raw spelling of the last byte ends.
  void Finish(size_t raw_end);

  const std::string& text() const { return text_; }
  // Raw offset of decoded byte `i`; RawAt(text().size()) is the raw end.
  size_t RawAt(size_t i) const { return identity_ ? base_ + i : raw_[i]; }

  // Maps this text's offsets (which point into `outer.text()`) through `outer`, so they point
  // into outer's raw document.
  void ComposeWith(const Decoded& outer);

 private:
  std::string text_;
  std::vector<size_t> raw_;  // unused when identity_
  size_t base_ = 0;
  bool identity_ = false;
};

}  // namespace svault::refs

#endif  // SVAULT_REFS_DECODED_H_
