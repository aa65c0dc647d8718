#include "base/log.h"

#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace strata {
namespace {

std::atomic<LogLevel> g_level{LogLevel::kNotice};
std::mutex g_mu;
FILE* g_file = nullptr;  // nullptr = stderr

}  // namespace

bool ParseLogLevel(std::string_view name, LogLevel* out) {
  if (name == "debug")
    *out = LogLevel::kDebug;
  else if (name == "verbose")
    *out = LogLevel::kVerbose;
  else if (name == "notice")
    *out = LogLevel::kNotice;
  else if (name == "warning")
    *out = LogLevel::kWarning;
  else
    return false;
  return true;
}

const char* LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kVerbose:
      return "verbose";
    case LogLevel::kNotice:
      return "notice";
    case LogLevel::kWarning:
      return "warning";
  }
  return "notice";
}

void SetLogLevel(LogLevel level) { g_level.store(level, std::memory_order_relaxed); }
LogLevel GetLogLevel() { return g_level.load(std::memory_order_relaxed); }

bool SetLogFile(const std::string& path) {
  std::lock_guard<std::mutex> lock(g_mu);
  if (path.empty()) {
    if (g_file) fclose(g_file);
    g_file = nullptr;
    return true;
  }
  FILE* f = fopen(path.c_str(), "a");
  if (!f) return false;
  if (g_file) fclose(g_file);
  g_file = f;
  return true;
}

void Log(LogLevel level, const char* fmt, ...) {
  if (level < GetLogLevel()) return;
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);

  timeval tv;
  gettimeofday(&tv, nullptr);
  tm tmv;
  localtime_r(&tv.tv_sec, &tmv);
  char ts[64];
  size_t n = strftime(ts, sizeof(ts), "%d %b %Y %H:%M:%S", &tmv);
  snprintf(ts + n, sizeof(ts) - n, ".%03d", int(tv.tv_usec / 1000));
  static const char kMark[] = {'.', '-', '*', '#'};

  std::lock_guard<std::mutex> lock(g_mu);
  FILE* out = g_file ? g_file : stderr;
  fprintf(out, "%d:S %s %c %s\n", int(getpid()), ts, kMark[int(level)], msg);
  fflush(out);
}

}  // namespace strata
