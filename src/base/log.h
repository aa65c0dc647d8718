// Minimal leveled logger: one line per message, to stderr or a log file, safe from any thread.
#pragma once

#include <cstdarg>
#include <string>
#include <string_view>

namespace strata {

enum class LogLevel { kDebug = 0, kVerbose = 1, kNotice = 2, kWarning = 3 };

// Parses Redis's level names (debug, verbose, notice, warning). Returns false if unknown.
bool ParseLogLevel(std::string_view name, LogLevel* out);
const char* LogLevelName(LogLevel level);

void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
// Empty path means stderr. Returns false if the file cannot be opened.
bool SetLogFile(const std::string& path);

void Log(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

}  // namespace strata

#define LOG_DEBUG(...)                                         \
  do {                                                         \
    if (::strata::GetLogLevel() <= ::strata::LogLevel::kDebug) \
      ::strata::Log(::strata::LogLevel::kDebug, __VA_ARGS__);  \
  } while (0)
#define LOG_VERBOSE(...) ::strata::Log(::strata::LogLevel::kVerbose, __VA_ARGS__)
#define LOG_NOTICE(...) ::strata::Log(::strata::LogLevel::kNotice, __VA_ARGS__)
#define LOG_WARNING(...) ::strata::Log(::strata::LogLevel::kWarning, __VA_ARGS__)
