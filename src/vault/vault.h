// The vault domain: environments, secrets and their versions, tokens, and the key hierarchy
// that protects them (DESIGN.md §2, §4, §5). Thread-safe: one Vault serves every request.
//
// Operations take the authenticated Principal for attribution (created_by, updated_by); the
// capability check itself is the caller's job (api/router.cc runs it before validation, in the
// order DESIGN.md §8 fixes), through Authorize() below.
#ifndef SVAULT_VAULT_VAULT_H_
#define SVAULT_VAULT_VAULT_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/secret.h"
#include "common/status.h"
#include "crypto/guarded_key.h"
#include "crypto/keyring.h"
#include "storage/store.h"
#include "vault/access.h"
#include "vault/audit_log.h"
#include "vault/records.h"

namespace svault::vault {

struct VaultOptions {
  size_t max_value_bytes = 64 * 1024;  // decoded bytes; at most 1 MiB
  int64_t default_ttl_seconds = 24 * 3600;
  int64_t max_ttl_seconds = 30 * 24 * 3600;
  AuditOptions audit;  // where the audit log lives once unsealed
};

// A page of a list.
template <typename T>
struct Page {
  std::vector<T> items;
  std::optional<std::string> next_cursor;
};

// What a write wants to change. Absent fields keep their old values.
struct SecretWrite {
  std::optional<SecretBytes> value;  // required for a put, absent for a patch
  std::optional<std::string> description;
  std::optional<std::string> type;
  std::optional<std::map<std::string, std::string>> tags;
  std::optional<uint64_t> cas;
};

struct SecretValue {
  uint64_t version = 0;
  SecretBytes value;
};

// A key, optionally pinned to a version (nullopt = current).
struct KeyRef {
  std::string key;
  std::optional<uint64_t> version;
};

struct TokenSpec {
  Role role = Role::kDeveloper;
  std::vector<std::string> environments;  // ids; must exist
  std::vector<std::string> key_patterns;
  std::optional<int64_t> ttl_seconds;  // default from options
  bool never_expires = false;          // admin only: a successor to the root token
  std::string description;
};

struct NewToken {
  Principal metadata;
  SecretBytes token;  // "svt_…": shown once, never stored
};

class Vault {
 public:
  // `store` and `clock` must outlive the vault. The vault starts sealed.
  Vault(storage::Store& store, const Clock& clock, VaultOptions options);
  ~Vault();

  // ---- Lifecycle --------------------------------------------------------------------------

  // Whether the store holds an initialised vault.
  Result<bool> IsInitialized();
  bool IsSealed() const;

  // Creates the root key (wrapped under `unseal_key`) and the keyring, and an admin root token
  // that never expires. kConflict when already initialised. Leaves the vault sealed.
  Result<SecretBytes> Initialize(const crypto::GuardedKey& unseal_key);

  // Opens the root key with `unseal_key`, then the keyring, then the audit log. kIntegrityError
  // when the key is wrong; kUninitialized before Initialize.
  Status Unseal(const crypto::GuardedKey& unseal_key);

  // The audit log, once unsealed (nullptr while sealed). Appends are the caller's (api layer).
  AuditLog* audit_log();
  // Verifies one audit file under the chain key (see VerifyAuditFile). kSealed while sealed.
  Result<AuditVerifyReport> VerifyAudit(std::string_view content,
                                        std::optional<std::string> expected_prev,
                                        std::optional<uint64_t> expected_seq);

  // ---- Tokens and access ------------------------------------------------------------------

  // Resolves a bearer token to its principal. kUnauthenticated for a missing, malformed,
  // unknown, expired or revoked token, all alike.
  Result<Principal> Authenticate(std::string_view token);

  // Whether `principal` holds `capability` on environment `env_id` (looked up here).
  // kForbidden otherwise, whether or not the environment exists (unless admin).
  Status Authorize(const Principal& principal, Capability capability, std::string_view env_id);

  Result<NewToken> CreateToken(const Principal& creator, const TokenSpec& spec);
  Result<Page<Principal>> ListTokens(std::string_view cursor, size_t limit);
  // kNotFound for an unknown id; kConflict when it is the last admin token that never expires
  // (so management can never be lost; rotate the root token by creating an admin token with
  // ttl "never" first).
  Status RevokeToken(std::string_view token_id);

  // ---- Environments -----------------------------------------------------------------------

