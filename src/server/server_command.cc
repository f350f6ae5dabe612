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

// No core dumps, no ptrace attach, private files by default.
void HardenProcess() {
  ::umask(077);
  struct rlimit no_core {
    0, 0
  };
  ::setrlimit(RLIMIT_CORE, &no_core);
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  ::signal(SIGPIPE, SIG_IGN);
  ::signal(SIGXFSZ, SIG_IGN);  // a file-size limit fails the write (503), not the process
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

// The unseal key: read it, or (only for a vault not yet initialised) create it.
Result<crypto::GuardedKey> ObtainUnsealKey(const ServerConfig& config, bool initialized) {
  if (!config.dev) SVAULT_RETURN_IF_ERROR(CheckPrivate(config.unseal_key_file, "unseal key file"));
  if (FileExists(config.unseal_key_file)) return ReadKeyFile(config.unseal_key_file);
  if (initialized) {
    return Unavailable("unseal key file " + config.unseal_key_file +
                       " is missing, and this vault is already initialised");
  }
  Log(LogLevel::kInfo, "creating auto-unseal key file", {{"path", config.unseal_key_file}});
  return CreateKeyFile(config.unseal_key_file);
}

// Initialises the vault on first start and hands the root token to the operator once.
Status InitializeIfNeeded(vault::Vault& vault, const ServerConfig& config,
                          const crypto::GuardedKey& key, bool initialized) {
  if (initialized) return Status::Ok();
  SVAULT_ASSIGN_OR_RETURN(SecretBytes root_token, vault.Initialize(key));
  const std::string token_file = config.data_dir + "/root.token";
  SVAULT_RETURN_IF_ERROR(WritePrivateFile(token_file, root_token.Reveal()));
  Log(LogLevel::kInfo, "vault initialised", {{"root_token_file", token_file}});
  if (config.dev) {
    // Dev mode prints the root token once, on stdout, for the person at the terminal.
    std::fprintf(stdout, "Root token (shown once; also in %s):\n%.*s\n", token_file.c_str(),
                 static_cast<int>(root_token.size()), root_token.Reveal().data());
    std::fflush(stdout);
  }
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

// Records a lifecycle step (init, unseal) in the audit chain.
Status AuditEvent(vault::Vault& vault, std::string_view action) {
  vault::AuditEntry entry;
  entry.request_id = RandomId("sys_");
  entry.phase = "event";
  entry.action = std::string(action);
  entry.client = "local";
  entry.outcome = "ok";
  return vault.audit_log()->Append(entry).status();
}

// Opens, initialises (first start) and unseals the vault.
Status OpenVault(const ServerConfig& config, vault::Vault& vault) {
  SVAULT_ASSIGN_OR_RETURN(bool initialized, vault.IsInitialized());
  SVAULT_ASSIGN_OR_RETURN(crypto::GuardedKey key, ObtainUnsealKey(config, initialized));
  SVAULT_RETURN_IF_ERROR(InitializeIfNeeded(vault, config, key, initialized));
  SVAULT_RETURN_IF_ERROR(vault.Unseal(key));
  // The chain key is available only now, so the init is recorded right after it happened.
  if (!initialized) SVAULT_RETURN_IF_ERROR(AuditEvent(vault, "sys.init"));
  SVAULT_RETURN_IF_ERROR(AuditEvent(vault, config.dev ? "sys.unseal.dev" : "sys.unseal.auto"));
  Log(LogLevel::kInfo, "vault unsealed", {{"node", config.node}});
  if (vault.audit_log()->torn_tail_cut()) {
    Log(LogLevel::kWarn, "audit log ended in a torn record (a crash mid-write); it was cut");
  }
  return Status::Ok();
}

Status Serve(const ServerConfig& config, const sigset_t& stop_signals) {
  SVAULT_ASSIGN_OR_RETURN(ListenAddress address, ParseListen(config.listen));
  SVAULT_RETURN_IF_ERROR(MakePrivateDir(config.data_dir));
  SVAULT_ASSIGN_OR_RETURN(std::unique_ptr<storage::Store> store,
                          storage::OpenSqliteStore({.path = config.data_dir + "/vault.db"}));
  vault::Vault vault(*store, SystemClock::Get(), MakeVaultOptions(config));
  SVAULT_RETURN_IF_ERROR(OpenVault(config, vault));

  api::Api api(vault);
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
  Log(LogLevel::kInfo, "server stopped");
  return Status::Ok();
}

}  // namespace

int RunServerCommand(int argc, char** argv) {
  const sigset_t stop_signals = BlockStopSignals();  // before any thread starts
  HardenProcess();
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
  if (!config->dev && config->unseal_key_file.empty()) {
    // TODO(#4): manual unseal with Shamir shares ends this restriction.
    std::fprintf(stderr,
                 "svault server: refusing to start: outside --dev this version needs an "
                 "auto-unseal key file (--unseal-key-file FILE, or unseal_key_file in the "
                 "config); manual unseal with key shares is not available yet\n");
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
