#include "server/server_command.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <thread>

#include "api/api.h"
#include "api/http_server.h"
#include "common/encoding.h"
#include "common/log.h"
#include "common/names.h"
#include "server/config.h"
#include "server/files.h"
#include "storage/sqlite/sqlite_store.h"
#include "vault/vault.h"

extern char** environ;

namespace svault::server {
namespace {

// No core dumps, no ptrace attach, private files by default. False when the kernel did not take
// it: a vault that cannot keep keys out of core files does not start.
bool HardenProcess() {
  ::umask(077);
  struct rlimit no_core {
    0, 0
  };
  const bool core_off = ::setrlimit(RLIMIT_CORE, &no_core) == 0;
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  ::signal(SIGPIPE, SIG_IGN);
  ::signal(SIGXFSZ, SIG_IGN);  // a file-size limit fails the write (503), not the process
  return core_off && ::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0;
}

std::string DefaultNodeName() {
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') return "node-1";
  return host;
}

// Flags, parsed with CLI11; only the flags actually given override other sources.
struct Flags {
  std::string config_file;
  std::map<std::string, std::string> values;  // setting name -> text
  bool dev = false;
};

int ParseFlags(int argc, char** argv, Flags& flags) {
  CLI::App app{"svault server: run the Secure Vault service"};
  app.name("svault server");
  app.add_option("--config", flags.config_file, "TOML configuration file");
  app.add_flag("--dev", flags.dev,
               "dev mode: auto-initialise and auto-unseal from a key file in the data "
               "directory; NOT for production");
  const std::map<std::string, std::string> flag_names = {
      {"--listen", "listen"},
      {"--data", "data_dir"},
      {"--audit-dir", "audit_dir"},
      {"--unseal-key-file", "unseal_key_file"},
      {"--tls-cert", "tls_cert_file"},
      {"--tls-key", "tls_key_file"},
      {"--max-value-bytes", "max_value_bytes"},
      {"--max-body-bytes", "max_body_bytes"},
      {"--default-ttl", "default_ttl"},
      {"--max-ttl", "max_ttl"},
      {"--node", "node"},
      {"--log-level", "log_level"},
      {"--threads", "threads"},
      {"--audit-max-file-bytes", "audit_max_file_bytes"},
      {"--drain-ms", "drain_ms"},
      {"--reencrypt-batch", "reencrypt_batch"},
      {"--reencrypt-pause-ms", "reencrypt_pause_ms"},
  };
  for (const auto& [flag, name] : flag_names) {
    app.add_option_function<std::string>(
        flag, [&flags, name = name](const std::string& v) { flags.values[name] = v; },
        "setting " + name);
  }
  app.footer(
      "Precedence, strongest first: flags, SVAULT_SERVER_<SETTING> environment variables, the "
      "--config file, built-in defaults.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? -1 : 1;
  }
  return 0;
}

Result<ServerConfig> LoadConfig(const Flags& flags) {
  ServerConfig config;
  config.dev = flags.dev;
  if (!flags.config_file.empty()) SVAULT_RETURN_IF_ERROR(ApplyTomlFile(flags.config_file, config));
  SVAULT_RETURN_IF_ERROR(ApplyEnvironment(environ, config));
  for (const auto& [name, value] : flags.values) {
    SVAULT_RETURN_IF_ERROR(ConfigSetters().at(name)(config, value));
  }
  if (config.node.empty()) config.node = DefaultNodeName();
  SVAULT_RETURN_IF_ERROR(Validate(config));
  // Only a configuration that holds gets a dev directory, so a failed start leaves nothing.
  if (config.dev && config.data_dir.empty()) {
    char tmpl[] = "/tmp/svault-dev-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) return Unavailable("cannot create a dev data directory");
    config.data_dir = tmpl;
  }
  if (config.dev && config.unseal_key_file.empty()) {
    config.unseal_key_file = config.data_dir + "/unseal.key";
  }
  return config;
}

// Outside dev mode a key or configuration file that group or others can touch is refused: the
// unseal key opens every value, and the configuration names it.
Status CheckPrivate(const std::string& path, std::string_view what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Status::Ok();  // absent: reported where it is read
  if ((st.st_mode & 077) != 0) {
    return Unavailable(std::string(what) + " " + path +
                       " is open to group or others; chmod 600 it");
  }
  return Status::Ok();
}

// Dev mode: the unseal key sits in the data directory, created on first start.
Result<crypto::GuardedKey> DevUnsealKey(const ServerConfig& config, bool initialized) {
  if (FileExists(config.unseal_key_file)) return ReadKeyFile(config.unseal_key_file);
  if (initialized) {
    return Unavailable("unseal key file " + config.unseal_key_file +
                       " is missing, and this vault is already initialised");
  }
  Log(LogLevel::kInfo, "creating auto-unseal key file", {{"path", config.unseal_key_file}});
  return CreateKeyFile(config.unseal_key_file);
}

// Dev mode initialises the vault on first start and hands the root token to the person at the
// terminal once (stdout, and a 0600 file in the data directory).
Status InitializeDev(vault::Vault& vault, const ServerConfig& config,
                     const crypto::GuardedKey& key) {
  SVAULT_ASSIGN_OR_RETURN(SecretBytes root_token, vault.Initialize(key));
  const std::string token_file = config.data_dir + "/root.token";
  SVAULT_RETURN_IF_ERROR(WritePrivateFile(token_file, root_token.Reveal()));
  Log(LogLevel::kInfo, "vault initialised", {{"root_token_file", token_file}});
  std::fprintf(stdout, "Root token (shown once; also in %s):\n%.*s\n", token_file.c_str(),
               static_cast<int>(root_token.size()), root_token.Reveal().data());
  std::fflush(stdout);
  return Status::Ok();
}

void WarnAboutMode(const ServerConfig& config, const ListenAddress& address) {
  if (config.dev) {
    Log(LogLevel::kWarn,
        "DEV MODE: the unseal key sits beside the data and the root token is printed; never "
        "use dev mode in production",
        {{"data_dir", config.data_dir}});
  }
  if (config.tls_cert_file.empty() && !IsLoopback(address.host)) {
    Log(LogLevel::kWarn,
        "serving plain HTTP on a non-loopback address: tokens and values "
        "cross the network in clear; configure tls_cert_file and tls_key_file",
        {{"address", address.host}});
  }
}

// Blocks SIGTERM and SIGINT in every thread; a watcher thread turns them into a drain.
sigset_t BlockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

vault::VaultOptions MakeVaultOptions(const ServerConfig& config) {
  vault::VaultOptions options;
  options.max_value_bytes = config.max_value_bytes;
  options.default_ttl_seconds = *ParseTtlSeconds(config.default_ttl);
  options.max_ttl_seconds = *ParseTtlSeconds(config.max_ttl);
  options.audit.dir = config.audit_dir.empty() ? config.data_dir + "/audit" : config.audit_dir;
  options.audit.node = config.node;
  // A file must fit in one request body, or `svault audit verify` could not send it.
  options.audit.max_file_bytes = std::min(config.audit_max_file_bytes, config.max_body_bytes);
  return options;
}

void LogUnsealed(vault::Vault& vault, const ServerConfig& config) {
  Log(LogLevel::kInfo, "vault unsealed", {{"node", config.node}});
  if (vault.audit_log()->torn_tail_cut()) {
    Log(LogLevel::kWarn, "audit log ended in a torn record (a crash mid-write); it was cut");
  }
}

Status OpenDevVault(const ServerConfig& config, vault::Vault& vault) {
  SVAULT_ASSIGN_OR_RETURN(bool initialized, vault.IsInitialized());
  SVAULT_ASSIGN_OR_RETURN(crypto::GuardedKey key, DevUnsealKey(config, initialized));
  if (!initialized) SVAULT_RETURN_IF_ERROR(InitializeDev(vault, config, key));
  SVAULT_RETURN_IF_ERROR(vault.Unseal(key));
  SVAULT_RETURN_IF_ERROR(vault.AppendEvent("sys.unseal.dev", ""));
  LogUnsealed(vault, config);
  return Status::Ok();
}

// Outside dev mode: an uninitialised vault waits for init; a vault on key shares starts sealed;
// a vault on auto-unseal reads its key file, which must be private.
Status OpenVault(const ServerConfig& config, vault::Vault& vault) {
  if (config.dev) return OpenDevVault(config, vault);
  if (!config.unseal_key_file.empty()) {
    SVAULT_RETURN_IF_ERROR(CheckPrivate(config.unseal_key_file, "unseal key file"));
  }
  SVAULT_ASSIGN_OR_RETURN(vault::SealStatus status, vault.GetSealStatus());
  if (!status.initialized) {
    Log(LogLevel::kWarn,
        "vault is not initialised: whoever reaches it first can initialise it; run "
        "`svault operator init` now");
    return Status::Ok();
  }
  if (status.type == "shamir") {
    if (!config.unseal_key_file.empty()) {
      Log(LogLevel::kWarn, "unseal_key_file is ignored: this vault unseals with key shares");
    }
    Log(LogLevel::kInfo, "vault is sealed: enter a quorum of shares with `svault operator unseal`",
        {{"threshold", std::to_string(status.threshold)}});
    return Status::Ok();
  }
  if (config.unseal_key_file.empty()) {
    return Unavailable("this vault unseals from a key file; configure unseal_key_file");
  }
  SVAULT_ASSIGN_OR_RETURN(crypto::GuardedKey key, ReadKeyFile(config.unseal_key_file));
  SVAULT_RETURN_IF_ERROR(vault.Unseal(key));
  SVAULT_RETURN_IF_ERROR(vault.AppendEvent("sys.unseal.auto", ""));
  LogUnsealed(vault, config);
  return Status::Ok();
}

// Key material can reach swap, where it outlives the process (libsodium locks what it can).
void WarnAboutSwap() {
  if (SwapIsOn("/proc/swaps")) {
    Log(LogLevel::kWarn,
        "swap is on: memory that is not locked (request buffers) can be written to disk; turn "
        "swap off or encrypt it on hosts that run the vault");
  }
}

Status Serve(const ServerConfig& config, const sigset_t& stop_signals) {
  SVAULT_ASSIGN_OR_RETURN(ListenAddress address, ParseListen(config.listen));
  SVAULT_RETURN_IF_ERROR(MakePrivateDir(config.data_dir));
  SVAULT_ASSIGN_OR_RETURN(std::unique_ptr<storage::Store> store,
                          storage::OpenSqliteStore({.path = config.data_dir + "/vault.db"}));
  vault::Vault vault(*store, SystemClock::Get(), MakeVaultOptions(config));
  SVAULT_RETURN_IF_ERROR(OpenVault(config, vault));
  WarnAboutSwap();
  vault.StartBackgroundWork({.batch_versions = config.reencrypt_batch,
                             .pause_ms = static_cast<int>(config.reencrypt_pause_ms)});

  UnsealKeyFileAt key_file(config.dev ? "" : config.unseal_key_file);
  api::Api api(vault,
               {.key_file = &key_file, .seal_drain = std::chrono::milliseconds(config.drain_ms)});
  api::HttpServerOptions http;
  http.listen_address = address.host;
  http.port = address.port;
  http.threads = static_cast<int>(config.threads);
  http.max_body_bytes = config.max_body_bytes;
  http.tls_cert_file = config.tls_cert_file;
  http.tls_key_file = config.tls_key_file;
  SVAULT_ASSIGN_OR_RETURN(std::unique_ptr<api::HttpServer> server,
                          api::HttpServer::Create(
                              http, [&api](const api::HttpRequest& r) { return api.Handle(r); },
                              [&api](const api::HttpRequest& r) { return api.HandleOversize(r); }));
  WarnAboutMode(config, address);
  const std::string bound = address.host + ":" + std::to_string(server->port());
  Log(LogLevel::kInfo, "server listening",
      {{"address", bound}, {"tls", config.tls_cert_file.empty() ? "off" : "on"}});

  // SIGTERM or SIGINT: stop accepting, let in-flight requests finish, then return.
  std::thread watcher([&] {
    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    Log(LogLevel::kInfo, "stopping: draining in-flight requests");
    server->Stop(static_cast<int>(config.drain_ms));
  });
  server->Run();
  ::kill(::getpid(), SIGTERM);  // releases the watcher if Run() ended on its own
  watcher.join();
  vault.StopBackgroundWork();
  Log(LogLevel::kInfo, "server stopped");
  return Status::Ok();
}

}  // namespace

int RunServerCommand(int argc, char** argv) {
  const sigset_t stop_signals = BlockStopSignals();  // before any thread starts
  if (!HardenProcess()) {
    std::fprintf(stderr, "svault server: cannot disable core dumps and ptrace attach\n");
    return 2;
  }
  Flags flags;
  if (int rc = ParseFlags(argc, argv, flags); rc != 0) return rc < 0 ? 0 : rc;

  if (!flags.dev && !flags.config_file.empty()) {
    if (Status private_config = CheckPrivate(flags.config_file, "configuration file");
        !private_config.ok()) {
      std::fprintf(stderr, "svault server: %s\n", private_config.message().c_str());
      return 1;
    }
  }
  Result<ServerConfig> config = LoadConfig(flags);
  if (!config.ok()) {
    std::fprintf(stderr, "svault server: %s\n", config.status().ToString().c_str());
    return 1;
  }
  if (!SetLogLevel(config->log_level)) {
    std::fprintf(stderr, "svault server: log_level must be debug, info, warn or error\n");
    return 1;
  }
  if (!crypto::InitCrypto()) {
    std::fprintf(stderr, "svault server: libsodium failed to start\n");
    return 2;
  }

  Status served = Serve(*config, stop_signals);
  if (!served.ok()) {
    Log(LogLevel::kError, "server cannot start", {{"error", served.ToString()}});
    return 2;
  }
  return 0;
}

}  // namespace svault::server
