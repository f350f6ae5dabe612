// svault: `svault server …` runs the service; every other subcommand is the CLI.
#include <cstring>

#include "cli/cli.h"
#include "server/server_command.h"

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "server") == 0) {
    return svault::server::RunServerCommand(argc - 1, argv + 1);
  }
  return svault::cli::RunCli(argc, argv);
}
