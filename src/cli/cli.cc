#include "cli/cli.h"

#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <algorithm>

#include "cli/address.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "cli/value_input.h"

namespace svault::cli {
namespace {

constexpr size_t kMaxTokenFileBytes = 4096;
constexpr std::string_view kGlobalGroup = "Global options";

struct GlobalOptions {
  std::string address;
  std::string token_file;
  std::string ca_cert;
  bool json = false;
};

void AddGlobalOptions(CLI::App& app, GlobalOptions& options) {
  const std::string group(kGlobalGroup);
  app.add_option("--address", options.address,
                 "vault address (default: $SVAULT_ADDR, else " + std::string(kDefaultAddress) + ")")
      ->group(group);
  app.add_option("--token-file", options.token_file,
                 "read the token from FILE (default: $SVAULT_TOKEN)")
      ->check(CLI::ExistingFile)
      ->group(group);
  app.add_option("--ca-cert", options.ca_cert, "PEM file of the CA(s) to trust for https")
      ->check(CLI::ExistingFile)
      ->group(group);
  app.add_flag("--json", options.json,
               "print the server's JSON as is (lists merged into one {\"items\": [...]})")
      ->group(group);
}

void PrintLocalError(Io& io, std::string_view message) {
  *io.err << "error: " << Printable(message) << "\n";
}

bool IsTokenByte(char c) { return c > 0x20 && c < 0x7f; }

// A token goes into a header: only visible ASCII, so it cannot inject one.
Result<SecretBytes> CheckToken(SecretBytes token, std::string_view source) {
  const std::string_view bytes = token.Reveal();
  if (bytes.empty())
    return Status(Code::kBadRequest, "the token in " + std::string(source) + " is empty");
  if (!std::all_of(bytes.begin(), bytes.end(), IsTokenByte)) {
    return Status(Code::kBadRequest,
                  "the token in " + std::string(source) + " holds spaces or control characters");
  }
  return token;
}

void WarnIfShared(const std::string& path, Io& io) {
  struct stat info {};
  if (stat(path.c_str(), &info) != 0 || (info.st_mode & (S_IRWXG | S_IRWXO)) == 0) return;
  *io.err << "warning: " << Printable(path) << " is accessible to other users; chmod 600 it\n";
}

// --token-file wins over SVAULT_TOKEN; an empty result means no token (the server answers 401).
Result<SecretBytes> ResolveToken(const GlobalOptions& options, Io& io) {
  if (!options.token_file.empty()) {
    WarnIfShared(options.token_file, io);
    SVAULT_ASSIGN_OR_RETURN(SecretBytes content,
                            ReadFileBytes(options.token_file, kMaxTokenFileBytes));
    std::string_view bytes = content.Reveal();
    const auto first = bytes.find_first_not_of(" \t\r\n");
    const auto last = bytes.find_last_not_of(" \t\r\n");
    bytes = first == std::string_view::npos ? "" : bytes.substr(first, last - first + 1);
    return CheckToken(SecretBytes(bytes), options.token_file);
  }
  auto from_env = io.getenv("SVAULT_TOKEN");
  if (!from_env || from_env->empty()) return SecretBytes();
  return CheckToken(SecretBytes::Adopt(std::move(*from_env)), "SVAULT_TOKEN");
}

Result<Endpoint> ResolveEndpoint(const GlobalOptions& options, Io& io) {
  if (!options.address.empty()) return ParseAddress(options.address);
  auto from_env = io.getenv("SVAULT_ADDR");
  if (from_env && !from_env->empty()) return ParseAddress(*from_env);
  return ParseAddress(kDefaultAddress);
}

// Resolves the global options into a Session and runs the parsed command in it.
int RunAction(const GlobalOptions& options, const Action& action, Io& io,
              const TransportFactory& factory) {
  auto endpoint = ResolveEndpoint(options, io);
  if (!endpoint.ok()) {
    PrintLocalError(io, endpoint.status().message());
    return kExitUsage;
  }
  auto token = ResolveToken(options, io);
  if (!token.ok()) {
    PrintLocalError(io, token.status().message());
    return kExitUsage;
  }
  if (!endpoint->tls && !IsLoopback(*endpoint) && !token->empty()) {
    *io.err << "warning: the token travels unencrypted to " << Printable(endpoint->ToString())
            << "; use https\n";
  }

  const bool has_token = !token->empty();
  ClientOptions client{*endpoint, options.ca_cert, *token};
  auto transport = factory(std::move(client));
  if (!transport.ok()) {
    PrintLocalError(io, transport.status().message());
    return kExitUsage;
  }
  Session session(io, **transport, options.json, has_token);
  session.AddSensitive(token->Reveal());
  return action(session);
}

}  // namespace

int RunCliWith(const std::vector<std::string>& args, Io& io, const TransportFactory& transport) {
  CLI::App app("Secure Vault command line client", "svault");
  app.require_subcommand(1);
  app.fallthrough();  // global options may follow the subcommand (inherited by subcommands)
  app.footer(
      "Global options (--address, --token-file, --ca-cert, --json) go before or after any "
      "command.\nExit codes: 0 ok, 1 usage, 2 server or API error, 3 a check found problems.");
  GlobalOptions options;
  AddGlobalOptions(app, options);

  Action action;
  AddEnvCommand(app, action);
  AddSecretCommand(app, action);
  AddTokenCommand(app, action);
  AddAuditCommand(app, action);
  AddRefsCommands(app, action);
  AddOperatorCommand(app, action);
  // Shown in the help only: main.cc hands `svault server ...` to the server module.
  CLI::App* server = app.add_subcommand("server", "run the vault server; see svault server --help");
  server->prefix_command()->allow_extras()->fallthrough(false);

  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    return app.exit(e, *io.out, *io.err) == 0 ? kExitOk : kExitUsage;
  }
  if (server->parsed() || !action) {
    PrintLocalError(io,
                    "unknown command here: run the server as `svault server ...`, with "
                    "\"server\" as the first argument");
    return kExitUsage;
  }
  return RunAction(options, action, io, transport);
}

int RunCli(int argc, char** argv) {
  Io io = StandardIo();
  std::vector<std::string> args(argv + std::min(argc, 1), argv + argc);
  return RunCliWith(args, io, NewHttpClient);
}

}  // namespace svault::cli
