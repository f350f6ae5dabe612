// The vault's lifecycle (DESIGN.md §5): init, unseal (by key or by a quorum of shares), seal,
// keyring rotation and rekey.
#include <fmt/format.h>
#include <sodium.h>

#include "common/encoding.h"
#include "crypto/aead.h"
#include "crypto/shamir.h"
#include "vault/vault.h"
#include "vault/vault_internal.h"

namespace svault::vault {

namespace {

Status CombinationFailed() {
  return {Code::kValidationFailed,
          "combination failed: these shares do not open this vault; progress was reset",
          {ErrorDetail{.field = "/share", .reason = "combination failed"}}};
}

Status CheckSplit(uint32_t shares, uint32_t threshold) {
  if (shares < 1 || shares > crypto::kMaxShares) return Invalid("/shares", "must be 1 to 16");
  if (threshold < 1 || threshold > shares) {
    return Invalid("/threshold", "must be at least 1 and at most the number of shares");
  }
  return Status::Ok();
}

// The digest of each share text, by index, for SealConfig::share_digests.
Result<std::vector<std::string>> DigestsOf(const std::vector<SecretBytes>& texts) {
  std::vector<std::string> digests;
  for (const SecretBytes& text : texts) {
    SVAULT_ASSIGN_OR_RETURN(crypto::Share share, crypto::ParseShare(text.Reveal()));
    digests.push_back(crypto::ShareDigest(share));
  }
  return digests;
}

Result<crypto::GuardedKey> Combine(const std::vector<crypto::Share>& shares) {
  std::vector<const crypto::Share*> chosen;
  for (const crypto::Share& s : shares) chosen.push_back(&s);
  return crypto::CombineShares(chosen);
}

}  // namespace

Result<bool> Vault::IsInitialized() {
  SVAULT_ASSIGN_OR_RETURN(auto txn, store_.Begin(storage::TxnMode::kRead));
  SVAULT_ASSIGN_OR_RETURN(auto marker, txn->Get("sys/init"));
  return marker.has_value();
}

bool Vault::IsSealed() const {
  std::shared_lock lock(seal_mu_);
  return unsealed_ == nullptr;
}

std::shared_ptr<AuditLog> Vault::audit_log() {
  std::shared_lock lock(seal_mu_);
  if (!unsealed_) return nullptr;
  // Shares ownership of the whole unsealed state: the log's chain key lives in the keyring.
  return std::shared_ptr<AuditLog>(unsealed_, unsealed_->audit.get());
}

Result<AuditVerifyReport> Vault::VerifyAudit(std::string_view content,
                                             std::optional<std::string> expected_prev,
                                             std::optional<uint64_t> expected_seq) {
  std::shared_lock lock(seal_mu_);
  if (!unsealed_) return SealedError();
  return VerifyAuditFile(unsealed_->keyring.audit_chain_key(), content, std::move(expected_prev),
                         expected_seq);
}

// A vault initialised before sys/seal existed unseals from its key file.
Result<SealConfig> Vault::LoadSealConfig() {
  SVAULT_ASSIGN_OR_RETURN(auto txn, store_.Begin(storage::TxnMode::kRead));
  SVAULT_ASSIGN_OR_RETURN(auto marker, txn->Get("sys/init"));
  if (!marker) return Status(Code::kUninitialized, "vault is not initialised");
  SVAULT_ASSIGN_OR_RETURN(auto text, txn->Get("sys/seal"));
  if (!text) return SealConfig{};
  return DecodeSealConfig(*text);
}

Result<SealStatus> Vault::StatusLocked() {
  SealStatus status;
  Result<SealConfig> config = LoadSealConfig();
  if (config.status().code() == Code::kUninitialized) return status;
  SVAULT_RETURN_IF_ERROR(config.status());
  status.initialized = true;
  status.sealed = IsSealed();
  status.type = config->type;
  status.threshold = config->threshold;
  status.shares = config->shares;
  if (status.sealed && unseal_quorum_) {
    status.progress = static_cast<uint32_t>(unseal_quorum_->shares.size());
  }
  return status;
}

Result<SealStatus> Vault::GetSealStatus() {
  std::lock_guard lock(lifecycle_mu_);
  return StatusLocked();
}

Result<InitResult> Vault::Initialize(const InitSpec& spec, UnsealKeyFile* key_file) {
  std::lock_guard lock(lifecycle_mu_);
  SVAULT_ASSIGN_OR_RETURN(bool initialized, IsInitialized());
  if (initialized) return Conflict("vault is already initialised");
  SealConfig config;
  config.vault_id = crypto::NewVaultId();

  if (spec.auto_unseal) {
    if (key_file == nullptr || !key_file->configured()) {
      return Invalid("/auto_unseal", "the server has no unseal_key_file configured");
    }
    config.type = "auto";
    SVAULT_ASSIGN_OR_RETURN(crypto::GuardedKey key, key_file->Create());
    Result<InitResult> done = InitializeWith(key, config);
    if (!done.ok()) {
      key_file->Discard();
      return done;
    }
    SVAULT_RETURN_IF_ERROR(UnsealLocked(key));  // auto-unseal: unsealed at once
    return done;
  }

  SVAULT_RETURN_IF_ERROR(CheckSplit(spec.shares, spec.threshold));
  config.type = "shamir";
  config.shares = spec.shares;
  config.threshold = spec.threshold;
  SVAULT_ASSIGN_OR_RETURN(crypto::GuardedKey key, crypto::GuardedKey::Random());
  SVAULT_ASSIGN_OR_RETURN(
      std::vector<SecretBytes> shares,
      crypto::SplitKey(key, {config.vault_id, config.set}, spec.shares, spec.threshold));
  SVAULT_ASSIGN_OR_RETURN(config.share_digests, DigestsOf(shares));
  SVAULT_ASSIGN_OR_RETURN(InitResult done, InitializeWith(key, config));
  done.shares = std::move(shares);
  return done;
}

Result<SecretBytes> Vault::Initialize(const crypto::GuardedKey& unseal_key) {
  std::lock_guard lock(lifecycle_mu_);
  SealConfig config;
  config.vault_id = crypto::NewVaultId();
  SVAULT_ASSIGN_OR_RETURN(InitResult done, InitializeWith(unseal_key, config));
  return std::move(done.root_token);
}

Result<InitResult> Vault::InitializeWith(const crypto::GuardedKey& unseal_key, SealConfig config) {
  SVAULT_ASSIGN_OR_RETURN(auto txn, store_.Begin(storage::TxnMode::kWrite));
  SVAULT_ASSIGN_OR_RETURN(auto marker, txn->Get("sys/init"));
  if (marker) return Conflict("vault is already initialised");

  // Fresh root key and keyring; the root key is stored only wrapped under the unseal key.
  SVAULT_ASSIGN_OR_RETURN(crypto::GuardedKey root, crypto::GuardedKey::Random());
  SVAULT_ASSIGN_OR_RETURN(crypto::Keyring keyring, crypto::Keyring::Create());
  SVAULT_RETURN_IF_ERROR(txn->Put("sys/root", crypto::WrapKey(unseal_key, root, kRootKeyAd)));
  SVAULT_RETURN_IF_ERROR(txn->Put("sys/keyring", keyring.Seal(root)));
  SVAULT_RETURN_IF_ERROR(txn->Put("sys/seal", EncodeSealConfig(config)));

  // The root token: admin, never expires.
  Principal root_principal;
  root_principal.token_id = RandomId("tok_");
  root_principal.role = Role::kAdmin;
  root_principal.description = "root token";
  root_principal.created_at_ms = clock_.NowMillis();
  root_principal.created_by = "init";
  InitResult result;
  SVAULT_ASSIGN_OR_RETURN(result.root_token,
                          StoreToken(*txn, keyring.token_hash_key(), root_principal));
  const std::string init = fmt::format(R"({{"version":1,"created_at":{}}})", clock_.NowMillis());
  SVAULT_RETURN_IF_ERROR(txn->Put("sys/init", init));

  // The chain records the init before it commits: an init that cannot be audited does not happen.
  AuditEntry event;
  event.request_id = RandomId("sys_");
  event.phase = "event";
  event.action = "sys.init";
  event.client = "local";
  event.outcome = "ok";
  event.target = config.type == "auto"
                     ? "auto_unseal"
                     : fmt::format("shares={} threshold={}", config.shares, config.threshold);
  // Records left by an init that never committed (a crash, a failed commit) belong to a chain
  // whose key is lost: set them aside, named, so the new chain starts at seq 1 and verifies.
  SVAULT_ASSIGN_OR_RETURN(
      size_t orphans,
      AuditLog::SetAside(options_.audit.dir, fmt::format("before-init-{}", clock_.NowMillis())));
  if (orphans > 0) *event.target += fmt::format(" set_aside_files={}", orphans);
  SVAULT_ASSIGN_OR_RETURN(auto audit,
                          AuditLog::Open(options_.audit, keyring.audit_chain_key(), clock_));
  SVAULT_RETURN_IF_ERROR(audit->Append(event).status());
  SVAULT_RETURN_IF_ERROR(txn->Commit());
  return result;
}

Status Vault::Unseal(const crypto::GuardedKey& unseal_key) {
  std::lock_guard lock(lifecycle_mu_);
  return UnsealLocked(unseal_key);
}

Status Vault::UnsealLocked(const crypto::GuardedKey& unseal_key) {
  std::unique_lock lock(seal_mu_);
  if (unsealed_) return Status::Ok();
  SVAULT_ASSIGN_OR_RETURN(auto txn, store_.Begin(storage::TxnMode::kRead));
  SVAULT_ASSIGN_OR_RETURN(auto wrapped_root, txn->Get("sys/root"));
  SVAULT_ASSIGN_OR_RETURN(auto sealed_keyring, txn->Get("sys/keyring"));
  if (!wrapped_root || !sealed_keyring) return {Code::kUninitialized, "vault is not initialised"};

  // Unseal key -> root key -> keyring -> audit log (its chain key is in the keyring).
  SVAULT_ASSIGN_OR_RETURN(crypto::GuardedKey root,
                          crypto::UnwrapKey(unseal_key, *wrapped_root, kRootKeyAd));
  SVAULT_ASSIGN_OR_RETURN(crypto::Keyring keyring, crypto::Keyring::Open(root, *sealed_keyring));
  auto unsealed = std::make_shared<Unsealed>(std::move(root), std::move(keyring));
  SVAULT_ASSIGN_OR_RETURN(
      unsealed->audit, AuditLog::Open(options_.audit, unsealed->keyring.audit_chain_key(), clock_));
  unsealed_ = std::move(unsealed);
  unseal_quorum_.reset();
  KickBackgroundWork();
  return Status::Ok();
}

Result<bool> Vault::AddShare(Quorum& quorum, const SealConfig& config, std::string_view text) {
  SVAULT_ASSIGN_OR_RETURN(crypto::Share share, crypto::ParseShare(text));
  if (share.origin.vault_id != config.vault_id) {
    return Invalid("/share", "belongs to another vault");
  }
  if (share.origin.set < config.set) {
    return Invalid("/share", "belongs to a share set that a rekey replaced");
  }
  if (share.origin.set > config.set) {
    return Invalid("/share", "belongs to a share set this vault does not have");
  }
  if (!config.share_digests.empty() &&
      (share.index > config.share_digests.size() ||
       crypto::ShareDigest(share) != config.share_digests[share.index - 1])) {
    return Invalid("/share", "is not one of this vault's shares (altered or forged)");
  }
  for (const crypto::Share& entered : quorum.shares) {
    if (entered.index == share.index) return false;
  }
  quorum.shares.push_back(std::move(share));
  return true;
}

Result<SealStatus> Vault::SubmitShare(std::string_view share_text) {
  std::lock_guard lock(lifecycle_mu_);
  SVAULT_ASSIGN_OR_RETURN(SealConfig config, LoadSealConfig());
  if (!IsSealed()) return StatusLocked();
  if (config.type != "shamir") {
    return Invalid("/share", "this vault unseals from its key file at start, not from shares");
  }
  if (!unseal_quorum_) unseal_quorum_ = std::make_unique<Quorum>();
  Result<bool> counted = AddShare(*unseal_quorum_, config, share_text);
  if (!counted.ok()) {
    ++sealed_activity_.shares_refused;
    return counted.status();
  }
  if (*counted) ++sealed_activity_.shares_accepted;
  if (unseal_quorum_->shares.size() < config.threshold) return StatusLocked();

  // Quorum: combine, then try the result on the root key.
  Result<crypto::GuardedKey> key = Combine(unseal_quorum_->shares);
  unseal_quorum_.reset();
  SVAULT_RETURN_IF_ERROR(key.status());
  Status opened = UnsealLocked(*key);
  if (opened.code() == Code::kIntegrityError) {
    ++sealed_activity_.failed_combinations;
    return CombinationFailed();
  }
  SVAULT_RETURN_IF_ERROR(opened);
  SVAULT_ASSIGN_OR_RETURN(SealStatus status, StatusLocked());
  status.unsealed_now = true;
  return status;
}

Result<SealStatus> Vault::ResetUnseal() {
  std::lock_guard lock(lifecycle_mu_);
  SVAULT_RETURN_IF_ERROR(LoadSealConfig().status());
  if (unseal_quorum_ && !unseal_quorum_->shares.empty()) ++sealed_activity_.resets;
  unseal_quorum_.reset();
  return StatusLocked();
}

void Vault::NoteSealedRequest() {
  std::lock_guard lock(lifecycle_mu_);
  ++sealed_activity_.requests_refused;
}

Status Vault::AppendEvent(std::string_view action, std::string_view target) {
  std::shared_ptr<AuditLog> log = audit_log();
  if (!log) return SealedError();
  AuditEntry event;
  event.request_id = RandomId("sys_");
  event.phase = "event";
  event.action = std::string(action);
  event.client = "local";
  event.outcome = "ok";
  if (!target.empty()) event.target = std::string(target);
  return log->Append(event).status();
}

SealedActivity Vault::TakeSealedActivity() {
  std::lock_guard lock(lifecycle_mu_);
  return std::exchange(sealed_activity_, SealedActivity{});
}

void Vault::Seal() {
  std::lock_guard lock(lifecycle_mu_);
  std::unique_lock seal_lock(seal_mu_);
  // The root key, keyring and cached data keys are wiped as the last holder lets go: at once,
  // unless a request is still writing its audit record.
  unsealed_.reset();
  unseal_quorum_.reset();
  rekey_.reset();
}

// ---- Keyring rotation -------------------------------------------------------------------------

Result<uint32_t> Vault::RotateKeyring() {
  std::lock_guard lock(lifecycle_mu_);
  std::shared_lock seal_lock(seal_mu_);
  if (!unsealed_) return SealedError();
  SVAULT_ASSIGN_OR_RETURN(auto txn, store_.Begin(storage::TxnMode::kWrite));
  SVAULT_ASSIGN_OR_RETURN(uint32_t term, RotateTerm(*txn, ""));
  return term;
}

// Adds a term, rewraps every data key under it, stores the keyring without the older terms and
// commits; then forgets the older terms, so a wrapped data key that lingers anywhere (a WAL
// frame, a backup of the row) no longer unwraps.
//
// Writers touch the keyring only inside their write transactions, and `txn` keeps them out
// from its first write until it is destroyed (CommitAlone), so none sees a term whose fate is
// unknown. Readers unwrap under dek_mu, which guards every change of the terms here.
Result<uint32_t> Vault::RotateTerm(storage::Transaction& txn, std::string_view forget_uid) {
  crypto::Keyring& keyring = unsealed_->keyring;
  Result<uint32_t> term = [&] {
    std::lock_guard lock(unsealed_->dek_mu);
    return keyring.AddTerm();
  }();
  if (!term.ok()) return term;
  Status done = RewrapDataKeys(txn, *term);
  if (done.ok()) done = txn.Put("sys/keyring", keyring.Seal(unsealed_->root_key, true));
  if (done.ok()) done = txn.CommitAlone();
  std::lock_guard lock(unsealed_->dek_mu);
  if (!done.ok()) {
    keyring.DropNewestTerm();
    return done;
  }
  keyring.DropOlderTerms();
  if (!forget_uid.empty()) ForgetDataKeysLocked(forget_uid);
  return term;
}

// Rewraps every data key of every environment under `term` in `txn`.
Status Vault::RewrapDataKeys(storage::Transaction& txn, uint32_t term) {
  const crypto::Keyring& keyring = unsealed_->keyring;
  const crypto::GuardedKey& kek = *keyring.term_key(term);
  std::string after;
  while (true) {
    SVAULT_ASSIGN_OR_RETURN(auto envs, txn.Scan(paths::Env(""), after, 256));
    for (const storage::Entry& e : envs) {
      SVAULT_ASSIGN_OR_RETURN(EnvRecord env, DecodeEnv(e.value));
      SVAULT_ASSIGN_OR_RETURN(auto keys, txn.Scan(paths::DataKeyPrefix(env.uid), "", 1000));
      for (const storage::Entry& k : keys) {
        SVAULT_ASSIGN_OR_RETURN(DataKeyRecord record, DecodeDataKey(k.value));
        SVAULT_ASSIGN_OR_RETURN(uint32_t generation, paths::GenerationOf(k.path));
        const std::string ad = DataKeyAd(env.uid, generation);
        const crypto::GuardedKey* old_kek = keyring.term_key(record.term);
        if (old_kek == nullptr) return IntegrityError("data key is wrapped under an unknown term");
        SVAULT_ASSIGN_OR_RETURN(crypto::GuardedKey dek,
                                crypto::UnwrapKey(*old_kek, record.wrapped, ad));
        record.term = term;
        record.wrapped = crypto::WrapKey(kek, dek, ad);
        SVAULT_RETURN_IF_ERROR(txn.Put(k.path, EncodeDataKey(record)));
      }
    }
    if (envs.size() < 256) break;
    after = envs.back().path;
  }
  return Status::Ok();
}

// ---- Rekey ------------------------------------------------------------------------------------

namespace {

RekeyStatus Describe(const std::string& nonce, uint32_t progress, uint32_t required,
                     uint32_t shares, uint32_t threshold) {
  RekeyStatus s;
  s.started = true;
  s.nonce = nonce;
  s.progress = progress;
  s.required = required;
  s.new_shares = shares;
  s.new_threshold = threshold;
  return s;
}

}  // namespace

RekeyStatus Vault::RekeyState(uint32_t required) const {
  RekeyStatus s = Describe(rekey_->nonce, static_cast<uint32_t>(rekey_->quorum.shares.size()),
                           required, rekey_->shares, rekey_->threshold);
  s.verifying = rekey_->new_key.has_value();
  s.verify_progress = static_cast<uint32_t>(rekey_->verify.shares.size());
  return s;
}

Result<RekeyStatus> Vault::StartRekey(uint32_t shares, uint32_t threshold) {
  std::lock_guard lock(lifecycle_mu_);
  if (IsSealed()) return SealedError();
  SVAULT_ASSIGN_OR_RETURN(SealConfig config, LoadSealConfig());
  if (config.type != "shamir") {
    return Invalid("/shares", "this vault unseals from a key file; rekey changes key shares");
  }
  if (rekey_) return Conflict("a rekey is already in progress; cancel it first");
  SVAULT_RETURN_IF_ERROR(CheckSplit(shares, threshold));
  rekey_ = std::make_unique<Rekey>();
  rekey_->nonce = HexEncode(RandomBytes(16));
  rekey_->shares = shares;
  rekey_->threshold = threshold;
  return RekeyState(config.threshold);
}

Result<RekeyStatus> Vault::GetRekeyStatus() {
  std::lock_guard lock(lifecycle_mu_);
  if (IsSealed()) return SealedError();
  if (!rekey_) return RekeyStatus{};
  SVAULT_ASSIGN_OR_RETURN(SealConfig config, LoadSealConfig());
  return RekeyState(config.threshold);
}

Status Vault::CancelRekey() {
  std::lock_guard lock(lifecycle_mu_);
  if (IsSealed()) return SealedError();
  if (!rekey_) return NotFound("no rekey is in progress");
  rekey_.reset();
  return Status::Ok();
}

Status Vault::FindRekey(std::string_view nonce) {
  if (IsSealed()) return SealedError();
  if (!rekey_ || rekey_->nonce != nonce) return NotFound("no rekey with this nonce is in progress");
  return Status::Ok();
}

Result<RekeyStatus> Vault::UpdateRekey(std::string_view nonce, std::string_view share_text) {
  std::lock_guard lock(lifecycle_mu_);
  SVAULT_RETURN_IF_ERROR(FindRekey(nonce));
  if (rekey_->new_key) return Conflict("the new shares exist: enter them back to verify");
  SVAULT_ASSIGN_OR_RETURN(SealConfig config, LoadSealConfig());
  SVAULT_RETURN_IF_ERROR(AddShare(rekey_->quorum, config, share_text).status());
  if (rekey_->quorum.shares.size() < config.threshold) return RekeyState(config.threshold);

  // Quorum: the shares must open the stored root key before anything is made.
  Result<crypto::GuardedKey> old_key = Combine(rekey_->quorum.shares);
  rekey_->quorum.shares.clear();
  SVAULT_RETURN_IF_ERROR(old_key.status());
  SVAULT_ASSIGN_OR_RETURN(auto txn, store_.Begin(storage::TxnMode::kRead));
  SVAULT_ASSIGN_OR_RETURN(auto wrapped_root, txn->Get("sys/root"));
  if (!wrapped_root) return IntegrityError("the wrapped root key is gone");
  Status opened = crypto::UnwrapKey(*old_key, *wrapped_root, kRootKeyAd).status();
  if (opened.code() == Code::kIntegrityError) return CombinationFailed();
  SVAULT_RETURN_IF_ERROR(opened);

  // The new unseal key and its shares; they take effect only once entered back.
  SVAULT_ASSIGN_OR_RETURN(crypto::GuardedKey new_key, crypto::GuardedKey::Random());
  SealConfig next = config;
  next.set = config.set + 1;
  next.shares = rekey_->shares;
  next.threshold = rekey_->threshold;
  SVAULT_ASSIGN_OR_RETURN(
      std::vector<SecretBytes> shares,
      crypto::SplitKey(new_key, {next.vault_id, next.set}, next.shares, next.threshold));
  SVAULT_ASSIGN_OR_RETURN(next.share_digests, DigestsOf(shares));
  rekey_->new_key.emplace(std::move(new_key));
  rekey_->next = next;
  RekeyStatus made = RekeyState(config.threshold);
  made.progress = config.threshold;
  made.shares = std::move(shares);
  return made;
}

Result<RekeyStatus> Vault::VerifyRekey(std::string_view nonce, std::string_view share_text) {
  std::lock_guard lock(lifecycle_mu_);
  SVAULT_RETURN_IF_ERROR(FindRekey(nonce));
  if (!rekey_->new_key) return Conflict("no new shares yet: enter a quorum of the current ones");
  SVAULT_ASSIGN_OR_RETURN(SealConfig config, LoadSealConfig());
  SVAULT_RETURN_IF_ERROR(AddShare(rekey_->verify, rekey_->next, share_text).status());
  if (rekey_->verify.shares.size() < rekey_->next.threshold) return RekeyState(config.threshold);

  Result<crypto::GuardedKey> rebuilt = Combine(rekey_->verify.shares);
  rekey_->verify.shares.clear();
  SVAULT_RETURN_IF_ERROR(rebuilt.status());
  if (sodium_memcmp(rebuilt->data(), rekey_->new_key->data(), crypto::kKeyBytes) != 0) {
    return CombinationFailed();
  }
  SVAULT_RETURN_IF_ERROR(CommitRekey());
  RekeyStatus done;
  done.complete = true;
  rekey_.reset();
  return done;
}

// A new root key, wrapped under the new unseal key, re-seals the keyring: the retired shares
// open neither, not even together with a backup from before the rekey (DESIGN.md §5).
Status Vault::CommitRekey() {
  std::unique_lock seal_lock(seal_mu_);
  if (!unsealed_) return SealedError();
  SVAULT_ASSIGN_OR_RETURN(crypto::GuardedKey new_root, crypto::GuardedKey::Random());
  SVAULT_ASSIGN_OR_RETURN(auto txn, store_.Begin(storage::TxnMode::kWrite));
  SVAULT_RETURN_IF_ERROR(
      txn->Put("sys/root", crypto::WrapKey(*rekey_->new_key, new_root, kRootKeyAd)));
  SVAULT_RETURN_IF_ERROR(txn->Put("sys/keyring", unsealed_->keyring.Seal(new_root)));
  SVAULT_RETURN_IF_ERROR(txn->Put("sys/seal", EncodeSealConfig(rekey_->next)));
  SVAULT_RETURN_IF_ERROR(txn->Commit());
  unsealed_->root_key = std::move(new_root);
  return Status::Ok();
}

}  // namespace svault::vault
