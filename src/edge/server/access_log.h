// Access log: one line per request, shared by all workers (stdio's per-FILE lock serialises
// whole lines). Format:
//   <time> <client> "<method> <target> HTTP/1.x" <status> <bytes> <HIT|MISS|PASS> <ms>
#pragma once

#include <cstdio>
#include <string>

namespace strata::edge {

class AccessLog {
 public:
  // "" = disabled, "-" = stderr, else append to the file. False if it cannot be opened.
  bool Open(const std::string& target);
  ~AccessLog();
  bool enabled() const { return file_ != nullptr; }
  void Write(const std::string& line);

 private:
  FILE* file_ = nullptr;
  bool owned_ = false;
};

}  // namespace strata::edge
