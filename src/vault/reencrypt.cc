// Data-key generations (DESIGN.md §5): a rotation starts a new generation for new writes; older
// versions are re-encrypted in the background, and a generation no version uses any more is
// destroyed. Every step is one transaction, so a crash anywhere leaves every version readable
// under a generation whose key still exists.
#include <chrono>

#include "vault/vault.h"
#include "vault/vault_internal.h"

namespace svault::vault {
namespace {

// Generations of one environment alive at once (current and older ones being re-encrypted).
constexpr size_t kMaxLiveGenerations = 16;

// Splits a version path "e/<uid>/v/<key>#<version>" into key and version.
Result<std::pair<std::string, uint64_t>> KeyAndVersion(std::string_view prefix,
                                                       std::string_view path) {
  const std::string_view rest = path.substr(prefix.size());
  const size_t hash = rest.rfind('#');
  if (hash == std::string_view::npos) return IntegrityError("stored version path is malformed");
  try {
    return std::make_pair(std::string(rest.substr(0, hash)),
                          static_cast<uint64_t>(std::stoull(std::string(rest.substr(hash + 1)))));
  } catch (const std::exception&) {
    return IntegrityError("stored version path is malformed");
  }
}

}  // namespace

Result<ReencryptionStatus> Vault::RotateDataKey(std::string_view env_id) {
  {
    std::shared_lock lock(seal_mu_);
    if (!unsealed_) return SealedError();
    SVAULT_ASSIGN_OR_RETURN(auto txn, store_.Begin(storage::TxnMode::kWrite));
    SVAULT_ASSIGN_OR_RETURN(EnvRecord env, RequireEnv(*txn, env_id));
    SVAULT_ASSIGN_OR_RETURN(auto live, txn->Scan(paths::DataKeyPrefix(env.uid), "", 1000));
    if (live.size() >= kMaxLiveGenerations) {
      return Conflict("older data-key generations are still being re-encrypted; wait for them");
    }
    env.generation += 1;
    SVAULT_RETURN_IF_ERROR(StoreNewDataKey(*txn, env));
    SVAULT_RETURN_IF_ERROR(txn->Put(paths::Env(env.id), EncodeEnv(env)));
    SVAULT_RETURN_IF_ERROR(txn->Commit());
  }
  KickBackgroundWork();
  return GetReencryption(env_id);
}

Result<ReencryptionStatus> Vault::GetReencryption(std::string_view env_id) {
  std::shared_lock lock(seal_mu_);
  if (!unsealed_) return SealedError();
  SVAULT_ASSIGN_OR_RETURN(auto txn, store_.Begin(storage::TxnMode::kRead));
  SVAULT_ASSIGN_OR_RETURN(EnvRecord env, RequireEnv(*txn, env_id));
  ReencryptionStatus status;
  status.environment = env.id;
  status.generation = env.generation;
  SVAULT_ASSIGN_OR_RETURN(auto keys, txn->Scan(paths::DataKeyPrefix(env.uid), "", 1000));
  for (const storage::Entry& k : keys) {
    SVAULT_ASSIGN_OR_RETURN(uint32_t generation, paths::GenerationOf(k.path));
    if (generation != env.generation) status.old_generations.push_back(generation);
  }
  const std::string prefix = paths::VersionsOf(env.uid);
  std::string after;
  while (true) {
    SVAULT_ASSIGN_OR_RETURN(auto rows, txn->Scan(prefix, after, 1000));
    for (const storage::Entry& row : rows) {
      SVAULT_ASSIGN_OR_RETURN(VersionRecord record, DecodeVersion(row.value));
      SVAULT_ASSIGN_OR_RETURN(uint32_t generation, BlobGeneration(record.blob));
      ++status.versions_total;
      if (generation != env.generation) ++status.versions_pending;
    }
    if (rows.size() < 1000) break;
    after = rows.back().path;
  }
  return status;
}

// The first environment (by id) that still has an older data-key generation, found in a read
// transaction so the search never holds the store's write lock.
Result<std::optional<std::string>> Vault::NextEnvironmentToReencrypt() {
  SVAULT_ASSIGN_OR_RETURN(auto txn, store_.Begin(storage::TxnMode::kRead));
  std::string after;
  while (true) {
    SVAULT_ASSIGN_OR_RETURN(auto envs, txn->Scan(paths::Env(""), after, 256));
    for (const storage::Entry& e : envs) {
      SVAULT_ASSIGN_OR_RETURN(EnvRecord env, DecodeEnv(e.value));
      SVAULT_ASSIGN_OR_RETURN(auto keys, txn->Scan(paths::DataKeyPrefix(env.uid), "", 2));
      if (keys.size() > 1) return std::optional<std::string>(env.id);
    }
    if (envs.size() < 256) return std::optional<std::string>();
    after = envs.back().path;
  }
}

Result<bool> Vault::ReencryptBatch(size_t max_versions) {
  std::shared_lock lock(seal_mu_);
  if (!unsealed_) return SealedError();
  SVAULT_ASSIGN_OR_RETURN(std::optional<std::string> env_id, NextEnvironmentToReencrypt());
  if (!env_id) return false;

  // One environment per transaction, at most `max_versions` versions.
  SVAULT_ASSIGN_OR_RETURN(auto txn, store_.Begin(storage::TxnMode::kWrite));
  SVAULT_ASSIGN_OR_RETURN(std::optional<EnvRecord> env, LoadEnv(*txn, *env_id));
  if (!env) return true;  // deleted meanwhile: look again
  SVAULT_ASSIGN_OR_RETURN(auto keys, txn->Scan(paths::DataKeyPrefix(env->uid), "", 1000));
  SVAULT_ASSIGN_OR_RETURN(size_t moved, ReencryptEnvironment(*txn, *env, max_versions));
  std::vector<uint32_t> destroyed;
  if (moved < max_versions) {
    // No version of this environment is under an older generation: destroy those keys.
    for (const storage::Entry& k : keys) {
      SVAULT_ASSIGN_OR_RETURN(uint32_t generation, paths::GenerationOf(k.path));
      if (generation == env->generation) continue;
      SVAULT_RETURN_IF_ERROR(txn->Delete(k.path));
      destroyed.push_back(generation);
    }
  }
  SVAULT_RETURN_IF_ERROR(txn->Commit());
  for (uint32_t generation : destroyed) ForgetDataKey(env->uid, generation);
  return true;
}

// Re-encrypts up to `limit` versions of `env` held under an older generation; answers how many.
// When it answers fewer than `limit`, none remains.
Result<size_t> Vault::ReencryptEnvironment(storage::Transaction& txn, const EnvRecord& env,
                                           size_t limit) {
  const std::string prefix = paths::VersionsOf(env.uid);
  size_t moved = 0;
  std::string after;
  while (moved < limit) {
    SVAULT_ASSIGN_OR_RETURN(auto rows, txn.Scan(prefix, after, 256));
    for (const storage::Entry& row : rows) {
      SVAULT_ASSIGN_OR_RETURN(VersionRecord record, DecodeVersion(row.value));
      SVAULT_ASSIGN_OR_RETURN(uint32_t generation, BlobGeneration(record.blob));
      if (generation == env.generation) continue;
      SVAULT_ASSIGN_OR_RETURN(auto key_version, KeyAndVersion(prefix, row.path));
      const auto& [key, version] = key_version;
      SVAULT_ASSIGN_OR_RETURN(SecretBytes value, DecryptValue(txn, env, key, version, record.blob));
      SVAULT_ASSIGN_OR_RETURN(record.blob, EncryptValue(txn, env, key, version, value));
      SVAULT_RETURN_IF_ERROR(txn.Put(row.path, EncodeVersion(record)));
      if (++moved == limit) return moved;
    }
    if (rows.size() < 256) break;
    after = rows.back().path;
  }
  return moved;
}

// ---- Background worker ------------------------------------------------------------------------

void Vault::StartBackgroundWork(BackgroundOptions options) {
  std::lock_guard lock(work_mu_);
  if (worker_.joinable()) return;
  work_options_ = options;
  work_pending_ = true;  // a re-encryption cut short by a crash resumes at start
  worker_ = std::thread([this] { BackgroundLoop(); });
}

void Vault::StopBackgroundWork() {
  {
    std::lock_guard lock(work_mu_);
    work_stop_ = true;
  }
  work_cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void Vault::KickBackgroundWork() {
  {
    std::lock_guard lock(work_mu_);
    work_pending_ = true;
  }
  work_cv_.notify_all();
}

void Vault::BackgroundLoop() {
  std::unique_lock lock(work_mu_);
  while (!work_stop_) {
    work_cv_.wait(lock, [this] { return work_stop_ || work_pending_; });
    if (work_stop_) break;
    work_pending_ = false;
    lock.unlock();
    // Batches until no work remains; sealed or failing, it waits for the next kick.
    bool more = true;
    while (more) {
      Result<bool> step = ReencryptBatch(work_options_.batch_versions);
      more = step.ok() && *step;
      std::unique_lock pause(work_mu_);
      if (work_cv_.wait_for(pause, std::chrono::milliseconds(work_options_.pause_ms),
                            [this] { return work_stop_; })) {
        return;
      }
    }
    lock.lock();
  }
}

}  // namespace svault::vault
