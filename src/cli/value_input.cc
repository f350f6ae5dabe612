#include "cli/value_input.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <cerrno>
#include <cstring>

#include "common/encoding.h"

namespace svault::cli {
namespace {

constexpr size_t kChunkBytes = 64 * 1024;
constexpr std::array<int, 4> kPromptSignals = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

// Appends without leaving an unwiped copy behind when the buffer has to grow.
void AppendWiping(std::string& buffer, std::string_view data) {
  if (buffer.size() + data.size() > buffer.capacity()) {
    std::string bigger;
    bigger.reserve(std::max(buffer.capacity() * 2, buffer.size() + data.size()));
    bigger.append(buffer);
    WipeString(buffer);
    buffer.swap(bigger);
  }
  buffer.append(data);
}

Status TooMuch(std::string_view source, size_t max_bytes) {
  return Status(Code::kBadRequest, std::string(source) + " holds more than " +
                                       std::to_string(max_bytes) + " bytes; nothing was sent");
}

// The terminal state to restore from a signal handler (tcsetattr is async-signal-safe).
termios g_saved_termios;

void RestoreTerminalAndReraise(int signal_number) {
  tcsetattr(STDIN_FILENO, TCSAFLUSH, &g_saved_termios);
  signal(signal_number, SIG_DFL);
  raise(signal_number);
}

// Echo off (but the newline still echoed) for as long as the object lives.
class EchoOff {
 public:
  EchoOff() {
    ok_ = tcgetattr(STDIN_FILENO, &g_saved_termios) == 0;
    if (!ok_) return;
    struct sigaction action = {};
    action.sa_handler = RestoreTerminalAndReraise;
    for (size_t i = 0; i < kPromptSignals.size(); ++i) {
      sigaction(kPromptSignals[i], &action, &previous_[i]);
    }
    termios quiet = g_saved_termios;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  ~EchoOff() {
    if (!ok_) return;
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &g_saved_termios);
    for (size_t i = 0; i < kPromptSignals.size(); ++i) {
      sigaction(kPromptSignals[i], &previous_[i], nullptr);
    }
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;
  bool ok() const { return ok_; }

 private:
  bool ok_ = false;
  std::array<struct sigaction, kPromptSignals.size()> previous_{};
};

// Reads from the terminal until a newline; false at end of input before one.
bool ReadTerminalLine(std::string& line) {
  std::array<char, 256> chunk;
  while (true) {
    const ssize_t n = read(STDIN_FILENO, chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    AppendWiping(line, std::string_view(chunk.data(), static_cast<size_t>(n)));
    if (line.back() == '\n') break;
  }
  OPENSSL_cleanse(chunk.data(), chunk.size());
  if (line.empty() || line.back() != '\n') return false;
  line.pop_back();
  return true;
}

}  // namespace

Result<SecretBytes> ReadFileBytes(const std::string& path, size_t max_bytes) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status(Code::kBadRequest, "cannot open " + path + ": " + strerror(errno));

  std::string content;
  std::array<char, kChunkBytes> chunk;
  Status status;
  while (status.ok()) {
    const ssize_t n = read(fd, chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) status = Status(Code::kBadRequest, "cannot read " + path + ": " + strerror(errno));
    if (n <= 0) break;
    AppendWiping(content, std::string_view(chunk.data(), static_cast<size_t>(n)));
    if (content.size() > max_bytes) status = TooMuch(path, max_bytes);
  }
  close(fd);
  OPENSSL_cleanse(chunk.data(), chunk.size());

  auto bytes = SecretBytes::Adopt(std::move(content));
  if (!status.ok()) return status;
  return bytes;
}

Result<SecretBytes> ReadStreamBytes(std::istream& in, size_t max_bytes) {
  std::string content;
  std::array<char, kChunkBytes> chunk;
  while (in.read(chunk.data(), chunk.size()) || in.gcount() > 0) {
    AppendWiping(content, std::string_view(chunk.data(), static_cast<size_t>(in.gcount())));
    if (content.size() > max_bytes) break;
  }
  OPENSSL_cleanse(chunk.data(), chunk.size());

  auto bytes = SecretBytes::Adopt(std::move(content));
  if (bytes.size() > max_bytes) return TooMuch("stdin", max_bytes);
  if (in.bad()) return Status(Code::kBadRequest, "cannot read the value from stdin");
  return bytes;
}

Result<SecretBytes> PromptNoEcho(std::string_view prompt) {
  if (!isatty(STDIN_FILENO)) return Status(Code::kBadRequest, "stdin is not a terminal");
  std::string line;
  bool complete = false;
  {
    EchoOff echo_off;
    if (!echo_off.ok()) return Status(Code::kBadRequest, "cannot turn terminal echo off");
    (void)!write(STDERR_FILENO, prompt.data(), prompt.size());
    complete = ReadTerminalLine(line);
  }

  auto value = SecretBytes::Adopt(std::move(line));
  if (!complete) return Status(Code::kBadRequest, "input ended before a line; nothing was sent");
  return value;
}

void AppendJsonString(std::string& out, std::string_view text) {
  constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (byte < 0x20) {
          out += "\\u00";
          out += kHex[byte >> 4];
          out += kHex[byte & 0xf];
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

SecretBytes BuildValueBody(const SecretBytes& value, const boost::json::object& metadata) {
  const std::string rest = boost::json::serialize(metadata);  // "{...}": never holds the value
  std::string body;
  // Worst case: every byte as \u00XX, or base64; reserved up front so the buffer never moves.
  body.reserve(value.size() * 6 + rest.size() + 32);

  if (IsValidUtf8(value.Reveal())) {
    body += "{\"value\":";
    AppendJsonString(body, value.Reveal());
  } else {
    std::string encoded = Base64Encode(value.Reveal());
    body += "{\"value_base64\":\"";
    body += encoded;
    body += '"';
    WipeString(encoded);
  }
  body += rest.size() > 2 ? "," + rest.substr(1) : "}";
  return SecretBytes::Adopt(std::move(body));
}

void WipeJsonString(boost::json::string& text) {
  if (!text.empty()) OPENSSL_cleanse(text.data(), text.size());
  text.clear();
}

}  // namespace svault::cli
