// Server configuration. Sources, weakest first: built-in defaults, the TOML file named by
// --config, SVAULT_SERVER_<NAME> environment variables (e.g. SVAULT_SERVER_LISTEN), and command
// line flags. A later source overrides an earlier one field by field. SVAULT_ADDR and
// SVAULT_TOKEN belong to the client and are ignored here.
#ifndef SVAULT_SERVER_CONFIG_H_
#define SVAULT_SERVER_CONFIG_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "common/status.h"

namespace svault::server {

struct ServerConfig {
  bool dev = false;
  std::string listen = "127.0.0.1:8200";  // ADDR:PORT; [v6]:PORT for IPv6
  std::string data_dir;                   // required outside dev mode
  std::string audit_dir;                  // default: DATA_DIR/audit
  std::string unseal_key_file;            // auto-unseal key (64 hex characters)
  std::string tls_cert_file;
  std::string tls_key_file;
  uint64_t max_value_bytes = 64 * 1024;  // at most 1 MiB
  uint64_t max_body_bytes = 4 * 1024 * 1024;
  std::string default_ttl = "24h";
  std::string max_ttl = "720h";
  std::string node;  // audit node name; defaults to the host name
  std::string log_level = "info";
  uint64_t threads = 0;  // 0 = one per core
  uint64_t audit_max_file_bytes = 2 * 1024 * 1024;
  uint64_t drain_ms = 10'000;        // SIGTERM and seal wait this long for in-flight requests
  uint64_t reencrypt_batch = 64;     // versions re-encrypted per transaction after rotate-key
  uint64_t reencrypt_pause_ms = 10;  // pause between those transactions
};

// Every setting by name, as the TOML file and SVAULT_SERVER_<NAME> spell it; `dev` is a flag
// only. Each setter validates its text and returns a problem or OK.
using Setter = std::function<Status(ServerConfig&, const std::string&)>;
const std::map<std::string, Setter>& ConfigSetters();

// Applies a TOML file. Unknown keys and wrongly typed values are errors naming the key.
Status ApplyTomlFile(const std::string& path, ServerConfig& config);
// Applies SVAULT_SERVER_* variables from `environ`-style entries ("NAME=value").
Status ApplyEnvironment(char** environ_entries, ServerConfig& config);
// Final checks across fields (ranges, required fields, TLS files given in pairs).
Status Validate(const ServerConfig& config);

struct ListenAddress {
  std::string host;
  uint16_t port = 0;
};
Result<ListenAddress> ParseListen(const std::string& listen);
bool IsLoopback(const std::string& host);

}  // namespace svault::server

#endif  // SVAULT_SERVER_CONFIG_H_
