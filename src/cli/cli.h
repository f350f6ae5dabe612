// The `svault` command line client (DESIGN.md §8): every subcommand but `server`, which main.cc
// hands to the server module before this is reached.
#ifndef SVAULT_CLI_CLI_H_
#define SVAULT_CLI_CLI_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cli/client.h"
#include "cli/session.h"
#include "common/status.h"

namespace svault::cli {

// Parses argv, runs the command against the vault at --address / SVAULT_ADDR and returns the
// exit code: 0 ok, 1 usage, 2 server or API error, 3 a check found problems.
int RunCli(int argc, char** argv);

// Makes the transport once the arguments are parsed (NewHttpClient for the real CLI).
using TransportFactory = std::function<Result<std::unique_ptr<Transport>>(ClientOptions)>;

// RunCli with the terminal and the network injected. `args` excludes the program name.
int RunCliWith(const std::vector<std::string>& args, Io& io, const TransportFactory& transport);

}  // namespace svault::cli

#endif  // SVAULT_CLI_CLI_H_
