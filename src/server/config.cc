#include "server/config.h"

#include <toml++/toml.h>

#include <charconv>
#include <cstring>

#include "common/names.h"

namespace svault::server {
namespace {

Status ConfigError(const std::string& name, const std::string& reason) {
  return Invalid(name, reason);
}

Setter StringSetter(std::string ServerConfig::*field) {
  return [field](ServerConfig& c, const std::string& v) {
    c.*field = v;
    return Status::Ok();
  };
}

Setter UnsignedSetter(const std::string& name, uint64_t ServerConfig::*field) {
  return [field, name](ServerConfig& c, const std::string& v) {
    uint64_t n = 0;
    auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (v.empty() || ec != std::errc() || ptr != v.data() + v.size()) {
      return ConfigError(name, "must be a non-negative integer");
    }
    c.*field = n;
    return Status::Ok();
  };
}

Setter TtlSetter(const std::string& name, std::string ServerConfig::*field) {
  return [field, name](ServerConfig& c, const std::string& v) {
    if (!ParseTtlSeconds(v)) return ConfigError(name, "a duration such as 90s, 15m, 24h or 7d");
    c.*field = v;
    return Status::Ok();
  };
}

std::string TomlScalarText(const toml::node& node) {
  if (auto s = node.value<std::string>()) return *s;
  if (auto i = node.value<int64_t>()) return *i < 0 ? "-" : std::to_string(*i);
  return "\x01";  // not a scalar this config knows: every setter rejects it
}

}  // namespace

const std::map<std::string, Setter>& ConfigSetters() {
  static const std::map<std::string, Setter> setters = {
      {"listen", StringSetter(&ServerConfig::listen)},
      {"data_dir", StringSetter(&ServerConfig::data_dir)},
      {"audit_dir", StringSetter(&ServerConfig::audit_dir)},
      {"unseal_key_file", StringSetter(&ServerConfig::unseal_key_file)},
      {"tls_cert_file", StringSetter(&ServerConfig::tls_cert_file)},
      {"tls_key_file", StringSetter(&ServerConfig::tls_key_file)},
      {"max_value_bytes", UnsignedSetter("max_value_bytes", &ServerConfig::max_value_bytes)},
      {"max_body_bytes", UnsignedSetter("max_body_bytes", &ServerConfig::max_body_bytes)},
      {"default_ttl", TtlSetter("default_ttl", &ServerConfig::default_ttl)},
      {"max_ttl", TtlSetter("max_ttl", &ServerConfig::max_ttl)},
      {"node", StringSetter(&ServerConfig::node)},
      {"log_level", StringSetter(&ServerConfig::log_level)},
      {"threads", UnsignedSetter("threads", &ServerConfig::threads)},
      {"audit_max_file_bytes",
       UnsignedSetter("audit_max_file_bytes", &ServerConfig::audit_max_file_bytes)},
      {"drain_ms", UnsignedSetter("drain_ms", &ServerConfig::drain_ms)},
      {"reencrypt_batch", UnsignedSetter("reencrypt_batch", &ServerConfig::reencrypt_batch)},
      {"reencrypt_pause_ms",
       UnsignedSetter("reencrypt_pause_ms", &ServerConfig::reencrypt_pause_ms)},
  };
  return setters;
}

Status ApplyTomlFile(const std::string& path, ServerConfig& config) {
  toml::table parsed;
  try {
    parsed = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return Invalid(path, std::string("not valid TOML: ") + std::string(e.description()));
  }
  for (const auto& [key, node] : parsed) {
    const std::string name(key.str());
    auto it = ConfigSetters().find(name);
    if (it == ConfigSetters().end()) return ConfigError(name, "unknown setting");
    const std::string text = TomlScalarText(node);
    if (text == "\x01") return ConfigError(name, "must be a string or an integer");
    SVAULT_RETURN_IF_ERROR(it->second(config, text));
  }
  return Status::Ok();
}

Status ApplyEnvironment(char** environ_entries, ServerConfig& config) {
  constexpr std::string_view kPrefix = "SVAULT_SERVER_";
  for (char** e = environ_entries; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    if (!entry.starts_with(kPrefix)) continue;
    const size_t eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    std::string name(entry.substr(kPrefix.size(), eq - kPrefix.size()));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto it = ConfigSetters().find(name);
    if (it == ConfigSetters().end()) {
      return ConfigError(std::string(entry.substr(0, eq)), "unknown setting");
    }
    SVAULT_RETURN_IF_ERROR(it->second(config, std::string(entry.substr(eq + 1))));
  }
  return Status::Ok();
}

Status Validate(const ServerConfig& config) {
  if (!ParseListen(config.listen).ok()) return ConfigError("listen", "must be ADDR:PORT");
  if (config.max_value_bytes == 0 || config.max_value_bytes > 1024 * 1024) {
    return ConfigError("max_value_bytes", "from 1 to 1048576");
  }
  if (config.max_body_bytes < 1024 || config.max_body_bytes > 64 * 1024 * 1024) {
    return ConfigError("max_body_bytes", "from 1024 to 67108864");
  }
  if (config.tls_cert_file.empty() != config.tls_key_file.empty()) {
    return ConfigError("tls_cert_file", "give both tls_cert_file and tls_key_file, or neither");
  }
  if (*ParseTtlSeconds(config.default_ttl) > *ParseTtlSeconds(config.max_ttl)) {
    return ConfigError("default_ttl", "must not exceed max_ttl");
  }
  if (config.threads > 256) return ConfigError("threads", "at most 256");
  if (config.reencrypt_batch < 1 || config.reencrypt_batch > 10'000) {
    return ConfigError("reencrypt_batch", "1 to 10000");
  }
  if (config.reencrypt_pause_ms > 60'000) return ConfigError("reencrypt_pause_ms", "at most 60000");
  if (config.audit_max_file_bytes < 4096) return ConfigError("audit_max_file_bytes", "≥ 4096");
  if (!config.dev && config.data_dir.empty()) {
    return ConfigError("data_dir", "required (flag --data) outside dev mode");
  }
  return Status::Ok();
}

Result<ListenAddress> ParseListen(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) return Invalid("listen", "must be ADDR:PORT");
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const std::string port_text = listen.substr(colon + 1);
  unsigned port = 0;
  auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || ptr != port_text.data() + port_text.size() ||
      port > 65535) {
    return Invalid("listen", "port must be 0..65535");
  }
  return ListenAddress{host, static_cast<uint16_t>(port)};
}

bool IsLoopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

}  // namespace svault::server
