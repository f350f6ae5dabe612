#include "common/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace svault {
namespace {

bool NeedsQuotes(std::string_view v) {
  if (v.empty()) return true;
  for (char c : v) {
    if (c == ' ' || c == '"' || c == '=' || static_cast<unsigned char>(c) < 0x20) return true;
  }
  return false;
}

void AppendQuoted(std::string& out, std::string_view v) {
  out += '"';
  for (char c : v) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += ' ';
    } else {
      out += c;
    }
  }
  out += '"';
}

spdlog::logger& Logger() {
  static std::shared_ptr<spdlog::logger> logger = [] {
    auto l = spdlog::stderr_logger_mt("svault");
    l->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
    l->set_level(spdlog::level::info);
    return l;
  }();
  return *logger;
}

}  // namespace

std::string FormatLogLine(std::string_view message, std::initializer_list<LogField> fields) {
  std::string out(message);
  for (const auto& [k, v] : fields) {
    out += ' ';
    out += k;
    out += '=';
    if (NeedsQuotes(v)) {
      AppendQuoted(out, v);
    } else {
      out += v;
    }
  }
  return out;
}

void Log(LogLevel level, std::string_view message, std::initializer_list<LogField> fields) {
  spdlog::level::level_enum l = spdlog::level::info;
  switch (level) {
    case LogLevel::kDebug: l = spdlog::level::debug; break;
    case LogLevel::kInfo: l = spdlog::level::info; break;
    case LogLevel::kWarn: l = spdlog::level::warn; break;
    case LogLevel::kError: l = spdlog::level::err; break;
  }
  spdlog::logger& logger = Logger();
  if (!logger.should_log(l)) return;
  logger.log(l, "{}", FormatLogLine(message, fields));
}

bool SetLogLevel(std::string_view level) {
  if (level == "debug") {
    Logger().set_level(spdlog::level::debug);
  } else if (level == "info") {
    Logger().set_level(spdlog::level::info);
  } else if (level == "warn") {
    Logger().set_level(spdlog::level::warn);
  } else if (level == "error") {
    Logger().set_level(spdlog::level::err);
  } else {
    return false;
  }
  return true;
}

}  // namespace svault
