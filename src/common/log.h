// Structured operational logging: a lowercase message followed by key=value fields, e.g.
//   Log(LogLevel::kInfo, "vault unsealed", {{"env", id}, {"duration_ms", "3"}});
// Fields are for identifiers (request_id, token_id, env, key, status, error, duration_ms):
// never pass a value, a token or key material. SecretBytes has no conversion to string, so it
// cannot be passed by mistake.
#ifndef SVAULT_COMMON_LOG_H_
#define SVAULT_COMMON_LOG_H_

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace svault {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

using LogField = std::pair<std::string_view, std::string_view>;

void Log(LogLevel level, std::string_view message, std::initializer_list<LogField> fields = {});

// Sets the minimum level ("debug", "info", "warn", "error"); unknown names leave it unchanged
// and return false.
bool SetLogLevel(std::string_view level);

// Renders "message k=v k2=\"v with space\"" (exposed for tests).
std::string FormatLogLine(std::string_view message, std::initializer_list<LogField> fields);

}  // namespace svault

#endif  // SVAULT_COMMON_LOG_H_
