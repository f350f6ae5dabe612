// svault token create|list|revoke|whoami. A new token is shown once: on stdout, or written alone
// to a 0600 file with -o (then only its id is printed).
#include <CLI/CLI.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <memory>
#include <optional>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/secret_file.h"
#include "cli/session.h"
#include "cli/value_input.h"

namespace svault::cli {
namespace {

namespace json = boost::json;

const std::vector<std::string> kRoles = {"admin", "security", "developer", "runtime", "auditor"};
const std::vector<std::string> kTokenFields = {
    "id", "role", "environments", "keys", "description", "created_at", "expires_at", "created_by"};

struct TokenArgs {
  std::string id;
  std::string role;
  std::vector<std::string> environments;
  std::vector<std::string> keys;
  std::string ttl;
  std::string description;
  CLI::Option* description_option = nullptr;
  std::string output;
};

json::object CreateBody(const TokenArgs& args) {
  json::object body{{"role", args.role}};
  if (!args.environments.empty()) {
    body["environments"] = json::array(args.environments.begin(), args.environments.end());
  }
  if (!args.keys.empty()) body["keys"] = json::array(args.keys.begin(), args.keys.end());
  if (!args.ttl.empty()) body["ttl"] = args.ttl;
  if (args.description_option->count() > 0) body["description"] = args.description;
  return body;
}

// Writes the token alone to `file` and prints the rest (`created` no longer holds the token):
// the answer in --json, else the id.
int WriteToken(SecretFile& file, const SecretBytes& token, const json::object& created,
               Session& session) {
  const Status written = file.Commit(token.Reveal());
  if (!written.ok()) {
    session.PrintError(written.message());
    session.PrintNote(
        "note", "token " + FieldText(created, "id") + " was created but not saved: revoke it");
    return kExitUsage;
  }
  if (session.json()) {
    session.PrintJson(json::serialize(created));
  } else {
    const json::object shown{{"id", FieldText(created, "id")},
                             {"token", "written to " + file.path()}};
    session.out() << FormatFields(shown, {"id", "token"});
  }
  return kExitOk;
}

// Prints the answer as is in --json, else its main fields and the token last.
int PrintToken(std::string_view body, const SecretBytes& token, const json::object& created,
               Session& session) {
  if (session.json()) {
    session.PrintJson(body);
    return kExitOk;
  }
  const std::vector<std::string> names = {"id", "role", "environments", "expires_at", "token"};
  json::object shown;
  for (const auto& name : names) {
    if (const auto* field = created.if_contains(name)) shown[name] = *field;
  }
  shown["token"] = token.Reveal();
  session.out() << FormatFields(shown, names);
  WipeJsonString(shown["token"].as_string());
  session.PrintNote("note", "the token is shown only this once; store it now");
  return kExitOk;
}

int RunCreate(const TokenArgs& args, Session& session) {
  auto output = SecretFile::CreateIfNamed(args.output);
  if (!output.ok()) {
    session.PrintError(output.status().message());
    return kExitUsage;
  }
  std::optional<SecretFile> file = std::move(output).value();

  auto response = session.Call(MakeJsonRequest("POST", "/api/v1/tokens", CreateBody(args)));
  if (!response) return kExitServer;
  auto created = session.ParseObject(*response);
  json::value* field = created ? created->if_contains("token") : nullptr;
  if (field == nullptr || !field->is_string()) {
    if (created) session.PrintError("the server's answer holds no token");
    WipeString(response->body);
    return kExitServer;
  }

  // Move the token out of the parsed answer, so the rest can be printed as it is.
  const SecretBytes token(std::string_view(field->get_string()));
  WipeJsonString(field->get_string());
  created->erase("token");
  session.AddSensitive(token.Reveal());

  const int code = file ? WriteToken(*file, token, *created, session)
                        : PrintToken(response->body, token, *created, session);
  WipeString(response->body);
  return code;
}

int RunList(Session& session) {
  return session.ShowList("/api/v1/tokens", Query(),
                          {"id", "role", "environments", "keys", "expires_at", "description"});
}

int RunRevoke(const TokenArgs& args, Session& session) {
  return session.Do(MakeRequest("DELETE", "/api/v1/tokens/" + EncodePathSegment(args.id)),
                    "revoked token " + args.id);
}

int RunWhoami(Session& session) {
  return session.Show(MakeRequest("GET", "/api/v1/tokens/self"),
                      [](const json::object& self) { return FormatFields(self, kTokenFields); });
}

}  // namespace

void AddTokenCommand(CLI::App& root, Action& action) {
  CLI::App* token = root.add_subcommand("token", "manage tokens");
  token->require_subcommand(1);
  auto args = std::make_shared<TokenArgs>();

  CLI::App* create = token->add_subcommand("create", "create a token (shown only once)");
  create->add_option("--role", args->role, "the token's role")
      ->required()
      ->check(CLI::IsMember(kRoles));
  create->add_option("--env", args->environments, "an environment it may use (repeatable)")
      ->allow_extra_args(false);
  create->add_option("--key", args->keys, "a key pattern, runtime role only (repeatable)")
      ->allow_extra_args(false);
  create->add_option("--ttl", args->ttl,
                     "lifetime such as 90s, 15m, 24h (default: 24h), or never (admin only)");
  args->description_option =
      create->add_option("--description", args->description, "what the token is for");
  create->add_option("-o,--output", args->output,
                     "write only the token to FILE (created 0600; never overwrites)");
  create->callback(
      [&action, args] { action = [args](Session& s) { return RunCreate(*args, s); }; });

  token->add_subcommand("list", "list tokens (never a token itself)")->callback([&action] {
    action = RunList;
  });

  CLI::App* revoke = token->add_subcommand("revoke", "revoke a token at once");
  revoke->add_option("id", args->id, "the token's id (tok_...)")->required();
  revoke->callback(
      [&action, args] { action = [args](Session& s) { return RunRevoke(*args, s); }; });

  token->add_subcommand("whoami", "show the calling token's metadata")->callback([&action] {
    action = RunWhoami;
  });
}

}  // namespace svault::cli
