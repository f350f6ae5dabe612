// The keyring (DESIGN.md §5): the key-encryption terms (current and older), the token-hash key
// and the audit-chain key, all random, wrapped as one blob under the root key. It lives only in
// guarded memory while the vault is unsealed.
#ifndef SVAULT_CRYPTO_KEYRING_H_
#define SVAULT_CRYPTO_KEYRING_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "crypto/guarded_key.h"

namespace svault::crypto {

class Keyring {
 public:
  // A new keyring with term 1 and fresh token-hash and audit-chain keys.
  static Result<Keyring> Create();
  // Decrypts and parses a blob made by Seal() under the same root key. kIntegrityError when
  // the root key is wrong or the blob was altered.
  static Result<Keyring> Open(const GuardedKey& root_key, std::string_view sealed);

  // Encrypts the keyring under `root_key`; with `current_only`, without the older terms (for a
  // rotation that rewraps everything under the current one).
  std::string Seal(const GuardedKey& root_key, bool current_only = false) const;

  uint32_t current_term() const { return current_term_; }
  // The key of `term`, or nullptr when the keyring has no such term.
  const GuardedKey* term_key(uint32_t term) const;
  const GuardedKey& token_hash_key() const { return token_hash_key_; }
  const GuardedKey& audit_chain_key() const { return audit_chain_key_; }

  // Adds a new random term and makes it current; returns its number.
  Result<uint32_t> AddTerm();
  // Undoes the last AddTerm() (a rotation whose transaction failed). Never drops the only term.
  void DropNewestTerm();
  // Drops every term but the current one (once nothing is wrapped under them), wiping them.
  void DropOlderTerms();
  // The term numbers held, oldest first.
  std::vector<uint32_t> terms() const;

  Keyring(Keyring&&) = default;
  Keyring& operator=(Keyring&&) = default;

 private:
  Keyring(GuardedKey token_hash_key, GuardedKey audit_chain_key)
      : token_hash_key_(std::move(token_hash_key)), audit_chain_key_(std::move(audit_chain_key)) {}

  uint32_t current_term_ = 0;
  std::map<uint32_t, GuardedKey> terms_;
  GuardedKey token_hash_key_;
  GuardedKey audit_chain_key_;
};

}  // namespace svault::crypto

#endif  // SVAULT_CRYPTO_KEYRING_H_
