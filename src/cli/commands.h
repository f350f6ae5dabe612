// Registration of the subcommands, one file each (cmd_*.cc). Each adds its subcommand tree to the
// root app; when one of its leaves is parsed, it stores what to run in `action`, which RunCliWith
// calls with a Session once the global options are resolved.
#ifndef SVAULT_CLI_COMMANDS_H_
#define SVAULT_CLI_COMMANDS_H_

#include <functional>

namespace CLI {
class App;
}  // namespace CLI

namespace svault::cli {

class Session;
using Action = std::function<int(Session&)>;

void AddEnvCommand(CLI::App& root, Action& action);       // cmd_env.cc
void AddSecretCommand(CLI::App& root, Action& action);    // cmd_secret.cc
void AddTokenCommand(CLI::App& root, Action& action);     // cmd_token.cc
void AddAuditCommand(CLI::App& root, Action& action);     // cmd_audit.cc
void AddRefsCommands(CLI::App& root, Action& action);     // cmd_refs.cc: refs, validate, render
void AddOperatorCommand(CLI::App& root, Action& action);  // cmd_operator.cc
// `env rotate-key --env E` (cmd_operator.cc), added to the env subcommand.
void AddRotateKeyCommand(CLI::App& env, Action& action);

}  // namespace svault::cli

#endif  // SVAULT_CLI_COMMANDS_H_
