// State the vault holds only while unsealed, shared by the vault's .cc files. Not for use
// outside src/vault/.
#ifndef SVAULT_VAULT_VAULT_INTERNAL_H_
#define SVAULT_VAULT_VAULT_INTERNAL_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "crypto/guarded_key.h"
#include "crypto/keyring.h"
#include "vault/audit_log.h"
#include "vault/vault.h"

namespace svault::vault {

struct Vault::Unsealed {
  Unsealed(crypto::GuardedKey root, crypto::Keyring ring)
      : root_key(std::move(root)), keyring(std::move(ring)) {}

  crypto::GuardedKey root_key;
  crypto::Keyring keyring;
  std::unique_ptr<AuditLog> audit;  // opened with keyring's chain key, after the keyring

  std::mutex dek_mu;
  // (environment uid, generation) -> unwrapped data key; guarded by dek_mu.
  std::map<std::pair<std::string, uint32_t>, std::shared_ptr<const crypto::GuardedKey>> deks;
};

// The floor below which new versions in environment `env_id` are never numbered: the highest
// version of any key in deleted environments of that id (0 when none).
Result<uint64_t> LoadVersionFloor(storage::Transaction& txn, std::string_view env_id);

// Common failures.
inline Status SealedError() { return {Code::kSealed, "vault is sealed"}; }
inline Status NoSuchEnvironment() { return NotFound("no such environment"); }
inline Status NoSuchSecret() { return NotFound("no such secret"); }

}  // namespace svault::vault

#endif  // SVAULT_VAULT_VAULT_INTERNAL_H_
