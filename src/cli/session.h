// What a command runs against: the terminal (Io), a Transport and the output mode. Session sends
// requests, prints answers in the chosen mode and prints failures to stderr with the server's
// error code, message and request id, never a value or a token.
#ifndef SVAULT_CLI_SESSION_H_
#define SVAULT_CLI_SESSION_H_

#include <boost/json/fwd.hpp>
#include <chrono>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/client.h"
#include "cli/request.h"
#include "common/secret.h"
#include "common/status.h"

namespace svault::cli {

// Exit codes (DESIGN.md §8).
inline constexpr int kExitOk = 0;
inline constexpr int kExitUsage = 1;     // bad arguments, unusable local files
inline constexpr int kExitServer = 2;    // no answer, or an API error
inline constexpr int kExitProblems = 3;  // a check found problems (audit verify)

// The process's terminal, injectable for tests.
struct Io {
  std::istream* in = nullptr;
  std::ostream* out = nullptr;  // binary-safe: revealed values go here byte-exactly
  std::ostream* err = nullptr;
  bool in_is_terminal = false;
  bool out_is_terminal = false;
  // Reads one line with echo off, newline dropped (PromptNoEcho for the real terminal).
  std::function<Result<SecretBytes>(std::string_view prompt)> prompt;
  std::function<void(std::chrono::milliseconds)> sleep;
  // The environment variable `name`, nullopt when unset.
  std::function<std::optional<std::string>(const std::string& name)> getenv;
};

// The real process's Io: std::cin/cout/cerr, isatty, PromptNoEcho, std::getenv.
Io StandardIo();

// A human formatter for a JSON object answer.
using ObjectFormatter = std::function<std::string(const boost::json::object&)>;

class Session {
 public:
  // `io` and `transport` must outlive the session. `json` selects --json output; `has_token`
  // only shapes the hint printed with a 401.
  Session(Io& io, Transport& transport, bool json, bool has_token);

  bool json() const { return json_; }
  Io& io() { return io_; }
  std::ostream& out() { return *io_.out; }

  // Registers bytes that must never reach stderr (a value being written, the token): they are
  // redacted from everything PrintError prints, including server messages.
  void AddSensitive(std::string_view bytes);
  // "error: <message>" on stderr, redacted and made printable.
  void PrintError(std::string_view message);
  // "<prefix>: <message>" on stderr, redacted and made printable (notes and warnings).
  void PrintNote(std::string_view prefix, std::string_view message);

  // Sends `request`. A 2xx answer comes back; otherwise the failure (no answer, or the API's
  // error) is printed and the result is nullopt: the command then exits with kExitServer.
  std::optional<Response> Call(const Request& request);
  // The answer's body as a JSON object; prints an error and returns nullopt when it is not one.
  std::optional<boost::json::object> ParseObject(const Response& response);
  // All items of a list: GETs `path` + `query` + limit/cursor and follows next_cursor until it is
  // null. nullopt after printing an error.
  std::optional<boost::json::array> CallList(const std::string& path, const Query& query);

  // The common shapes of a command:
  // - Show: one request, one object; --json prints the body as is, else `human(object)`.
  int Show(const Request& request, const ObjectFormatter& human);
  // - ShowList: every page of a list; --json prints {"items": [...]}, else a table of `columns`.
  int ShowList(const std::string& path, const Query& query,
               const std::vector<std::string>& columns);
  // - Do: a request without an answer body (204); prints `done` in human mode, nothing in --json.
  int Do(const Request& request, std::string_view done);

  // Prints JSON text with a final newline.
  void PrintJson(std::string_view text);
  // Prints {"items": items}.
  void PrintItems(const boost::json::array& items);

 private:
  Io& io_;
  Transport& transport_;
  bool json_;
  bool has_token_;
  std::vector<SecretBytes> sensitive_;
};

}  // namespace svault::cli

#endif  // SVAULT_CLI_SESSION_H_
