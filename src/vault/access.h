// Roles, capabilities and the access decision (DESIGN.md §4). Deny by default.
#ifndef SVAULT_VAULT_ACCESS_H_
#define SVAULT_VAULT_ACCESS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace svault::vault {

enum class Role { kAdmin, kSecurity, kDeveloper, kRuntime, kAuditor };
enum class Capability { kList, kReveal, kWrite, kDelete, kResolve, kManage, kAudit };

std::string_view RoleName(Role role);
std::optional<Role> ParseRole(std::string_view name);
std::string_view CapabilityName(Capability capability);

// Whether `role` carries `capability` at all (scope aside).
bool RoleHas(Role role, Capability capability);

// Who is calling: the stored token record, minus its hash.
struct Principal {
  std::string token_id;
  Role role = Role::kDeveloper;
  // Environment id -> the internal identity it had when the token was made. A token reaches an
  // environment only while the environment of that id still has that identity.
  std::map<std::string, std::string> environments;
  std::vector<std::string> key_patterns;  // runtime tokens only; empty = every key
  std::string description;
  int64_t created_at_ms = 0;
  std::optional<int64_t> expires_at_ms;  // nullopt = never (the root token)
  std::string created_by;
};

// Whether `principal` holds `capability` on the environment `env_id` whose current identity is
// `env_uid` (nullopt when no such environment exists). Admin holds everything everywhere; any
// other role needs the capability and a scope entry for env_id with the same identity, so a
// deleted-and-recreated environment is out of reach of its old tokens.
bool Allows(const Principal& principal, Capability capability, std::string_view env_id,
            const std::optional<std::string>& env_uid);

// Whether a key is within the principal's key patterns (always true without patterns).
bool KeyAllowed(const Principal& principal, std::string_view key);

}  // namespace svault::vault

#endif  // SVAULT_VAULT_ACCESS_H_
