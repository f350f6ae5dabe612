// Secrets and their versions (DESIGN.md §2): writes with check-and-set, metadata, reveal.
#include <fmt/format.h>

#include "common/names.h"
#include "vault/vault.h"
#include "vault/vault_internal.h"

namespace svault::vault {
namespace {

Result<std::optional<SecretMeta>> LoadMeta(storage::Transaction& txn, std::string_view uid,
                                           std::string_view key) {
  SVAULT_ASSIGN_OR_RETURN(auto text, txn.Get(paths::Secret(uid, key)));
  if (!text) return std::optional<SecretMeta>();
  SVAULT_ASSIGN_OR_RETURN(SecretMeta meta, DecodeSecretMeta(*text));
  return std::optional<SecretMeta>(std::move(meta));
}

Result<uint64_t> LoadHighest(storage::Transaction& txn, std::string_view uid,
                             std::string_view key) {
  SVAULT_ASSIGN_OR_RETURN(auto text, txn.Get(paths::Highest(uid, key)));
  if (!text) return uint64_t{0};
  try {
    return static_cast<uint64_t>(std::stoull(*text));
  } catch (const std::exception&) {
    return IntegrityError("stored version counter is malformed");
  }
}

Status CheckCas(const std::optional<uint64_t>& cas, const std::optional<SecretMeta>& live) {
  if (!cas) return Status::Ok();
  const uint64_t current = live ? live->version : 0;
  if (*cas != current) {
    return Conflict(fmt::format("check-and-set expected version {}, current is {}", *cas, current));
  }
  return Status::Ok();
}

void ApplyMetadata(const SecretWrite& write, SecretMeta& meta) {
  if (write.description) meta.description = *write.description;
  if (write.type) meta.type = *write.type;
  if (write.tags) meta.tags = *write.tags;
}

}  // namespace

Result<SecretMeta> Vault::WriteSecret(const Principal& writer, std::string_view env_id,
                                      std::string_view key, SecretWrite write, bool* created) {
  if (!IsValidSecretKey(key)) return Invalid("/key", "not a valid key");
  if (write.value && write.value->size() > options_.max_value_bytes) {
    return TooLarge(fmt::format("value is over {} bytes", options_.max_value_bytes));
  }
  std::shared_lock lock(seal_mu_);
  if (!unsealed_) return SealedError();

  SVAULT_ASSIGN_OR_RETURN(auto txn, store_.Begin(storage::TxnMode::kWrite));
  SVAULT_ASSIGN_OR_RETURN(EnvRecord env, RequireEnv(*txn, env_id));
  SVAULT_ASSIGN_OR_RETURN(std::optional<SecretMeta> live, LoadMeta(*txn, env.uid, key));
  if (!write.value && !live) return NoSuchSecret();
  SVAULT_RETURN_IF_ERROR(CheckCas(write.cas, live));

  const int64_t now = clock_.NowMillis();
  SecretMeta meta;
  if (live) {
    meta = std::move(*live);
  } else {
    meta.key = std::string(key);
    meta.created_at_ms = now;
    meta.created_by = writer.token_id;
  }
  ApplyMetadata(write, meta);
  meta.updated_at_ms = now;
  meta.updated_by = writer.token_id;

  if (write.value) {
    // Numbers continue after the highest the key ever had, even across deletes (of the key, or
    // of an earlier environment of this id).
    SVAULT_ASSIGN_OR_RETURN(uint64_t highest, LoadHighest(*txn, env.uid, key));
    if (highest == 0) {
      SVAULT_ASSIGN_OR_RETURN(highest, LoadVersionFloor(*txn, env.id));
    }
    VersionRecord version;
    version.version = highest + 1;
    version.created_at_ms = now;
    version.created_by = writer.token_id;
    SVAULT_ASSIGN_OR_RETURN(version.blob,
                            EncryptValue(*txn, env, key, version.version, *write.value));
    SVAULT_RETURN_IF_ERROR(
        txn->Put(paths::Version(env.uid, key, version.version), EncodeVersion(version)));
    SVAULT_RETURN_IF_ERROR(txn->Put(paths::Highest(env.uid, key), std::to_string(version.version)));
    meta.version = version.version;
  }
  SVAULT_RETURN_IF_ERROR(txn->Put(paths::Secret(env.uid, key), EncodeSecretMeta(meta)));
  SVAULT_RETURN_IF_ERROR(txn->Commit());
  if (created != nullptr) *created = !live.has_value();
  return meta;
}

Result<SecretMeta> Vault::GetSecret(std::string_view env_id, std::string_view key) {
  SVAULT_ASSIGN_OR_RETURN(auto txn, store_.Begin(storage::TxnMode::kRead));
  SVAULT_ASSIGN_OR_RETURN(EnvRecord env, RequireEnv(*txn, env_id));
  SVAULT_ASSIGN_OR_RETURN(auto meta, LoadMeta(*txn, env.uid, key));
  if (!meta) return NoSuchSecret();
  return std::move(*meta);
}

Result<Page<SecretMeta>> Vault::ListSecrets(std::string_view env_id, std::string_view prefix,
                                            std::string_view cursor, size_t limit) {
  SVAULT_ASSIGN_OR_RETURN(auto txn, store_.Begin(storage::TxnMode::kRead));
  SVAULT_ASSIGN_OR_RETURN(EnvRecord env, RequireEnv(*txn, env_id));
  const std::string base = paths::SecretPrefix(env.uid);
  const std::string after = cursor.empty() ? "" : base + std::string(cursor);
  SVAULT_ASSIGN_OR_RETURN(auto entries, txn->Scan(base + std::string(prefix), after, limit + 1));

  Page<SecretMeta> page;
  for (size_t i = 0; i < entries.size() && i < limit; ++i) {
    SVAULT_ASSIGN_OR_RETURN(SecretMeta meta, DecodeSecretMeta(entries[i].value));
    page.items.push_back(std::move(meta));
  }
  if (entries.size() > limit) page.next_cursor = page.items.back().key;
  return page;
}

Status Vault::DeleteSecret(std::string_view env_id, std::string_view key) {
  SVAULT_ASSIGN_OR_RETURN(auto txn, store_.Begin(storage::TxnMode::kWrite));
  SVAULT_ASSIGN_OR_RETURN(EnvRecord env, RequireEnv(*txn, env_id));
  SVAULT_ASSIGN_OR_RETURN(auto meta, LoadMeta(*txn, env.uid, key));
  if (!meta) return NoSuchSecret();
  // The key with all its versions, in one transaction; the version counter stays.
  SVAULT_RETURN_IF_ERROR(txn->DeletePrefix(paths::VersionPrefix(env.uid, key)).status());
  SVAULT_RETURN_IF_ERROR(txn->Delete(paths::Secret(env.uid, key)));
  return txn->Commit();
}

Result<std::optional<SecretValue>> Vault::ReadValue(storage::Transaction& txn, const EnvRecord& env,
                                                    std::string_view key,
                                                    std::optional<uint64_t> version,
                                                    const SecretMeta* meta) {
  std::optional<SecretMeta> loaded;
  if (meta == nullptr) {
    SVAULT_ASSIGN_OR_RETURN(loaded, LoadMeta(txn, env.uid, key));
    if (!loaded) return std::optional<SecretValue>();
    meta = &*loaded;
  }
  const uint64_t wanted = version.value_or(meta->version);
  SVAULT_ASSIGN_OR_RETURN(auto text, txn.Get(paths::Version(env.uid, key, wanted)));
  if (!text) return std::optional<SecretValue>();
  SVAULT_ASSIGN_OR_RETURN(VersionRecord record, DecodeVersion(*text));
  if (record.version != wanted) return IntegrityError("stored version does not match its row");
  SVAULT_ASSIGN_OR_RETURN(SecretBytes value, DecryptValue(txn, env, key, wanted, record.blob));
  return std::optional<SecretValue>(SecretValue{wanted, std::move(value)});
}

Result<SecretValue> Vault::RevealSecret(std::string_view env_id, std::string_view key,
                                        std::optional<uint64_t> version) {
  std::shared_lock lock(seal_mu_);
  if (!unsealed_) return SealedError();
  SVAULT_ASSIGN_OR_RETURN(auto txn, store_.Begin(storage::TxnMode::kRead));
  SVAULT_ASSIGN_OR_RETURN(EnvRecord env, RequireEnv(*txn, env_id));
  SVAULT_ASSIGN_OR_RETURN(auto meta, LoadMeta(*txn, env.uid, key));
  if (!meta) return NoSuchSecret();
  SVAULT_ASSIGN_OR_RETURN(auto value, ReadValue(*txn, env, key, version, &*meta));
  if (!value) return NotFound("no such version");
  return std::move(*value);
}

Result<Vault::ReferenceCheck> Vault::CheckReferences(const Principal& principal,
                                                     std::string_view env_id,
                                                     std::span<const KeyRef> refs) {
  SVAULT_ASSIGN_OR_RETURN(auto txn, store_.Begin(storage::TxnMode::kRead));
  SVAULT_ASSIGN_OR_RETURN(EnvRecord env, RequireEnv(*txn, env_id));
  ReferenceCheck check;
  check.resolvable = Allows(principal, Capability::kResolve, env_id, env.uid);
  std::vector<bool>& exists = check.exists;
  exists.reserve(refs.size());
  for (const KeyRef& ref : refs) {
    if (!KeyAllowed(principal, ref.key)) {
      exists.push_back(false);
      continue;
    }
    SVAULT_ASSIGN_OR_RETURN(auto meta, LoadMeta(*txn, env.uid, ref.key));
    bool found = meta.has_value();
    if (found && ref.version && *ref.version != meta->version) {
      SVAULT_ASSIGN_OR_RETURN(auto row, txn->Get(paths::Version(env.uid, ref.key, *ref.version)));
      found = row.has_value();
    }
    exists.push_back(found);
  }
  return check;
}

Result<std::vector<std::optional<SecretValue>>> Vault::ResolveSecrets(
    const Principal& principal, std::string_view env_id, std::span<const KeyRef> refs) {
  std::shared_lock lock(seal_mu_);
  if (!unsealed_) return SealedError();
  SVAULT_ASSIGN_OR_RETURN(auto txn, store_.Begin(storage::TxnMode::kRead));
  SVAULT_ASSIGN_OR_RETURN(EnvRecord env, RequireEnv(*txn, env_id));
  std::vector<std::optional<SecretValue>> values;
  values.reserve(refs.size());
  for (const KeyRef& ref : refs) {
    if (!KeyAllowed(principal, ref.key)) {  // outside the token's patterns reads as missing
      values.emplace_back();
      continue;
    }
    SVAULT_ASSIGN_OR_RETURN(auto value, ReadValue(*txn, env, ref.key, ref.version));
    values.push_back(std::move(value));
  }
  return values;
}

Result<Page<VersionRecord>> Vault::ListVersions(std::string_view env_id, std::string_view key,
                                                std::string_view cursor, size_t limit) {
  SVAULT_ASSIGN_OR_RETURN(auto txn, store_.Begin(storage::TxnMode::kRead));
  SVAULT_ASSIGN_OR_RETURN(EnvRecord env, RequireEnv(*txn, env_id));
  SVAULT_ASSIGN_OR_RETURN(auto meta, LoadMeta(*txn, env.uid, key));
  if (!meta) return NoSuchSecret();

  const std::string base = paths::VersionPrefix(env.uid, key);
  std::string after;
  if (!cursor.empty()) {
    uint64_t n = 0;
    try {
      n = std::stoull(std::string(cursor));
    } catch (const std::exception&) {
      return Invalid("/cursor", "not a cursor this list gave");
    }
    after = paths::Version(env.uid, key, n);
  }
  SVAULT_ASSIGN_OR_RETURN(auto entries, txn->Scan(base, after, limit + 1));
  Page<VersionRecord> page;
  for (size_t i = 0; i < entries.size() && i < limit; ++i) {
    SVAULT_ASSIGN_OR_RETURN(VersionRecord v, DecodeVersion(entries[i].value));
    v.blob.clear();  // history is metadata only
    page.items.push_back(std::move(v));
  }
  if (entries.size() > limit) page.next_cursor = std::to_string(page.items.back().version);
  return page;
}

}  // namespace svault::vault
