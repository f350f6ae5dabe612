// The vault domain: environments, secrets and their versions, tokens, and the key hierarchy
// that protects them (DESIGN.md §2, §4, §5). Thread-safe: one Vault serves every request.
//
// Operations take the authenticated Principal for attribution (created_by, updated_by); the
// capability check itself is the caller's job (api/router.cc runs it before validation, in the
// order DESIGN.md §8 fixes), through Authorize() below.
#ifndef SVAULT_VAULT_VAULT_H_
#define SVAULT_VAULT_VAULT_H_

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
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

struct InitSpec {
  uint32_t shares = 5;
  uint32_t threshold = 3;
  bool auto_unseal = false;
};

struct InitResult {
  std::vector<SecretBytes> shares;  // empty with auto-unseal
  SecretBytes root_token;
};

struct SealStatus {
  bool initialized = false;
  bool sealed = true;
  std::string type;           // "shamir" or "auto" once initialised
  uint32_t progress = 0;      // distinct valid shares entered towards the quorum
  uint32_t threshold = 0;     // shares needed (0 for auto-unseal)
  uint32_t shares = 0;        // shares made
  bool unsealed_now = false;  // set in the one answer whose share completed the unseal
};

// Counts of unseal activity while sealed, summarised in the chain at unseal (DESIGN.md §7).
struct SealedActivity {
  uint32_t shares_accepted = 0;
  uint32_t shares_refused = 0;
  uint32_t resets = 0;
  uint32_t failed_combinations = 0;
  uint64_t requests_refused = 0;  // other requests answered 503 sealed
};

struct RekeyStatus {
  bool started = false;
  std::string nonce;
  uint32_t progress = 0;    // current shares entered
  uint32_t required = 0;    // current threshold
  uint32_t new_shares = 0;  // the new split
  uint32_t new_threshold = 0;
  // After the current quorum: the new shares exist but take effect only once `new_threshold`
  // of them are entered back (verification), so new shares that never reach their holders
  // change nothing.
  bool verifying = false;
  uint32_t verify_progress = 0;
  bool complete = false;            // the new shares took effect
  std::vector<SecretBytes> shares;  // the new shares, in the one answer that makes them
};

struct ReencryptionStatus {
  std::string environment;
  uint32_t generation = 0;                // current: new writes use it
  std::vector<uint32_t> old_generations;  // still holding versions (or not yet destroyed)
  uint64_t versions_total = 0;
  uint64_t versions_pending = 0;  // still under an older generation
};

struct BackgroundOptions {
  size_t batch_versions = 64;  // versions re-encrypted per transaction
  int pause_ms = 10;           // between transactions, so requests keep the store
};

// Where an auto-unseal key is kept; the server implements it with a file.
class UnsealKeyFile {
 public:
  virtual ~UnsealKeyFile() = default;
  // Whether a place for the key is configured.
  virtual bool configured() const = 0;
  // Creates a new random key there (refusing to overwrite) and returns it.
  virtual Result<crypto::GuardedKey> Create() = 0;
  // Removes the key Create() made, after an init that failed.
  virtual void Discard() = 0;
};

class Vault {
 public:
  // `store` and `clock` must outlive the vault. The vault starts sealed.
  Vault(storage::Store& store, const Clock& clock, VaultOptions options);
  ~Vault();

  // After a write call of this thread failed: kUnavailable when the failure rests on writes of
  // other requests that were then lost (Store::TakeLostReads), so that answer must not be given.
  Status TakeLostReads() { return store_.TakeLostReads(); }

  // ---- Lifecycle (DESIGN.md §5) --------------------------------------------------------------

  // Whether the store holds an initialised vault.
  Result<bool> IsInitialized();
  bool IsSealed() const;
  // initialized, sealed, and the unseal progress while sealed. Reads the store only when sealed.
  Result<SealStatus> GetSealStatus();

  // Creates the root key and the keyring, an admin root token that never expires, and the
  // unseal key: split into `spec.shares` shares (any `spec.threshold` of them unseal), or, with
  // `spec.auto_unseal`, written by `key_file` (which must be configured). Records `sys.init` in
  // the audit chain before it answers. The root token and shares are returned once and never
  // stored. kConflict when already initialised. Leaves the vault sealed.
  Result<InitResult> Initialize(const InitSpec& spec, UnsealKeyFile* key_file);
  // Initialises with a given auto-unseal key (dev mode, tests). Leaves the vault sealed.
  Result<SecretBytes> Initialize(const crypto::GuardedKey& unseal_key);

