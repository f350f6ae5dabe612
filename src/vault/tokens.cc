// Tokens: minting, authentication, scope checks and revocation (DESIGN.md §4).
#include <fmt/format.h>

#include "common/encoding.h"
#include "crypto/mac.h"
#include "vault/vault.h"
#include "vault/vault_internal.h"

namespace svault::vault {
namespace {

constexpr std::string_view kTokenPrefix = "svt_";
constexpr size_t kTokenRandomBytes = 32;  // 256 bits
constexpr size_t kTokenLength = kTokenPrefix.size() + 2 * kTokenRandomBytes;

bool LooksLikeToken(std::string_view token) {
  if (token.size() != kTokenLength || token.substr(0, kTokenPrefix.size()) != kTokenPrefix) {
    return false;
  }
  for (char c : token.substr(kTokenPrefix.size())) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool IsPermanentAdmin(const Principal& p) {
  return p.role == Role::kAdmin && !p.expires_at_ms.has_value();
}

}  // namespace

Result<SecretBytes> Vault::StoreToken(storage::Transaction& txn, const crypto::GuardedKey& hash_key,
                                      const Principal& principal) {
  std::string random = RandomBytes(kTokenRandomBytes);
  SecretBytes token(std::string(kTokenPrefix) + HexEncode(random));
  WipeString(random);

  // Only the keyed hash is stored; the lookup row points at the record by id.
  const std::string hash = crypto::TokenHash(hash_key, token.Reveal());
  SVAULT_RETURN_IF_ERROR(txn.Put(paths::TokenByHash(hash), principal.token_id));
  SVAULT_RETURN_IF_ERROR(
      txn.Put(paths::TokenById(principal.token_id), EncodeToken(principal, hash)));
  return token;
}

Result<Principal> Vault::Authenticate(std::string_view token) {
  if (!LooksLikeToken(token)) return Unauthenticated();
  std::shared_lock lock(seal_mu_);
  if (!unsealed_) return SealedError();

  // The lookup is by keyed hash, so timing reveals nothing about stored tokens.
  const std::string hash = crypto::TokenHash(unsealed_->keyring.token_hash_key(), token);
  SVAULT_ASSIGN_OR_RETURN(auto txn, store_.Begin(storage::TxnMode::kRead));
  SVAULT_ASSIGN_OR_RETURN(auto token_id, txn->Get(paths::TokenByHash(hash)));
  if (!token_id) return Unauthenticated();
  SVAULT_ASSIGN_OR_RETURN(auto record, txn->Get(paths::TokenById(*token_id)));
  if (!record) return Unauthenticated();
  std::string stored_hash;
  SVAULT_ASSIGN_OR_RETURN(Principal principal, DecodeToken(*record, &stored_hash));
  if (!crypto::ConstantTimeEquals(stored_hash, hash)) return Unauthenticated();
  if (principal.expires_at_ms && *principal.expires_at_ms <= clock_.NowMillis()) {
    return Unauthenticated();
  }
  return principal;
}

Status Vault::Authorize(const Principal& principal, Capability capability,
                        std::string_view env_id) {
  if (principal.role == Role::kAdmin) return Status::Ok();
  if (!RoleHas(principal.role, capability) ||
      !principal.environments.contains(std::string(env_id))) {
    return Forbidden();
  }
  std::shared_lock lock(seal_mu_);
  if (!unsealed_) return SealedError();
  SVAULT_ASSIGN_OR_RETURN(auto txn, store_.Begin(storage::TxnMode::kRead));
  SVAULT_ASSIGN_OR_RETURN(auto env, LoadEnv(*txn, env_id));
  std::optional<std::string> uid;
  if (env) uid = env->uid;
  return Allows(principal, capability, env_id, uid) ? Status::Ok() : Forbidden();
}

Result<NewToken> Vault::CreateToken(const Principal& creator, const TokenSpec& spec) {
  std::shared_lock lock(seal_mu_);
  if (!unsealed_) return SealedError();
  if (spec.role == Role::kAdmin && !spec.environments.empty()) {
    return Invalid("/environments", "admin tokens cover every environment; leave it out");
  }
  if (spec.role != Role::kAdmin && spec.environments.empty()) {
    return Invalid("/environments", "required for this role");
  }
  if (spec.role != Role::kRuntime && !spec.key_patterns.empty()) {
    return Invalid("/keys", "key patterns are for runtime tokens only");
  }
  if (spec.never_expires && spec.role != Role::kAdmin) {
    return Invalid("/ttl", "only admin tokens may never expire");
  }
  const int64_t ttl = spec.ttl_seconds.value_or(options_.default_ttl_seconds);
  if (ttl > options_.max_ttl_seconds) {
    return Invalid("/ttl", fmt::format("at most {}s", options_.max_ttl_seconds));
  }

  SVAULT_ASSIGN_OR_RETURN(auto txn, store_.Begin(storage::TxnMode::kWrite));
  NewToken out;
  Principal& p = out.metadata;
  for (size_t i = 0; i < spec.environments.size(); ++i) {
    SVAULT_ASSIGN_OR_RETURN(auto env, LoadEnv(*txn, spec.environments[i]));
    if (!env) return Invalid(fmt::format("/environments/{}", i), "no such environment");
    p.environments[env->id] = env->uid;
  }
  p.token_id = RandomId("tok_");
  p.role = spec.role;
  p.key_patterns = spec.key_patterns;
  p.description = spec.description;
  p.created_at_ms = clock_.NowMillis();
  if (!spec.never_expires) p.expires_at_ms = p.created_at_ms + ttl * 1000;
  p.created_by = creator.token_id;
  SVAULT_ASSIGN_OR_RETURN(out.token, StoreToken(*txn, unsealed_->keyring.token_hash_key(), p));
  SVAULT_RETURN_IF_ERROR(txn->Commit());
  return out;
}

Result<Page<Principal>> Vault::ListTokens(std::string_view cursor, size_t limit) {
  SVAULT_ASSIGN_OR_RETURN(auto txn, store_.Begin(storage::TxnMode::kRead));
  const std::string prefix = paths::TokenById("");
  const std::string after = cursor.empty() ? "" : paths::TokenById(cursor);
  SVAULT_ASSIGN_OR_RETURN(auto entries, txn->Scan(prefix, after, limit + 1));
  Page<Principal> page;
  for (size_t i = 0; i < entries.size() && i < limit; ++i) {
    SVAULT_ASSIGN_OR_RETURN(Principal p, DecodeToken(entries[i].value, nullptr));
    page.items.push_back(std::move(p));
  }
  if (entries.size() > limit) page.next_cursor = page.items.back().token_id;
  return page;
}

Status Vault::RevokeToken(std::string_view token_id) {
  SVAULT_ASSIGN_OR_RETURN(auto txn, store_.Begin(storage::TxnMode::kWrite));
  SVAULT_ASSIGN_OR_RETURN(auto record, txn->Get(paths::TokenById(token_id)));
  if (!record) return NotFound("no such token");
  std::string hash;
  SVAULT_ASSIGN_OR_RETURN(Principal target, DecodeToken(*record, &hash));

  if (IsPermanentAdmin(target)) {
    // Refuse to lock everyone out: an expiring admin would leave none once it expires, so
    // another admin token that never expires must remain.
    SVAULT_ASSIGN_OR_RETURN(auto all, txn->Scan(paths::TokenById(""), "", SIZE_MAX >> 1));
    size_t other_permanent = 0;
    for (const storage::Entry& e : all) {
      SVAULT_ASSIGN_OR_RETURN(Principal p, DecodeToken(e.value, nullptr));
      other_permanent += IsPermanentAdmin(p) && p.token_id != target.token_id ? 1 : 0;
    }
    if (other_permanent == 0) {
      return Conflict("refusing to revoke the last admin token that never expires");
    }
  }
  SVAULT_RETURN_IF_ERROR(txn->Delete(paths::TokenByHash(hash)));
  SVAULT_RETURN_IF_ERROR(txn->Delete(paths::TokenById(token_id)));
  return txn->Commit();
}

}  // namespace svault::vault
