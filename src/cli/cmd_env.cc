// svault env create|list|show|delete: environments, named as the command's object.
#include <CLI/CLI.hpp>
#include <boost/json/object.hpp>
#include <memory>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/session.h"

namespace svault::cli {
namespace {

namespace json = boost::json;

const std::vector<std::string> kEnvironmentFields = {"id", "description", "created_at",
                                                     "created_by"};

struct EnvArgs {
  std::string id;
  std::string description;
  CLI::Option* description_option = nullptr;
  std::string confirm;
};

int RunCreate(const EnvArgs& args, Session& session) {
  json::object body{{"id", args.id}};
  if (args.description_option->count() > 0) body["description"] = args.description;
  return session.Show(MakeJsonRequest("POST", "/api/v1/environments", body),
                      [](const json::object& created) {
                        return "created environment " + Printable(FieldText(created, "id")) + "\n";
                      });
}

int RunList(Session& session) {
  return session.ShowList("/api/v1/environments", Query(), kEnvironmentFields);
}

int RunShow(const EnvArgs& args, Session& session) {
  return session.Show(MakeRequest("GET", EnvironmentPath(args.id)), [](const json::object& env) {
    return FormatFields(env, kEnvironmentFields);
  });
}

int RunDelete(const EnvArgs& args, Session& session) {
  const std::string target =
      EnvironmentPath(args.id) + Query().Add("confirm", args.confirm).ToString();
  return session.Do(MakeRequest("DELETE", target), "deleted environment " + args.id);
}

CLI::App* AddIdLeaf(CLI::App& env, const std::string& name, const std::string& help,
                    EnvArgs& args) {
  CLI::App* leaf = env.add_subcommand(name, help);
  leaf->add_option("id", args.id, "environment id")->required();
  return leaf;
}

}  // namespace

void AddEnvCommand(CLI::App& root, Action& action) {
  CLI::App* env = root.add_subcommand("env", "manage environments");
  env->require_subcommand(1);
  auto args = std::make_shared<EnvArgs>();

  CLI::App* create = AddIdLeaf(*env, "create", "create an environment", *args);
  args->description_option =
      create->add_option("--description", args->description, "what the environment is for");
  create->callback(
      [&action, args] { action = [args](Session& s) { return RunCreate(*args, s); }; });

  CLI::App* list = env->add_subcommand("list", "list the environments the token may list");
  list->callback([&action] { action = RunList; });

  CLI::App* show = AddIdLeaf(*env, "show", "show an environment", *args);
  show->callback([&action, args] { action = [args](Session& s) { return RunShow(*args, s); }; });

  CLI::App* remove = AddIdLeaf(
      *env, "delete", "delete an environment with all its secrets (destroys its keys)", *args);
  remove->add_option("--confirm", args->confirm, "repeat the environment id")->required();
  remove->callback(
      [&action, args] { action = [args](Session& s) { return RunDelete(*args, s); }; });

  AddRotateKeyCommand(*env, action);
}

}  // namespace svault::cli
