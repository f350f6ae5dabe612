// Runs the CLI in-process with a fake terminal and a fake transport: requests are recorded and
// answered from a queue, so commands are tested without a network.
#ifndef SVAULT_TESTS_UNIT_CLI_CLI_HARNESS_H_
#define SVAULT_TESTS_UNIT_CLI_CLI_HARNESS_H_

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/session.h"

namespace svault::cli::testing {

struct SentRequest {
  std::string method;
  std::string target;
  std::string content_type;
  std::string body;
};

class FakeTransport : public Transport {
 public:
  Result<Response> Send(const Request& request) override {
    sent.push_back(
        {request.method, request.target, request.content_type, std::string(request.body.Reveal())});
    if (answers.empty()) return Status(Code::kUnavailable, "no answer queued");
    auto answer = std::move(answers.front());
    answers.pop_front();
    return answer;
  }

  std::vector<SentRequest> sent;
  std::deque<Result<Response>> answers;
};

// Forwards to a FakeTransport the harness keeps (the CLI owns what the factory returns).
class Forwarder : public Transport {
 public:
  explicit Forwarder(FakeTransport& target) : target_(target) {}
  Result<Response> Send(const Request& request) override { return target_.Send(request); }

 private:
  FakeTransport& target_;
};

class CliHarness {
 public:
  CliHarness() {
    io.in = &in;
    io.out = &out;
    io.err = &err;
    io.prompt = [this](std::string_view prompt) -> Result<SecretBytes> {
      prompts.emplace_back(prompt);
      if (!prompt_answer) return Status(Code::kBadRequest, "no terminal");
      return SecretBytes(*prompt_answer);
    };
    io.sleep = [this](std::chrono::milliseconds) { ++sleeps; };
    io.getenv = [this](const std::string& name) -> std::optional<std::string> {
      auto it = env.find(name);
      if (it == env.end()) return std::nullopt;
      return it->second;
    };
  }

  int Run(std::vector<std::string> args) {
    return RunCliWith(args, io,
                      [this](ClientOptions options) -> Result<std::unique_ptr<Transport>> {
                        options_seen = options.endpoint.ToString();
                        token_seen = std::string(options.token.Reveal());
                        ca_seen = options.ca_cert_file;
                        if (factory_error) return *factory_error;
                        return std::unique_ptr<Transport>(new Forwarder(transport));
                      });
  }

  // Queues an answer with a JSON (or empty) body.
  void Answer(int status, std::string body = "", std::string request_id = "") {
    Response response;
    response.status = status;
    response.content_type = body.empty() ? "" : "application/json";
    response.body = std::move(body);
    response.request_id = std::move(request_id);
    transport.answers.emplace_back(std::move(response));
  }

  void SetStdin(std::string bytes, bool terminal = false) {
    in.str(std::move(bytes));
    io.in_is_terminal = terminal;
  }

  const SentRequest& Last() const { return transport.sent.back(); }

  std::istringstream in;
  std::ostringstream out;
  std::ostringstream err;
  Io io;
  FakeTransport transport;
  std::map<std::string, std::string> env;
  std::optional<std::string> prompt_answer;
  std::vector<std::string> prompts;
  std::optional<Status> factory_error;
  int sleeps = 0;
  std::string options_seen;
  std::string token_seen;
  std::string ca_seen;
};

}  // namespace svault::cli::testing

#endif  // SVAULT_TESTS_UNIT_CLI_CLI_HARNESS_H_
