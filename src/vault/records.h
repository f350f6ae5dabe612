// What the vault keeps in the store, how each record is encoded (JSON text, never a value in
// clear), and the store paths. Paths sort so that a prefix scan lists one kind of record in key
// byte order:
//   sys/init, sys/root, sys/keyring          initialisation marker, wrapped root key, keyring
//   sys/seal                                  how the unseal key is kept (SealConfig)
//   envs/<id>                                 environment record
//   e/<uid>/dek/<generation>                  wrapped data key of one generation
//   e/<uid>/s/<key>                           secret metadata (live keys only)
//   e/<uid>/v/<key>#<version, 10 digits>      one version: attribution and the value blob
//   e/<uid>/hv/<key>                          highest version the key ever had (kept on delete)
//   vfloor/<id>                               highest version any key had in environments of
//                                             this id that were deleted (kept for good)
//   tok/<keyed hash>                          -> token id
//   tid/<token id>                            token record
// `#` cannot occur in a key, so the versions of `a` never mix with those of `a/b`.
#ifndef SVAULT_VAULT_RECORDS_H_
#define SVAULT_VAULT_RECORDS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "vault/access.h"

namespace svault::vault {

struct EnvRecord {
  std::string id;
  std::string uid;  // internal identity, random, never reused
  std::string description;
  int64_t created_at_ms = 0;
  std::string created_by;
  uint32_t generation = 1;  // current data-key generation
};

inline constexpr std::string_view kSecretTypes[] = {"password",          "token",    "key",
                                                    "certificate",       "hostname", "url",
                                                    "connection_string", "channel",  "generic"};
bool IsValidSecretType(std::string_view type);

struct SecretMeta {
  std::string key;
  uint64_t version = 0;  // current version
  std::string description;
  std::string type = "generic";
  std::map<std::string, std::string> tags;
  int64_t created_at_ms = 0;
  std::string created_by;
  int64_t updated_at_ms = 0;
  std::string updated_by;
};

struct VersionRecord {
  uint64_t version = 0;
  int64_t created_at_ms = 0;
  std::string created_by;
  std::string blob;  // format byte, generation, nonce, ciphertext, tag
};

// How the unseal key is kept; stored (it holds nothing secret) at sys/seal.
struct SealConfig {
  std::string type = "auto";  // "shamir" (key shares) or "auto" (key file)
  std::string vault_id;       // in every share, so a share of another vault is recognised
  uint32_t set = 1;           // share set: +1 at every rekey
  uint32_t shares = 0;        // shamir only
  uint32_t threshold = 0;     // shamir only
  // ShareDigest of each share, by index (shamir only): shares are recognised, never stored.
  std::vector<std::string> share_digests;
};

struct DataKeyRecord {
  uint32_t term = 0;    // keyring term that wraps it
  std::string wrapped;  // WrapKey output
};

namespace paths {
std::string Env(std::string_view id);
std::string EnvData(std::string_view uid);  // everything of one environment
std::string DataKey(std::string_view uid, uint32_t generation);
std::string DataKeyPrefix(std::string_view uid);
// The generation a DataKey() path names.
Result<uint32_t> GenerationOf(std::string_view data_key_path);
std::string VersionsOf(std::string_view uid);  // every version of every key
std::string SecretPrefix(std::string_view uid);
std::string Secret(std::string_view uid, std::string_view key);
std::string VersionPrefix(std::string_view uid, std::string_view key);
std::string Version(std::string_view uid, std::string_view key, uint64_t version);
std::string Highest(std::string_view uid, std::string_view key);
std::string VersionFloor(std::string_view env_id);
std::string TokenByHash(std::string_view hash_hex);
std::string TokenById(std::string_view token_id);
}  // namespace paths

std::string EncodeEnv(const EnvRecord& r);
Result<EnvRecord> DecodeEnv(std::string_view text);
std::string EncodeSecretMeta(const SecretMeta& r);
Result<SecretMeta> DecodeSecretMeta(std::string_view text);
std::string EncodeVersion(const VersionRecord& r);
Result<VersionRecord> DecodeVersion(std::string_view text);
std::string EncodeSealConfig(const SealConfig& r);
Result<SealConfig> DecodeSealConfig(std::string_view text);
std::string EncodeDataKey(const DataKeyRecord& r);
Result<DataKeyRecord> DecodeDataKey(std::string_view text);
// Token records also carry the keyed hash of the token, so revocation can remove the lookup row.
std::string EncodeToken(const Principal& r, std::string_view hash_hex);
Result<Principal> DecodeToken(std::string_view text, std::string* hash_hex);

}  // namespace svault::vault

#endif  // SVAULT_VAULT_RECORDS_H_
