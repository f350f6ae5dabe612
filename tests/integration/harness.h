// Test harness for integration tests: runs the real svault binary on a free port in a temporary
// data directory and talks plain HTTP/1.1 to it over a socket (no client library, so tests can
// also send what a well-behaved client would not).
#ifndef SVAULT_TESTS_INTEGRATION_HARNESS_H_
#define SVAULT_TESTS_INTEGRATION_HARNESS_H_

#include <sys/types.h>

#include <boost/json.hpp>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace svault::testing {

struct Response {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;

  boost::json::value Json() const;
  // error.code of an error body, "" otherwise.
  std::string ErrorCode() const;
};

class VaultProcess {
 public:
  // Starts `svault server --dev --data DIR --listen 127.0.0.1:0 EXTRA...`, waits until it
  // listens and reads the root token. Aborts the test on failure.
  // With dev = false the server runs without --dev (EXTRA must then name a key file).
  explicit VaultProcess(std::vector<std::string> extra_args = {}, std::string data_dir = "",
                        bool dev = true);
  ~VaultProcess();

  // Sends one request on a fresh connection and reads the whole answer.
  Response Request(const std::string& method, const std::string& target,
                   const std::string& token = "", const std::string& body = "",
                   const std::string& content_type = "application/json") const;
  // Sends raw bytes and returns the raw answer.
  std::string Raw(const std::string& bytes) const;

  // SIGTERM, then wait; returns the exit status (or -1 after a forced kill).
  int Stop();
  void Kill();  // SIGKILL
  bool running() const { return pid_ > 0; }

  const std::string& dir() const { return dir_; }
  const std::string& root_token() const { return root_token_; }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string LogText() const;  // what the server wrote to stderr and stdout
  bool owns_dir() const { return owns_dir_; }

 private:
  void Start(const std::vector<std::string>& args);

  std::string dir_;
  bool owns_dir_ = false;
  pid_t pid_ = -1;
  int port_ = 0;
  std::string root_token_;
};

// Runs the svault CLI with `args`, `stdin_data` on its standard input and `env` added to the
// environment; returns {exit code, stdout, stderr}.
struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
CliResult RunCli(const std::vector<std::string>& args, const std::string& stdin_data = "",
                 const std::map<std::string, std::string>& env = {});

std::string ReadFile(const std::string& path);
// Every regular file under `dir`, recursively.
std::vector<std::string> FilesUnder(const std::string& dir);

}  // namespace svault::testing

#endif  // SVAULT_TESTS_INTEGRATION_HARNESS_H_
