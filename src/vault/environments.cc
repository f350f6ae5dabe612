// Environments: the isolation unit (DESIGN.md §1, §2). Deleting one destroys its data keys.
#include "common/encoding.h"
#include "common/names.h"
#include "vault/vault.h"
#include "vault/vault_internal.h"

namespace svault::vault {

Result<EnvRecord> Vault::CreateEnvironment(const Principal& creator, std::string_view id,
                                           std::string_view description) {
  if (!IsValidEnvironmentId(id)) return Invalid("/id", "must be a DNS label");
  std::shared_lock lock(seal_mu_);
  if (!unsealed_) return SealedError();

  SVAULT_ASSIGN_OR_RETURN(auto txn, store_.Begin(storage::TxnMode::kWrite));
  SVAULT_ASSIGN_OR_RETURN(auto existing, LoadEnv(*txn, id));
  if (existing) return Conflict("environment id is taken");

  EnvRecord env;
  env.id = std::string(id);
  env.uid = RandomId("env_", 16);
  env.description = std::string(description);
  env.created_at_ms = clock_.NowMillis();
  env.created_by = creator.token_id;
  env.generation = 1;
  SVAULT_RETURN_IF_ERROR(StoreNewDataKey(*txn, env));
  SVAULT_RETURN_IF_ERROR(txn->Put(paths::Env(id), EncodeEnv(env)));
  SVAULT_RETURN_IF_ERROR(txn->Commit());
  return env;
}

Result<EnvRecord> Vault::GetEnvironment(std::string_view id) {
  SVAULT_ASSIGN_OR_RETURN(auto txn, store_.Begin(storage::TxnMode::kRead));
  return RequireEnv(*txn, id);
}

Result<Page<EnvRecord>> Vault::ListEnvironments(const Principal& principal, std::string_view cursor,
                                                size_t limit) {
  SVAULT_ASSIGN_OR_RETURN(auto txn, store_.Begin(storage::TxnMode::kRead));
  const std::string prefix = paths::Env("");
  std::string after = cursor.empty() ? "" : paths::Env(cursor);
  Page<EnvRecord> page;

  // Scan in batches, keeping only what the principal may list, until a page and one more.
  constexpr size_t kBatch = 256;
  bool more = false;
  while (!more) {
    SVAULT_ASSIGN_OR_RETURN(auto entries, txn->Scan(prefix, after, kBatch));
    for (const storage::Entry& e : entries) {
      SVAULT_ASSIGN_OR_RETURN(EnvRecord env, DecodeEnv(e.value));
      if (!Allows(principal, Capability::kList, env.id, env.uid)) continue;
      if (page.items.size() == limit) {
        more = true;
        break;
      }
      page.items.push_back(std::move(env));
    }
    if (entries.size() < kBatch) break;
    after = entries.back().path;
  }
  if (more) page.next_cursor = page.items.back().id;
  return page;
}

Result<uint64_t> LoadVersionFloor(storage::Transaction& txn, std::string_view env_id) {
  SVAULT_ASSIGN_OR_RETURN(auto text, txn.Get(paths::VersionFloor(env_id)));
  if (!text) return uint64_t{0};
  try {
    return static_cast<uint64_t>(std::stoull(*text));
  } catch (const std::exception&) {
    return IntegrityError("stored version floor is malformed");
  }
}

// The highest version number any key of `env` ever had, or of an earlier environment of its id.
Result<uint64_t> Vault::HighestVersionEver(storage::Transaction& txn, const EnvRecord& env) {
  SVAULT_ASSIGN_OR_RETURN(uint64_t highest, LoadVersionFloor(txn, env.id));
  const std::string prefix = paths::Highest(env.uid, "");
  std::string after;
  while (true) {
    SVAULT_ASSIGN_OR_RETURN(auto page, txn.Scan(prefix, after, 1000));
    for (const storage::Entry& e : page) {
      try {
        highest = std::max<uint64_t>(highest, std::stoull(e.value));
      } catch (const std::exception&) {
        return IntegrityError("stored version counter is malformed");
      }
    }
    if (page.size() < 1000) return highest;
    after = page.back().path;
  }
}

Status Vault::DeleteEnvironment(std::string_view id) {
  std::lock_guard lifecycle(lifecycle_mu_);
  // Shared: reads go on meanwhile; writers wait for this write transaction, as for any.
  std::shared_lock lock(seal_mu_);
  if (!unsealed_) return SealedError();
  SVAULT_ASSIGN_OR_RETURN(auto txn, store_.Begin(storage::TxnMode::kWrite));
  SVAULT_ASSIGN_OR_RETURN(EnvRecord env, RequireEnv(*txn, id));

  // A later environment of the same id numbers its versions above every number used here, so
  // a pinned reference (`{{secrets.K@3}}`) never silently means another credential.
  SVAULT_ASSIGN_OR_RETURN(uint64_t floor, HighestVersionEver(*txn, env));
  SVAULT_RETURN_IF_ERROR(txn->Put(paths::VersionFloor(id), std::to_string(floor)));

  // Secrets, versions and data keys go together; without the data keys no copy of the
  // ciphertexts (WAL, free pages, backups without these rows) decrypts again.
  SVAULT_RETURN_IF_ERROR(txn->DeletePrefix(paths::EnvData(env.uid)).status());
  SVAULT_RETURN_IF_ERROR(txn->Delete(paths::Env(id)));
  SVAULT_RETURN_IF_ERROR(RotateTerm(*txn, env.uid).status());  // commits
  return Status::Ok();
}

}  // namespace svault::vault
