// svault secret put|patch|get|list|reveal|versions|rm: secrets inside one environment (--env).
// Values are read byte-exactly from --file, from stdin when it is not a terminal, or from a
// no-echo prompt; never from argv.
#include <CLI/CLI.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <map>
#include <memory>
#include <optional>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/secret_file.h"
#include "cli/session.h"
#include "cli/value_input.h"
#include "common/encoding.h"

namespace svault::cli {
namespace {

namespace json = boost::json;

const std::vector<std::string> kTypes = {"password",          "token",    "key",
                                         "certificate",       "hostname", "url",
                                         "connection_string", "channel",  "generic"};
const std::vector<std::string> kMetadataFields = {"key",         "version",    "type",
                                                  "description", "tags",       "created_at",
                                                  "created_by",  "updated_at", "updated_by"};

struct MetadataArgs {
  std::string type;
  std::string description;
  std::vector<std::string> tags;
  bool clear_tags = false;
  int64_t cas = 0;
  CLI::Option* type_option = nullptr;
  CLI::Option* description_option = nullptr;
  CLI::Option* cas_option = nullptr;
};

struct SecretArgs {
  std::string env;
  std::string key;
  MetadataArgs metadata;
  std::string file;
  CLI::Option* file_option = nullptr;
  std::string prefix;
  int64_t version = 0;
  CLI::Option* version_option = nullptr;
  std::string output;
};

// --- argument helpers -----------------------------------------------------------------------

CLI::App* AddLeaf(CLI::App& parent, const std::string& name, const std::string& help,
                  SecretArgs& args, bool with_key) {
  CLI::App* leaf = parent.add_subcommand(name, help);
  leaf->add_option("--env", args.env, "the environment")->required();
  if (with_key) leaf->add_option("key", args.key, "the secret's key")->required();
  return leaf;
}

void AddMetadataOptions(CLI::App& leaf, MetadataArgs& metadata) {
  metadata.type_option =
      leaf.add_option("--type", metadata.type, "kind of secret")->check(CLI::IsMember(kTypes));
  metadata.description_option =
      leaf.add_option("--description", metadata.description, "what the secret is for");
  CLI::Validator tag_form(
      [](std::string& tag) {
        const auto equals = tag.find('=');
        return equals == std::string::npos || equals == 0 ? "a tag is NAME=VALUE" : "";
      },
      "NAME=VALUE");
  CLI::Option* tags = leaf.add_option("--tag", metadata.tags, "a tag (repeatable); replaces all")
                          ->check(tag_form)
                          ->allow_extra_args(false);
  leaf.add_flag("--clear-tags", metadata.clear_tags, "remove every tag")->excludes(tags);
  metadata.cas_option =
      leaf.add_option("--cas", metadata.cas,
                      "write only when the current version is N (0: only when no live key)")
          ->check(CLI::NonNegativeNumber);
}

// The metadata fields given on the command line; a duplicated tag name is a usage error.
Result<json::object> MetadataBody(const MetadataArgs& metadata) {
  json::object body;
  if (metadata.type_option->count() > 0) body["type"] = metadata.type;
  if (metadata.description_option->count() > 0) body["description"] = metadata.description;
  if (!metadata.tags.empty() || metadata.clear_tags) {
    json::object tags;
    for (const auto& tag : metadata.tags) {
      const auto equals = tag.find('=');
      const std::string name = tag.substr(0, equals);
      if (tags.contains(name)) return Status(Code::kBadRequest, "tag " + name + " given twice");
      tags[name] = tag.substr(equals + 1);
    }
    body["tags"] = std::move(tags);
  }
  if (metadata.cas_option->count() > 0) body["cas"] = metadata.cas;
  return body;
}

Result<SecretBytes> ReadValue(const SecretArgs& args, Session& session) {
  if (args.file_option->count() > 0) return ReadFileBytes(args.file);
  Io& io = session.io();
  if (!io.in_is_terminal) return ReadStreamBytes(*io.in);

  auto value = io.prompt("value for " + Printable(args.key) + " (not shown): ");
  if (value.ok() && value->empty()) {
    return Status(Code::kBadRequest, "no value entered; nothing was sent");
  }
  return value;
}

// --- commands -------------------------------------------------------------------------------

int RunPut(const SecretArgs& args, Session& session) {
  auto metadata = MetadataBody(args.metadata);
  if (!metadata.ok()) {
    session.PrintError(metadata.status().message());
    return kExitUsage;
  }
  auto value = ReadValue(args, session);
  if (!value.ok()) {
    session.PrintError(value.status().message());
    return kExitUsage;
  }
  session.AddSensitive(value->Reveal());

  Request request = MakeRequest("PUT", KeyPath(args.env, "secrets", args.key));
  request.content_type = "application/json";
  request.body = BuildValueBody(*value, *metadata);
  return session.Show(request, [&args](const json::object& stored) {
    return "stored " + Printable(args.key) + " version " + FieldText(stored, "version") + " in " +
           Printable(args.env) + "\n";
  });
}

int RunPatch(const SecretArgs& args, Session& session) {
  auto metadata = MetadataBody(args.metadata);
  if (!metadata.ok() || metadata->empty()) {
    session.PrintError(metadata.ok() ? "nothing to change: give --type, --description, --tag or "
                                       "--clear-tags"
                                     : metadata.status().message());
    return kExitUsage;
  }
  return session.Show(MakeJsonRequest("PATCH", KeyPath(args.env, "secrets", args.key), *metadata),
                      [&args](const json::object& updated) {
                        return "updated " + Printable(args.key) + " in " + Printable(args.env) +
                               " (version " + FieldText(updated, "version") + ")\n";
                      });
}

int RunGet(const SecretArgs& args, Session& session) {
  return session.Show(MakeRequest("GET", KeyPath(args.env, "secrets", args.key)),
                      [](const json::object& meta) { return FormatFields(meta, kMetadataFields); });
}

int RunList(const SecretArgs& args, Session& session) {
  Query query;
  if (!args.prefix.empty()) query.Add("prefix", args.prefix);
  return session.ShowList(EnvironmentPath(args.env) + "/secrets", query,
                          {"key", "version", "type", "updated_at", "description"});
}

int RunVersions(const SecretArgs& args, Session& session) {
  return session.ShowList(KeyPath(args.env, "versions", args.key), Query(),
                          {"version", "created_at", "created_by"});
}

int RunRemove(const SecretArgs& args, Session& session) {
  return session.Do(MakeRequest("DELETE", KeyPath(args.env, "secrets", args.key)),
                    "deleted " + args.key + " from " + args.env);
}

// The value's bytes from a reveal answer (`value` as is, `value_base64` decoded); the JSON
// strings are wiped on the way.
Result<SecretBytes> TakeValue(json::object& answer) {
  if (auto* text = answer.if_contains("value"); text != nullptr && text->is_string()) {
    SecretBytes bytes(std::string_view(text->get_string()));
    WipeJsonString(text->get_string());
    return bytes;
  }
  if (auto* encoded = answer.if_contains("value_base64"); encoded && encoded->is_string()) {
    auto decoded = Base64Decode(encoded->get_string());
    WipeJsonString(encoded->get_string());
    if (decoded) return SecretBytes::Adopt(std::move(*decoded));
  }
  return Status(Code::kInternal, "the server's answer holds no readable value");
}

int WriteRevealed(SecretFile& file, const SecretBytes& value, json::object& answer,
                  Session& session) {
  const Status written = file.Commit(value.Reveal());
  if (!written.ok()) {
    session.PrintError(written.message());
    return kExitUsage;
  }
  if (session.json()) {
    answer.erase("value");
    answer.erase("value_base64");
    session.PrintJson(json::serialize(answer));
  } else {
    session.out() << "wrote " << Printable(FieldText(answer, "key")) << " version "
                  << FieldText(answer, "version") << " to " << Printable(file.path()) << "\n";
  }
  return kExitOk;
}

// Prints the raw bytes; a newline only for a terminal, so a pipe gets the value byte-exactly.
int RunReveal(const SecretArgs& args, Session& session) {
  auto output = SecretFile::CreateIfNamed(args.output);
  if (!output.ok()) {
    session.PrintError(output.status().message());
    return kExitUsage;
  }
  std::optional<SecretFile> file = std::move(output).value();
  std::string target = KeyPath(args.env, "values", args.key);
  if (args.version_option->count() > 0) {
    target += Query().Add("version", std::to_string(args.version)).ToString();
  }

  auto response = session.Call(MakeRequest("GET", target));
  if (!response) return kExitServer;
  if (session.json() && !file) {
    session.PrintJson(response->body);
    WipeString(response->body);
    return kExitOk;
  }
  auto answer = session.ParseObject(*response);
  WipeString(response->body);
  if (!answer) return kExitServer;

  auto value = TakeValue(*answer);
  if (!value.ok()) {
    session.PrintError(value.status().message());
    return kExitServer;
  }
  if (file) return WriteRevealed(*file, *value, *answer, session);
  session.out() << value->Reveal();
  if (session.io().out_is_terminal) session.out() << "\n";
  session.out().flush();
  return kExitOk;
}

// Registers `leaf` to run `run` with `args` when parsed.
void OnParsed(CLI::App* leaf, Action& action, std::shared_ptr<SecretArgs> args,
              int (*run)(const SecretArgs&, Session&)) {
  leaf->callback([&action, args, run] {
    action = [args, run](Session& session) { return run(*args, session); };
  });
}

}  // namespace

void AddSecretCommand(CLI::App& root, Action& action) {
  CLI::App* secret = root.add_subcommand("secret", "manage the secrets of an environment");
  secret->require_subcommand(1);

  auto put_args = std::make_shared<SecretArgs>();
  CLI::App* put = AddLeaf(*secret, "put", "store a new version of a value", *put_args, true);
  put_args->file_option = put->add_option("--file", put_args->file,
                                          "read the value from FILE, byte-exactly (default: stdin "
                                          "when it is not a terminal, else a hidden prompt)")
                              ->check(CLI::ExistingFile);
  AddMetadataOptions(*put, put_args->metadata);
  OnParsed(put, action, put_args, RunPut);

  auto patch_args = std::make_shared<SecretArgs>();
  CLI::App* patch =
      AddLeaf(*secret, "patch", "change metadata only (no new version)", *patch_args, true);
  AddMetadataOptions(*patch, patch_args->metadata);
  OnParsed(patch, action, patch_args, RunPatch);

  auto args = std::make_shared<SecretArgs>();
  OnParsed(AddLeaf(*secret, "get", "show a secret's metadata (never the value)", *args, true),
           action, args, RunGet);

  CLI::App* list = AddLeaf(*secret, "list", "list keys and metadata", *args, false);
  list->add_option("--prefix", args->prefix, "only keys that start with PREFIX");
  OnParsed(list, action, args, RunList);

  CLI::App* reveal = AddLeaf(*secret, "reveal", "print a value", *args, true);
  args->version_option = reveal
                             ->add_option("--version", args->version,
                                          "a version (default: "
                                          "current)")
                             ->check(CLI::PositiveNumber);
  reveal->add_option("-o,--output", args->output,
                     "write the value to FILE instead (created 0600; never overwrites)");
  OnParsed(reveal, action, args, RunReveal);

  OnParsed(AddLeaf(*secret, "versions", "list a key's versions", *args, true), action, args,
           RunVersions);
  OnParsed(AddLeaf(*secret, "rm", "delete a key and all its versions", *args, true), action, args,
           RunRemove);
}

}  // namespace svault::cli