  // Opens the root key with `unseal_key`, then the keyring, then the audit log. kIntegrityError
  // when the key is wrong; kUninitialized before Initialize. Succeeds at once when unsealed.
  Status Unseal(const crypto::GuardedKey& unseal_key);

  // Enters one share towards the quorum and answers the status after it. A share that does not
  // parse, or that belongs to another vault or another share set, is kValidationFailed and does
  // not count; a share whose index was already entered does not count twice. At quorum the
  // shares are combined: when they open the root key the vault is unsealed, otherwise progress
  // is reset and the answer is kValidationFailed "combination failed". kUninitialized before
  // init; when already unsealed the share is ignored.
  Result<SealStatus> SubmitShare(std::string_view share_text);
  // Forgets the shares entered so far (anyone may, as anyone may enter a share).
  Result<SealStatus> ResetUnseal();

  // Wipes the root key, the keyring and every cached data key, and closes the audit log.
  // Callers still inside an operation keep their keys until it ends (the operation holds the
  // seal lock); the api layer drains requests first. OK when already sealed.
  void Seal();

  // What happened while sealed, for the summary the api layer writes into the chain at unseal;
  // reading it resets the counts.
  SealedActivity TakeSealedActivity();
  // Counts a request refused because the vault is sealed.
  void NoteSealedRequest();
  // Appends a lifecycle event (phase "event") to the audit chain. kSealed while sealed.
  Status AppendEvent(std::string_view action, std::string_view target);

  // ---- Key rotation (DESIGN.md §5) -------------------------------------------------------------

  // Adds a keyring term, rewraps every data key under it and drops the older terms, in one
  // transaction. Reads go on meanwhile; writers wait for it. Returns the new term.
  Result<uint32_t> RotateKeyring();

  // Starts a rekey: a quorum of the current shares will replace the unseal key with a new one
  // split into `shares` / `threshold`. Answers the nonce that every update names. kConflict
  // when a rekey is already in progress; kValidationFailed on a vault with auto-unseal.
  Result<RekeyStatus> StartRekey(uint32_t shares, uint32_t threshold);
  // Enters one current share for the rekey named by `nonce`. Shares are checked as in
  // SubmitShare. At quorum, if they open the root key, a new unseal key is made and the answer
  // carries its shares, once; nothing changes yet (see VerifyRekey). kNotFound when no rekey
  // with that nonce is in progress; kConflict once the new shares exist.
  Result<RekeyStatus> UpdateRekey(std::string_view nonce, std::string_view share_text);
  // Enters one of the new shares. At the new threshold, when they rebuild the new unseal key,
  // the rekey takes effect in one transaction: a new root key, wrapped under the new unseal
  // key, re-seals the keyring, and the old shares stop working. kNotFound as UpdateRekey;
  // kConflict before the new shares exist.
  Result<RekeyStatus> VerifyRekey(std::string_view nonce, std::string_view share_text);
  Result<RekeyStatus> GetRekeyStatus();
  // kNotFound when no rekey is in progress.
  Status CancelRekey();

  // Starts a new data-key generation of environment `env_id` for new writes; older versions are
  // re-encrypted by ReencryptBatch. kNotFound for an unknown environment; kConflict when 16
  // generations are alive (older ones still being re-encrypted).
  Result<ReencryptionStatus> RotateDataKey(std::string_view env_id);
  // How far re-encryption of `env_id` has come.
  Result<ReencryptionStatus> GetReencryption(std::string_view env_id);
  // Re-encrypts up to `max_versions` versions written under an older generation of one
  // environment (one write transaction; the search for it reads only), and destroys the older
  // generations once no version uses them. Answers whether it found work (call again). Safe to
  // interrupt anywhere: a crash leaves each version under one readable generation, and the next
  // call carries on.
  Result<bool> ReencryptBatch(size_t max_versions);

  // Runs ReencryptBatch on a thread of the vault's own whenever work may remain: at start
  // (resuming a re-encryption a crash cut short), after unseal and after RotateDataKey. The
  // destructor stops it.
  void StartBackgroundWork(BackgroundOptions options);
  void StopBackgroundWork();

