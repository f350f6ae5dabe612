#include "vault/access.h"

#include "common/names.h"

namespace svault::vault {

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kAdmin: return "admin";
    case Role::kSecurity: return "security";
    case Role::kDeveloper: return "developer";
    case Role::kRuntime: return "runtime";
    case Role::kAuditor: return "auditor";
  }
  return "unknown";
}

std::optional<Role> ParseRole(std::string_view name) {
  for (Role role :
       {Role::kAdmin, Role::kSecurity, Role::kDeveloper, Role::kRuntime, Role::kAuditor}) {
    if (RoleName(role) == name) return role;
  }
  return std::nullopt;
}

std::string_view CapabilityName(Capability capability) {
  switch (capability) {
    case Capability::kList: return "list";
    case Capability::kReveal: return "reveal";
    case Capability::kWrite: return "write";
    case Capability::kDelete: return "delete";
    case Capability::kResolve: return "resolve";
    case Capability::kManage: return "manage";
    case Capability::kAudit: return "audit";
  }
  return "unknown";
}

bool RoleHas(Role role, Capability capability) {
  using C = Capability;
  switch (role) {
    case Role::kAdmin: return true;
    case Role::kSecurity:
      return capability == C::kList || capability == C::kReveal || capability == C::kWrite ||
             capability == C::kDelete || capability == C::kResolve;
    case Role::kDeveloper: return capability == C::kList;
    case Role::kRuntime: return capability == C::kResolve;
    case Role::kAuditor: return capability == C::kAudit || capability == C::kList;
  }
  return false;
}

bool Allows(const Principal& principal, Capability capability, std::string_view env_id,
            const std::optional<std::string>& env_uid) {
  if (principal.role == Role::kAdmin) return true;
  if (!RoleHas(principal.role, capability) || !env_uid.has_value()) return false;
  auto it = principal.environments.find(std::string(env_id));
  return it != principal.environments.end() && it->second == *env_uid;
}

bool KeyAllowed(const Principal& principal, std::string_view key) {
  if (principal.key_patterns.empty()) return true;
  for (const std::string& pattern : principal.key_patterns) {
    if (KeyPatternMatches(pattern, key)) return true;
  }
  return false;
}

}  // namespace svault::vault
