// svault operator init|unseal|seal|status|rotate|rekey, and svault env rotate-key: the vault's
// lifecycle (DESIGN.md §5). Shares are read from a no-echo prompt or, when stdin is not a
// terminal, one per line from stdin; never from argv.
#include <CLI/CLI.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <functional>
#include <istream>
#include <memory>
#include <optional>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/session.h"

namespace svault::cli {
namespace {

namespace json = boost::json;

struct OperatorArgs {
  uint32_t shares = 5;
  uint32_t threshold = 3;
  bool auto_unseal = false;
  bool reset = false;
  bool cancel = false;
  bool status = false;
  bool verify = false;
  std::string env;
};

const std::vector<std::string> kSealFields = {"initialized", "sealed",    "type",
                                              "progress",    "threshold", "shares"};

std::string Count(const json::object& o, std::string_view name) { return FieldText(o, name); }

// Prints a new share set: each share on its own line (stdout), the warning on stderr. `spare` is
// how many shares may be lost before the vault can never be unsealed again.
void PrintShares(Session& session, const json::array& shares, uint32_t spare) {
  for (size_t i = 0; i < shares.size(); ++i) {
    session.out() << "Unseal share " << (i + 1) << ": " << Printable(ValueText(shares[i])) << "\n";
  }
  if (shares.empty()) return;
  session.PrintNote("warning",
                    "hand each share to a different person, and keep no copy together. The vault "
                    "keeps none: if more than " +
                        std::to_string(spare) + " are lost, it can never be unsealed again.");
}

int RunInit(const OperatorArgs& args, Session& session) {
  json::object body;
  if (args.auto_unseal) {
    body["auto_unseal"] = true;
  } else {
    body["shares"] = args.shares;
    body["threshold"] = args.threshold;
  }
  std::optional<Response> answer = session.Call(MakeJsonRequest("POST", "/api/v1/sys/init", body));
  if (!answer) return kExitServer;
  std::optional<json::object> init = session.ParseObject(*answer);
  if (!init) return kExitServer;
  if (session.json()) {
    session.PrintJson(answer->body);
    return kExitOk;
  }
  const json::array* shares = init->if_contains("shares") ? init->at("shares").if_array() : nullptr;
  if (shares != nullptr) PrintShares(session, *shares, args.shares - args.threshold);
  session.out() << "Root token: " << Printable(FieldText(*init, "root_token")) << "\n";
  if (args.auto_unseal) {
    session.out() << "The vault wrote its unseal key to its key file and is unsealed.\n";
  } else {
    session.out() << "Any " << args.threshold << " of these " << args.shares
                  << " shares unseal the vault: `svault operator unseal`.\n";
  }
  session.PrintNote("warning", "the root token and the shares are shown only now");
  return kExitOk;
}

// One share: from the no-echo prompt on a terminal, else the next non-empty line of stdin.
// nullopt at the end of input (or an empty answer at the prompt).
std::optional<SecretBytes> NextShare(Session& session, const std::string& prompt) {
  Io& io = session.io();
  if (io.in_is_terminal) {
    Result<SecretBytes> typed = io.prompt(prompt);
    if (!typed.ok() || typed->empty()) return std::nullopt;
    return std::move(typed).value();
  }
  std::string line;
  while (std::getline(*io.in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty()) return SecretBytes::Adopt(std::move(line));
  }
  return std::nullopt;
}

std::string ProgressLine(const json::object& status) {
  return "progress " + Count(status, "progress") + "/" + Count(status, "threshold");
}

// The seal status, or nullopt when it cannot be read (the unseal request then reports why).
std::optional<json::object> SealStatusNow(Session& session) {
  std::optional<Response> answer = session.Call(MakeRequest("GET", "/api/v1/sys/seal-status"));
  if (!answer) return std::nullopt;
  return session.ParseObject(*answer);
}

bool IsFalse(const json::object& o, std::string_view name) {
  const json::value* v = o.if_contains(name);
  return v != nullptr && v->is_bool() && !v->as_bool();
}

// Answers to one share: an exit code when the step is over, or nullopt to read the next share.
using ShareAnswer = std::function<std::optional<int>(const Response&, const json::object&)>;

// Enters shares from the no-echo prompt or stdin, each POSTed to `path` as `fields` plus
// "share", until `answered` ends the step. A refused share ends a piped run (exit 2) and is asked
// again at a prompt. Returns nullopt when the input ends first; `*counted` then tells whether the
// vault accepted any share of this run.
std::optional<int> EnterShares(Session& session, const std::string& path, const std::string& prompt,
                               const json::object& fields, const ShareAnswer& answered,
                               bool* counted) {
  const bool interactive = session.io().in_is_terminal;
  *counted = false;
  while (std::optional<SecretBytes> share = NextShare(session, prompt)) {
    session.AddSensitive(share->Reveal());
    json::object body = fields;
    body["share"] = share->Reveal();
    std::optional<Response> answer = session.Call(MakeJsonRequest("POST", path, body));
    if (!answer) {
      if (interactive) continue;  // a typo at the prompt: try again
      return kExitServer;
    }
    std::optional<json::object> status = session.ParseObject(*answer);
    if (!status) return kExitServer;
    if (std::optional<int> rc = answered(*answer, *status)) return rc;
    *counted = true;
  }
  return std::nullopt;
}

int RunUnseal(const OperatorArgs& args, Session& session) {
  if (args.reset) {
    json::object body{{"reset", true}};
    return session.Show(MakeJsonRequest("POST", "/api/v1/sys/unseal", body),
                        [](const json::object& s) { return "reset; " + ProgressLine(s) + "\n"; });
  }
  std::optional<json::object> before = SealStatusNow(session);
  if (before && IsFalse(*before, "sealed")) {
    session.out() << "already unsealed\n";
    return kExitOk;
  }
  std::string last_progress = before ? ProgressLine(*before) : "";
  bool counted = false;
  std::optional<int> rc = EnterShares(
      session, "/api/v1/sys/unseal", "Unseal share (not shown): ", json::object(),
      [&](const Response& answer, const json::object& status) -> std::optional<int> {
        if (IsFalse(status, "sealed")) {
          if (session.json()) {
            session.PrintJson(answer.body);
          } else {
            session.out() << "unsealed\n";
          }
          return kExitOk;
        }
        const std::string progress = ProgressLine(status);
        session.PrintNote("unseal", progress == last_progress
                                        ? "that share was entered already; it counts once"
                                        : progress);
        last_progress = progress;
        return std::nullopt;
      },
      &counted);
  if (rc) return *rc;
  // Each holder may enter only their own share: progress is kept for the next one.
  if (counted) {
    session.PrintNote("unseal",
                      "still sealed: the next share holder runs `svault operator unseal`");
    return kExitOk;
  }
  session.PrintError("no share was entered, and the vault is still sealed");
  return kExitServer;
}

int RunStatus(Session& session) {
  return session.Show(MakeRequest("GET", "/api/v1/sys/seal-status"),
                      [](const json::object& s) { return FormatFields(s, kSealFields); });
}

int RunSeal(Session& session) {
  return session.Do(MakeRequest("POST", "/api/v1/sys/seal"),
                    "sealed: keys wiped; unseal with a quorum of shares (or restart, with "
                    "auto-unseal)");
}

int RunRotate(Session& session) {
  return session.Show(MakeRequest("POST", "/api/v1/sys/rotate"), [](const json::object& o) {
    return "keyring term " + FieldText(o, "term") +
           " is now current; every data key is rewrapped under it\n";
  });
}

// The end of a rekey step's input: fine when a share counted (each holder enters only their
// own), else an error.
int EndOfRekeyInput(Session& session, bool counted) {
  if (counted) return kExitOk;
  session.PrintError(
      "no share was entered; the rekey is still in progress (cancel it with "
      "`svault operator rekey --cancel`)");
  return kExitServer;
}

std::optional<std::string> RekeyNonce(Session& session) {
  std::optional<Response> answer = session.Call(MakeRequest("GET", "/api/v1/sys/rekey"));
  if (!answer) return std::nullopt;
  std::optional<json::object> status = session.ParseObject(*answer);
  if (!status) return std::nullopt;
  const json::value* nonce = status->if_contains("nonce");
  if (nonce == nullptr || !nonce->is_string()) {
    session.PrintError("no rekey is in progress");
    return std::nullopt;
  }
  return std::string(nonce->as_string());
}

// Step 2: the holders of the new shares enter them back; then the new shares take effect.
int RunRekeyVerify(Session& session) {
  std::optional<std::string> nonce = RekeyNonce(session);
  if (!nonce) return kExitServer;
  bool counted = false;
  std::optional<int> rc = EnterShares(
      session, "/api/v1/sys/rekey/verify",
      "New share (not shown): ", json::object{{"nonce", *nonce}},
      [&session](const Response& answer, const json::object& status) -> std::optional<int> {
        const json::value* complete = status.if_contains("complete");
        if (complete != nullptr && complete->is_bool() && complete->as_bool()) {
          if (session.json()) {
            session.PrintJson(answer.body);
          } else {
            session.out() << "rekey complete: the new shares are in effect; the old ones no "
                             "longer work\n";
          }
          return kExitOk;
        }
        session.PrintNote("rekey", "verified " + Count(status, "verify_progress") + "/" +
                                       Count(status, "threshold"));
        return std::nullopt;
      },
      &counted);
  return rc ? *rc : EndOfRekeyInput(session, counted);
}

// Step 1: starts a rekey, enters the current shares, and prints the new set.
int RunRekey(const OperatorArgs& args, Session& session) {
  if (args.cancel) {
    return session.Do(MakeRequest("DELETE", "/api/v1/sys/rekey"), "rekey cancelled");
  }
  if (args.verify) return RunRekeyVerify(session);
  json::object init{{"shares", args.shares}, {"threshold", args.threshold}};
  std::optional<Response> started =
      session.Call(MakeJsonRequest("POST", "/api/v1/sys/rekey/init", init));
  if (!started) return kExitServer;
  std::optional<json::object> rekey = session.ParseObject(*started);
  if (!rekey) return kExitServer;
  session.PrintNote("rekey", "enter " + FieldText(*rekey, "required") + " current shares");
  bool counted = false;
  std::optional<int> rc = EnterShares(
      session, "/api/v1/sys/rekey/update",
      "Current share (not shown): ", json::object{{"nonce", FieldText(*rekey, "nonce")}},
      [&session, &args](const Response& answer, const json::object& status) -> std::optional<int> {
        const json::value* fresh = status.if_contains("new_shares");
        if (fresh == nullptr || !fresh->is_array()) {
          session.PrintNote(
              "rekey", "progress " + Count(status, "progress") + "/" + Count(status, "required"));
          return std::nullopt;
        }
        if (session.json()) {
          session.PrintJson(answer.body);
          return kExitOk;
        }
        PrintShares(session, fresh->as_array(), args.shares - args.threshold);
        session.out() << "These take effect once " << args.threshold
                      << " of them are entered back: `svault operator rekey --verify`. Until "
                         "then the old shares still work.\n";
        return kExitOk;
      },
      &counted);
  return rc ? *rc : EndOfRekeyInput(session, counted);
}

std::string ReencryptionText(const json::object& o) {
  return FormatFields(o, {"environment", "generation", "old_generations", "versions_total",
                          "versions_pending", "done"});
}

int RunRotateKey(const OperatorArgs& args, Session& session) {
  const std::string path = EnvironmentPath(args.env) + "/rotate-key";
  return session.Show(MakeRequest(args.status ? "GET" : "POST", path), ReencryptionText);
}

void AddSplitOptions(CLI::App& app, OperatorArgs& args) {
  app.add_option("--shares", args.shares, "how many shares to make")->check(CLI::Range(1, 16));
  app.add_option("--threshold", args.threshold, "how many shares unseal")->check(CLI::Range(1, 16));
}

}  // namespace

void AddOperatorCommand(CLI::App& root, Action& action) {
  CLI::App* op = root.add_subcommand("operator", "initialise, unseal, seal and rekey the vault");
  op->require_subcommand(1);
  auto args = std::make_shared<OperatorArgs>();

  CLI::App* init = op->add_subcommand("init", "initialise the vault; prints the shares once");
  AddSplitOptions(*init, *args);
  init->add_flag("--auto-unseal", args->auto_unseal,
                 "write the unseal key to the server's key file instead of making shares");
  init->callback([&action, args] { action = [args](Session& s) { return RunInit(*args, s); }; });

  CLI::App* unseal = op->add_subcommand(
      "unseal", "enter shares (hidden prompt, or one per line on stdin) until the vault opens");
  unseal->add_flag("--reset", args->reset, "forget the shares entered so far");
  unseal->callback(
      [&action, args] { action = [args](Session& s) { return RunUnseal(*args, s); }; });

  op->add_subcommand("status", "show whether the vault is sealed, and unseal progress")
      ->callback([&action] { action = RunStatus; });
  op->add_subcommand("seal", "wipe the keys from memory (admin)")->callback([&action] {
    action = RunSeal;
  });
  op->add_subcommand("rotate", "add a keyring term and rewrap every data key (admin)")
      ->callback([&action] { action = RunRotate; });

  CLI::App* rekey = op->add_subcommand(
      "rekey", "replace the unseal shares; needs a quorum of the current ones (admin)");
  AddSplitOptions(*rekey, *args);
  rekey->add_flag("--cancel", args->cancel, "cancel a rekey in progress");
  rekey->add_flag("--verify", args->verify,
                  "enter the new shares back (step 2); then they take effect");
  rekey->callback([&action, args] { action = [args](Session& s) { return RunRekey(*args, s); }; });
}

void AddRotateKeyCommand(CLI::App& env, Action& action) {
  auto args = std::make_shared<OperatorArgs>();
  CLI::App* rotate = env.add_subcommand(
      "rotate-key", "start a new data-key generation; older versions are re-encrypted (admin)");
  rotate->add_option("--env", args->env, "environment id")->required();
  rotate->add_flag("--status", args->status, "show re-encryption progress instead");
  rotate->callback(
      [&action, args] { action = [args](Session& s) { return RunRotateKey(*args, s); }; });
}

}  // namespace svault::cli