  // Unwrapped data keys held in memory (bounded; for tests and diagnostics). 0 while sealed.
  size_t CachedDataKeyCount();

  // The audit log, once unsealed (nullptr while sealed). Appends are the caller's (api layer).
  // Shared, so a seal never frees it under a request that still writes to it.
  std::shared_ptr<AuditLog> audit_log();
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
  // Deletes the environment, every secret and version in it, and its data keys, atomically. In
  // the same transaction a new keyring term rewraps every other data key and the older terms
  // are forgotten, so a copy of the deleted wrapped keys (a WAL frame, a saved row) no longer
  // unwraps (crypto-shredding, DESIGN.md §5). Reads go on meanwhile; writers wait for it.
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
  // the key is within the principal's key patterns; and whether the principal may resolve in
  // the environment. One read transaction. kNotFound when the environment does not exist. The
  // capability check of the caller's route is the caller's.
  struct ReferenceCheck {
    std::vector<bool> exists;
    bool resolvable = false;
  };
  Result<ReferenceCheck> CheckReferences(const Principal& principal, std::string_view env_id,
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
  void ForgetDataKeysLocked(std::string_view uid);  // dek_mu held
  void ForgetDataKey(std::string_view uid, uint32_t generation);
  Result<size_t> ReencryptEnvironment(storage::Transaction& txn, const EnvRecord& env,
                                      size_t limit);
  Result<std::optional<std::string>> NextEnvironmentToReencrypt();
  void KickBackgroundWork();
  void BackgroundLoop();
  Result<uint64_t> HighestVersionEver(storage::Transaction& txn, const EnvRecord& env);
  // The value of `version` (current when nullopt), or nullopt when the key or version is gone.
  // `meta` is the key's live metadata when the caller has it already (nullptr: looked up).
  Result<std::optional<SecretValue>> ReadValue(storage::Transaction& txn, const EnvRecord& env,
                                               std::string_view key,
                                               std::optional<uint64_t> version,
                                               const SecretMeta* meta = nullptr);
  // Mints a random token for `principal`, stores its record and hash, and returns the token.
  static Result<SecretBytes> StoreToken(storage::Transaction& txn,
                                        const crypto::GuardedKey& hash_key,
                                        const Principal& principal);

  struct Quorum;  // shares entered so far (unseal or rekey)
  struct Rekey;

  Result<SealConfig> LoadSealConfig();
  Result<InitResult> InitializeWith(const crypto::GuardedKey& unseal_key, SealConfig config);
  // Adds a share to `quorum` after the checks every share gets; true when it counted.
  Result<bool> AddShare(Quorum& quorum, const SealConfig& config, std::string_view text);
  Status UnsealLocked(const crypto::GuardedKey& unseal_key);
  Status RewrapDataKeys(storage::Transaction& txn, uint32_t term);
  // Rotates the keyring's term in write transaction `txn` and commits it alone; then, if
  // `forget_uid` is not empty, forgets that environment's cached data keys. The caller holds
  // seal_mu_ (shared or exclusive).
  Result<uint32_t> RotateTerm(storage::Transaction& txn, std::string_view forget_uid);
  RekeyStatus RekeyState(uint32_t required) const;
  Status FindRekey(std::string_view nonce);
  Status CommitRekey();
  Result<SealStatus> StatusLocked();

  storage::Store& store_;
  const Clock& clock_;
  VaultOptions options_;

  mutable std::shared_mutex seal_mu_;   // exclusive to seal/unseal, shared by every operation
  std::shared_ptr<Unsealed> unsealed_;  // guarded by seal_mu_; nullptr while sealed

  std::mutex lifecycle_mu_;                // init, unseal progress, rekey, rotation: one at a time
  std::unique_ptr<Quorum> unseal_quorum_;  // guarded by lifecycle_mu_
  std::unique_ptr<Rekey> rekey_;           // guarded by lifecycle_mu_
  SealedActivity sealed_activity_;         // guarded by lifecycle_mu_

  std::mutex work_mu_;  // the background worker's state
  std::condition_variable work_cv_;
  std::thread worker_;
  BackgroundOptions work_options_;
  bool work_pending_ = false;
  bool work_stop_ = false;
};

}  // namespace svault::vault

#endif  // SVAULT_VAULT_VAULT_H_
