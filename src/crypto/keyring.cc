#include "crypto/keyring.h"

#include "common/secret.h"
#include "crypto/aead.h"

namespace svault::crypto {
namespace {

// Plaintext layout (wiped after use):
//   "SVKR" | version=1 | current_term u32 | count u32 | count × (term u32 | key 32)
//   | token-hash key 32 | audit-chain key 32        (integers big-endian)
constexpr std::string_view kMagic = "SVKR";
constexpr char kFormatVersion = 1;
constexpr std::string_view kAssociatedData = "svault/keyring/v1";

void PutU32(SecretBytes& out, size_t at, uint32_t v) {
  char* p = out.MutableData() + at;
  p[0] = static_cast<char>(v >> 24);
  p[1] = static_cast<char>(v >> 16);
  p[2] = static_cast<char>(v >> 8);
  p[3] = static_cast<char>(v);
}

uint32_t GetU32(std::string_view in, size_t at) {
  const auto* p = reinterpret_cast<const unsigned char*>(in.data() + at);
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

void PutKey(SecretBytes& out, size_t at, const GuardedKey& key) {
  std::copy(key.data(), key.data() + kKeyBytes, out.MutableData() + at);
}

}  // namespace

Result<Keyring> Keyring::Create() {
  SVAULT_ASSIGN_OR_RETURN(GuardedKey token_hash_key, GuardedKey::Random());
  SVAULT_ASSIGN_OR_RETURN(GuardedKey audit_chain_key, GuardedKey::Random());
  Keyring keyring(std::move(token_hash_key), std::move(audit_chain_key));
  SVAULT_RETURN_IF_ERROR(keyring.AddTerm().status());
  return keyring;
}

const GuardedKey* Keyring::term_key(uint32_t term) const {
  auto it = terms_.find(term);
  return it == terms_.end() ? nullptr : &it->second;
}

Result<uint32_t> Keyring::AddTerm() {
  SVAULT_ASSIGN_OR_RETURN(GuardedKey key, GuardedKey::Random());
  const uint32_t term = current_term_ + 1;
  terms_.emplace(term, std::move(key));
  current_term_ = term;
  return term;
}

void Keyring::DropNewestTerm() {
  if (terms_.size() < 2) return;
  terms_.erase(std::prev(terms_.end()));
  current_term_ = terms_.rbegin()->first;
}

void Keyring::DropOlderTerms() {
  std::erase_if(terms_, [this](const auto& entry) { return entry.first != current_term_; });
}

std::vector<uint32_t> Keyring::terms() const {
  std::vector<uint32_t> out;
  for (const auto& [term, key] : terms_) out.push_back(term);
  return out;
}

std::string Keyring::Seal(const GuardedKey& root_key, bool current_only) const {
  const size_t count = current_only ? 1 : terms_.size();
  const size_t header = kMagic.size() + 1 + 8;
  SecretBytes plain(header + count * (4 + kKeyBytes) + 2 * kKeyBytes);
  std::copy(kMagic.begin(), kMagic.end(), plain.MutableData());
  plain.MutableData()[kMagic.size()] = kFormatVersion;
  PutU32(plain, kMagic.size() + 1, current_term_);
  PutU32(plain, kMagic.size() + 5, static_cast<uint32_t>(count));

  size_t at = header;
  for (const auto& [term, key] : terms_) {
    if (current_only && term != current_term_) continue;
    PutU32(plain, at, term);
    PutKey(plain, at + 4, key);
    at += 4 + kKeyBytes;
  }
  PutKey(plain, at, token_hash_key_);
  PutKey(plain, at + kKeyBytes, audit_chain_key_);
  return AeadSeal(root_key, plain.Reveal(), kAssociatedData);
}

Result<Keyring> Keyring::Open(const GuardedKey& root_key, std::string_view sealed) {
  SVAULT_ASSIGN_OR_RETURN(SecretBytes plain, AeadOpen(root_key, sealed, kAssociatedData));
  const std::string_view in = plain.Reveal();
  const size_t header = kMagic.size() + 1 + 8;
  if (in.size() < header || in.substr(0, kMagic.size()) != kMagic ||
      in[kMagic.size()] != kFormatVersion) {
    return IntegrityError("keyring has an unknown format");
  }
  const uint32_t current = GetU32(in, kMagic.size() + 1);
  const uint32_t count = GetU32(in, kMagic.size() + 5);
  if (in.size() != header + size_t{count} * (4 + kKeyBytes) + 2 * kKeyBytes) {
    return IntegrityError("keyring has the wrong length");
  }

  const size_t tail = header + size_t{count} * (4 + kKeyBytes);
  SVAULT_ASSIGN_OR_RETURN(GuardedKey token_hash_key,
                          GuardedKey::FromBytes(in.substr(tail, kKeyBytes)));
  SVAULT_ASSIGN_OR_RETURN(GuardedKey audit_chain_key,
                          GuardedKey::FromBytes(in.substr(tail + kKeyBytes, kKeyBytes)));
  Keyring keyring(std::move(token_hash_key), std::move(audit_chain_key));
  for (size_t i = 0, at = header; i < count; ++i, at += 4 + kKeyBytes) {
    SVAULT_ASSIGN_OR_RETURN(GuardedKey key, GuardedKey::FromBytes(in.substr(at + 4, kKeyBytes)));
    keyring.terms_.emplace(GetU32(in, at), std::move(key));
  }
  keyring.current_term_ = current;
  if (keyring.term_key(current) == nullptr) return IntegrityError("keyring lacks its term");
  return keyring;
}

}  // namespace svault::crypto
