#include "vault/vault.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/encoding.h"
#include "crypto/aead.h"
#include "vault/vault_internal.h"

namespace svault::vault {
namespace {

constexpr char kValueFormat = 1;
constexpr size_t kBlobHeader = 5;  // format byte, generation (u32, big-endian)

// Binds format, environment identity, key, version and generation: a ciphertext copied to any
// other row fails authentication.
std::string ValueAd(std::string_view uid, std::string_view key, uint64_t version,
                    uint32_t generation) {
  std::string ad = fmt::format("svault/value/v{}", static_cast<int>(kValueFormat));
  for (const std::string& part :
       {std::string(uid), std::string(key), std::to_string(version), std::to_string(generation)}) {
    ad.push_back('\0');
    ad += part;
  }
  return ad;
}

}  // namespace

Result<uint32_t> BlobGeneration(std::string_view blob) {
  if (blob.size() < kBlobHeader || blob[0] != kValueFormat) {
    return IntegrityError("stored value has an unknown format");
  }
  uint32_t generation = 0;
  for (int i = 0; i < 4; ++i) generation = (generation << 8) | static_cast<uint8_t>(blob[1 + i]);
  return generation;
}

std::string DataKeyAd(std::string_view uid, uint32_t generation) {
  return fmt::format("svault/dek/v1|{}|{}", uid, generation);
}

Vault::Vault(storage::Store& store, const Clock& clock, VaultOptions options)
    : store_(store), clock_(clock), options_(std::move(options)) {}

Vault::~Vault() { StopBackgroundWork(); }

Result<std::optional<EnvRecord>> Vault::LoadEnv(storage::Transaction& txn, std::string_view id) {
  SVAULT_ASSIGN_OR_RETURN(auto text, txn.Get(paths::Env(id)));
  if (!text) return std::optional<EnvRecord>();
  SVAULT_ASSIGN_OR_RETURN(EnvRecord env, DecodeEnv(*text));
  return std::optional<EnvRecord>(std::move(env));
}

Result<EnvRecord> Vault::RequireEnv(storage::Transaction& txn, std::string_view id) {
  SVAULT_ASSIGN_OR_RETURN(auto env, LoadEnv(txn, id));
  if (!env) return NoSuchEnvironment();
  return std::move(*env);
}

Status Vault::StoreNewDataKey(storage::Transaction& txn, const EnvRecord& env) {
  // Wrap a fresh data key under the keyring's current term.
  const crypto::Keyring& keyring = unsealed_->keyring;
  SVAULT_ASSIGN_OR_RETURN(crypto::GuardedKey dek, crypto::GuardedKey::Random());
  DataKeyRecord record;
  record.term = keyring.current_term();
  record.wrapped =
      crypto::WrapKey(*keyring.term_key(record.term), dek, DataKeyAd(env.uid, env.generation));
  return txn.Put(paths::DataKey(env.uid, env.generation), EncodeDataKey(record));
}

Result<std::shared_ptr<const crypto::GuardedKey>> Vault::DataKey(storage::Transaction& txn,
                                                                 const EnvRecord& env,
                                                                 uint32_t generation) {
  std::lock_guard lock(unsealed_->dek_mu);
  auto& cache = unsealed_->deks;
  const uint64_t now = ++unsealed_->dek_clock;
  auto it = cache.find({env.uid, generation});
  if (it != cache.end()) {
    it->second.last_used = now;
    return it->second.key;
  }

  // Not cached: unwrap it under the keyring term that wrapped it.
  const std::string path = paths::DataKey(env.uid, generation);
  SVAULT_ASSIGN_OR_RETURN(auto text, txn.Get(path));
  if (!text) return IntegrityError("data key of this generation is gone");
  SVAULT_ASSIGN_OR_RETURN(DataKeyRecord record, DecodeDataKey(*text));
  const crypto::Keyring& keyring = unsealed_->keyring;
  if (keyring.term_key(record.term) == nullptr && record.term < keyring.current_term()) {
    // A reader whose snapshot predates a rotation that has committed since: the record now
    // holds the same key rewrapped, unless the environment was deleted meanwhile.
    SVAULT_ASSIGN_OR_RETURN(auto now, store_.Begin(storage::TxnMode::kRead));
    SVAULT_ASSIGN_OR_RETURN(text, now->Get(path));
    if (!text) return NoSuchEnvironment();
    SVAULT_ASSIGN_OR_RETURN(record, DecodeDataKey(*text));
  }
  const crypto::GuardedKey* kek = keyring.term_key(record.term);
  if (kek == nullptr) return IntegrityError("data key is wrapped under an unknown term");
  SVAULT_ASSIGN_OR_RETURN(crypto::GuardedKey dek,
                          crypto::UnwrapKey(*kek, record.wrapped, DataKeyAd(env.uid, generation)));
  auto shared = std::make_shared<const crypto::GuardedKey>(std::move(dek));
  if (cache.size() >= kMaxCachedDataKeys) {
    auto oldest = std::min_element(cache.begin(), cache.end(), [](const auto& a, const auto& b) {
      return a.second.last_used < b.second.last_used;
    });
    cache.erase(oldest);  // a request still using it keeps it alive until it is done
  }
  cache.emplace(std::make_pair(env.uid, generation), Unsealed::CachedKey{shared, now});
  return shared;
}

void Vault::ForgetDataKeysLocked(std::string_view uid) {
  auto& cache = unsealed_->deks;
  for (auto it = cache.begin(); it != cache.end();) {
    it = it->first.first == uid ? cache.erase(it) : std::next(it);
  }
}

size_t Vault::CachedDataKeyCount() {
  std::shared_lock lock(seal_mu_);
  if (!unsealed_) return 0;
  std::lock_guard cache_lock(unsealed_->dek_mu);
  return unsealed_->deks.size();
}

void Vault::ForgetDataKey(std::string_view uid, uint32_t generation) {
  std::lock_guard lock(unsealed_->dek_mu);
  unsealed_->deks.erase(std::make_pair(std::string(uid), generation));
}

Result<std::string> Vault::EncryptValue(storage::Transaction& txn, const EnvRecord& env,
                                        std::string_view key, uint64_t version,
                                        const SecretBytes& value) {
  SVAULT_ASSIGN_OR_RETURN(auto dek, DataKey(txn, env, env.generation));
  std::string blob(kBlobHeader, '\0');
  blob[0] = kValueFormat;
  for (int i = 0; i < 4; ++i) blob[1 + i] = static_cast<char>(env.generation >> (24 - 8 * i));
  blob += crypto::AeadSeal(*dek, value.Reveal(), ValueAd(env.uid, key, version, env.generation));
  return blob;
}

Result<SecretBytes> Vault::DecryptValue(storage::Transaction& txn, const EnvRecord& env,
                                        std::string_view key, uint64_t version,
                                        std::string_view blob) {
  SVAULT_ASSIGN_OR_RETURN(uint32_t generation, BlobGeneration(blob));
  SVAULT_ASSIGN_OR_RETURN(auto dek, DataKey(txn, env, generation));
  return crypto::AeadOpen(*dek, blob.substr(kBlobHeader),
                          ValueAd(env.uid, key, version, generation));
}

}  // namespace svault::vault
