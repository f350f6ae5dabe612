#include "vault/records.h"

#include <boost/json.hpp>
#include <charconv>

#include "common/encoding.h"
#include "fmt/format.h"

namespace svault::vault {
namespace json = boost::json;

namespace {

Status Corrupt(std::string_view what) {
  return IntegrityError("stored " + std::string(what) + " record is malformed");
}

// Parses stored JSON into an object, or reports the record kind as corrupt.
Result<json::object> ParseObject(std::string_view text, std::string_view what) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return Corrupt(what);
  return std::move(v.as_object());
}

// Typed field readers: each returns false when the field is missing or of another type.
bool Read(const json::object& o, std::string_view name, std::string& out) {
  const json::value* v = o.if_contains(name);
  if (v == nullptr || !v->is_string()) return false;
  out = std::string(v->as_string());
  return true;
}

bool Read(const json::object& o, std::string_view name, int64_t& out) {
  const json::value* v = o.if_contains(name);
  if (v == nullptr) return false;
  if (v->is_int64()) {
    out = v->as_int64();
    return true;
  }
  if (v->is_uint64() && v->as_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
    out = static_cast<int64_t>(v->as_uint64());
    return true;
  }
  return false;
}

template <typename Unsigned>
bool ReadUnsigned(const json::object& o, std::string_view name, Unsigned& out) {
  int64_t n = 0;
  if (!Read(o, name, n) || n < 0) return false;
  out = static_cast<Unsigned>(n);
  return true;
}

json::object StringMap(const std::map<std::string, std::string>& m) {
  json::object o;
  for (const auto& [k, v] : m) o[k] = v;
  return o;
}

bool ReadStringMap(const json::object& o, std::string_view name,
                   std::map<std::string, std::string>& out) {
  const json::value* v = o.if_contains(name);
  if (v == nullptr || !v->is_object()) return false;
  for (const auto& [k, item] : v->as_object()) {
    if (!item.is_string()) return false;
    out[std::string(k)] = std::string(item.as_string());
  }
  return true;
}

json::array StringArray(const std::vector<std::string>& items) {
  json::array a;
  for (const std::string& s : items) a.emplace_back(s);
  return a;
}

bool ReadStringArray(const json::object& o, std::string_view name, std::vector<std::string>& out) {
  const json::value* v = o.if_contains(name);
  if (v == nullptr || !v->is_array()) return false;
  for (const json::value& item : v->as_array()) {
    if (!item.is_string()) return false;
    out.emplace_back(item.as_string());
  }
  return true;
}

}  // namespace

bool IsValidSecretType(std::string_view type) {
  for (std::string_view t : kSecretTypes) {
    if (t == type) return true;
  }
  return false;
}

namespace paths {
std::string Env(std::string_view id) { return fmt::format("envs/{}", id); }
std::string EnvData(std::string_view uid) { return fmt::format("e/{}/", uid); }
std::string DataKey(std::string_view uid, uint32_t generation) {
  return fmt::format("e/{}/dek/{:010}", uid, generation);
}
std::string DataKeyPrefix(std::string_view uid) { return fmt::format("e/{}/dek/", uid); }
Result<uint32_t> GenerationOf(std::string_view data_key_path) {
  const size_t slash = data_key_path.rfind('/');
  uint32_t generation = 0;
  const std::string_view digits = data_key_path.substr(slash + 1);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), generation);
  if (slash == std::string_view::npos || ec != std::errc() || end != digits.end()) {
    return IntegrityError("stored data key path is malformed");
  }
  return generation;
}
std::string VersionsOf(std::string_view uid) { return fmt::format("e/{}/v/", uid); }
std::string SecretPrefix(std::string_view uid) { return fmt::format("e/{}/s/", uid); }
std::string Secret(std::string_view uid, std::string_view key) {
  return fmt::format("e/{}/s/{}", uid, key);
}
std::string VersionPrefix(std::string_view uid, std::string_view key) {
  return fmt::format("e/{}/v/{}#", uid, key);
}
std::string Version(std::string_view uid, std::string_view key, uint64_t version) {
  return fmt::format("e/{}/v/{}#{:010}", uid, key, version);
}
std::string Highest(std::string_view uid, std::string_view key) {
  return fmt::format("e/{}/hv/{}", uid, key);
}
std::string VersionFloor(std::string_view env_id) { return fmt::format("vfloor/{}", env_id); }
std::string TokenByHash(std::string_view hash_hex) { return fmt::format("tok/{}", hash_hex); }
std::string TokenById(std::string_view token_id) { return fmt::format("tid/{}", token_id); }
}  // namespace paths

std::string EncodeEnv(const EnvRecord& r) {
  json::object o{{"id", r.id},
                 {"uid", r.uid},
                 {"description", r.description},
                 {"created_at", r.created_at_ms},
                 {"created_by", r.created_by},
                 {"generation", r.generation}};
  return json::serialize(o);
}

Result<EnvRecord> DecodeEnv(std::string_view text) {
  SVAULT_ASSIGN_OR_RETURN(json::object o, ParseObject(text, "environment"));
  EnvRecord r;
  if (!Read(o, "id", r.id) || !Read(o, "uid", r.uid) || !Read(o, "description", r.description) ||
      !Read(o, "created_at", r.created_at_ms) || !Read(o, "created_by", r.created_by) ||
      !ReadUnsigned(o, "generation", r.generation)) {
    return Corrupt("environment");
  }
  return r;
}

