// `svault server`: reads configuration, opens the store, initialises and unseals (dev mode or an
// auto-unseal key file), and serves until SIGTERM or SIGINT, then drains and exits.
#ifndef SVAULT_SERVER_SERVER_COMMAND_H_
#define SVAULT_SERVER_SERVER_COMMAND_H_

namespace svault::server {

// argv[0] is "server". Returns the process exit code: 0 after a clean stop, 1 for a usage or
// configuration error, 2 when the vault cannot start.
int RunServerCommand(int argc, char** argv);

}  // namespace svault::server

#endif  // SVAULT_SERVER_SERVER_COMMAND_H_