  Result<EnvRecord> CreateEnvironment(const Principal& creator, std::string_view id,
                                      std::string_view description);
  Result<EnvRecord> GetEnvironment(std::string_view id);
  // Environments the principal can `list`, ordered by id.
  Result<Page<EnvRecord>> ListEnvironments(const Principal& principal, std::string_view cursor,
                                           size_t limit);
  // Deletes the environment, every secret and version in it, and its data keys, atomically.
  Status DeleteEnvironment(std::string_view id);

  // ---- Secrets ----------------------------------------------------------------------------

  // Writes a new version (put: write.value set) or changes metadata only (patch). `created` is
  // set true when the key had no live version before. kConflict on a cas mismatch, kNotFound
  // for a patch of a missing key or a missing environment, kTooLarge for a value over the limit.
  Result<SecretMeta> WriteSecret(const Principal& writer, std::string_view env_id,
                                 std::string_view key, SecretWrite write, bool* created);
  Result<SecretMeta> GetSecret(std::string_view env_id, std::string_view key);
  Result<Page<SecretMeta>> ListSecrets(std::string_view env_id, std::string_view prefix,
                                       std::string_view cursor, size_t limit);
  Status DeleteSecret(std::string_view env_id, std::string_view key);
  // The value of `version` (current when nullopt). kIntegrityError when the stored ciphertext
  // fails authentication, never a wrong value.
  Result<SecretValue> RevealSecret(std::string_view env_id, std::string_view key,
                                   std::optional<uint64_t> version);
  Result<Page<VersionRecord>> ListVersions(std::string_view env_id, std::string_view key,
                                           std::string_view cursor, size_t limit);

  // ---- References (DESIGN.md §3, §4) --------------------------------------------------------

  // Whether each reference exists for `principal`: the key (or the pinned version) exists and
  // the key is within the principal's key patterns. One read transaction. kNotFound when the
  // environment does not exist. The capability check is the caller's.
  Result<std::vector<bool>> CheckReferences(const Principal& principal, std::string_view env_id,
                                            std::span<const KeyRef> refs);

  // The value of each reference, from one read transaction; nullopt for a reference that is
  // missing or outside the principal's key patterns (the two are not told apart). kNotFound
  // when the environment does not exist, kIntegrityError when a ciphertext fails.
  Result<std::vector<std::optional<SecretValue>>> ResolveSecrets(const Principal& principal,
                                                                 std::string_view env_id,
                                                                 std::span<const KeyRef> refs);

 private:
  struct Unsealed;

  Result<std::optional<EnvRecord>> LoadEnv(storage::Transaction& txn, std::string_view id);
  Result<EnvRecord> RequireEnv(storage::Transaction& txn, std::string_view id);
  Result<std::shared_ptr<const crypto::GuardedKey>> DataKey(storage::Transaction& txn,
                                                            const EnvRecord& env,
                                                            uint32_t generation);
  Status StoreNewDataKey(storage::Transaction& txn, const EnvRecord& env);
  Result<std::string> EncryptValue(storage::Transaction& txn, const EnvRecord& env,
                                   std::string_view key, uint64_t version,
                                   const SecretBytes& value);
  Result<SecretBytes> DecryptValue(storage::Transaction& txn, const EnvRecord& env,
                                   std::string_view key, uint64_t version, std::string_view blob);
  void ForgetDataKeys(std::string_view uid);
  Result<uint64_t> HighestVersionEver(storage::Transaction& txn, const EnvRecord& env);
  // The value of `version` (current when nullopt), or nullopt when the key or version is gone.
  Result<std::optional<SecretValue>> ReadValue(storage::Transaction& txn, const EnvRecord& env,
                                               std::string_view key,
                                               std::optional<uint64_t> version);
  // Mints a random token for `principal`, stores its record and hash, and returns the token.
  static Result<SecretBytes> StoreToken(storage::Transaction& txn,
                                        const crypto::GuardedKey& hash_key,
                                        const Principal& principal);

  storage::Store& store_;
  const Clock& clock_;
  VaultOptions options_;

  mutable std::shared_mutex seal_mu_;   // exclusive to seal/unseal, shared by every operation
  std::unique_ptr<Unsealed> unsealed_;  // guarded by seal_mu_; nullptr while sealed
};

}  // namespace svault::vault

#endif  // SVAULT_VAULT_VAULT_H_