std::string EncodeSecretMeta(const SecretMeta& r) {
  json::object o{{"key", r.key},
                 {"version", r.version},
                 {"description", r.description},
                 {"type", r.type},
                 {"tags", StringMap(r.tags)},
                 {"created_at", r.created_at_ms},
                 {"created_by", r.created_by},
                 {"updated_at", r.updated_at_ms},
                 {"updated_by", r.updated_by}};
  return json::serialize(o);
}

Result<SecretMeta> DecodeSecretMeta(std::string_view text) {
  SVAULT_ASSIGN_OR_RETURN(json::object o, ParseObject(text, "secret"));
  SecretMeta r;
  if (!Read(o, "key", r.key) || !ReadUnsigned(o, "version", r.version) ||
      !Read(o, "description", r.description) || !Read(o, "type", r.type) ||
      !ReadStringMap(o, "tags", r.tags) || !Read(o, "created_at", r.created_at_ms) ||
      !Read(o, "created_by", r.created_by) || !Read(o, "updated_at", r.updated_at_ms) ||
      !Read(o, "updated_by", r.updated_by)) {
    return Corrupt("secret");
  }
  return r;
}

std::string EncodeVersion(const VersionRecord& r) {
  json::object o{{"version", r.version},
                 {"created_at", r.created_at_ms},
                 {"created_by", r.created_by},
                 {"blob", Base64Encode(r.blob)}};
  return json::serialize(o);
}

Result<VersionRecord> DecodeVersion(std::string_view text) {
  SVAULT_ASSIGN_OR_RETURN(json::object o, ParseObject(text, "version"));
  VersionRecord r;
  std::string blob;
  if (!ReadUnsigned(o, "version", r.version) || !Read(o, "created_at", r.created_at_ms) ||
      !Read(o, "created_by", r.created_by) || !Read(o, "blob", blob)) {
    return Corrupt("version");
  }
  std::optional<std::string> decoded = Base64Decode(blob);
  if (!decoded) return Corrupt("version");
  r.blob = std::move(*decoded);
  return r;
}

std::string EncodeSealConfig(const SealConfig& r) {
  json::object o{{"type", r.type},
                 {"vault_id", r.vault_id},
                 {"set", r.set},
                 {"shares", r.shares},
                 {"threshold", r.threshold},
                 {"share_digests", StringArray(r.share_digests)}};
  return json::serialize(o);
}

Result<SealConfig> DecodeSealConfig(std::string_view text) {
  SVAULT_ASSIGN_OR_RETURN(json::object o, ParseObject(text, "seal"));
  SealConfig r;
  if (!Read(o, "type", r.type) || !Read(o, "vault_id", r.vault_id) ||
      !ReadUnsigned(o, "set", r.set) || !ReadUnsigned(o, "shares", r.shares) ||
      !ReadUnsigned(o, "threshold", r.threshold) || (r.type != "shamir" && r.type != "auto") ||
      !ReadStringArray(o, "share_digests", r.share_digests)) {
    return Corrupt("seal");
  }
  return r;
}

std::string EncodeDataKey(const DataKeyRecord& r) {
  json::object o{{"term", r.term}, {"wrapped", Base64Encode(r.wrapped)}};
  return json::serialize(o);
}

Result<DataKeyRecord> DecodeDataKey(std::string_view text) {
  SVAULT_ASSIGN_OR_RETURN(json::object o, ParseObject(text, "data key"));
  DataKeyRecord r;
  std::string wrapped;
  if (!ReadUnsigned(o, "term", r.term) || !Read(o, "wrapped", wrapped)) return Corrupt("data key");
  std::optional<std::string> decoded = Base64Decode(wrapped);
  if (!decoded) return Corrupt("data key");
  r.wrapped = std::move(*decoded);
  return r;
}

std::string EncodeToken(const Principal& r, std::string_view hash_hex) {
  json::object envs;
  for (const auto& [id, uid] : r.environments) envs[id] = uid;
  json::object o{{"id", r.token_id},
                 {"role", RoleName(r.role)},
                 {"environments", std::move(envs)},
                 {"keys", StringArray(r.key_patterns)},
                 {"description", r.description},
                 {"created_at", r.created_at_ms},
                 {"created_by", r.created_by},
                 {"hash", hash_hex}};
  if (r.expires_at_ms) {
    o["expires_at"] = *r.expires_at_ms;
  } else {
    o["expires_at"] = nullptr;
  }
  return json::serialize(o);
}

Result<Principal> DecodeToken(std::string_view text, std::string* hash_hex) {
  SVAULT_ASSIGN_OR_RETURN(json::object o, ParseObject(text, "token"));
  Principal r;
  std::string role;
  std::string hash;
  if (!Read(o, "id", r.token_id) || !Read(o, "role", role) || !Read(o, "hash", hash) ||
      !ReadStringMap(o, "environments", r.environments) ||
      !ReadStringArray(o, "keys", r.key_patterns) || !Read(o, "description", r.description) ||
      !Read(o, "created_at", r.created_at_ms) || !Read(o, "created_by", r.created_by)) {
    return Corrupt("token");
  }
  std::optional<Role> parsed = ParseRole(role);
  if (!parsed) return Corrupt("token");
  r.role = *parsed;
  if (hash_hex != nullptr) *hash_hex = std::move(hash);
  int64_t expires = 0;
  if (Read(o, "expires_at", expires)) r.expires_at_ms = expires;
  return r;
}

}  // namespace svault::vault
