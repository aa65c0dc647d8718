#include "edge/server/access_log.h"

namespace strata::edge {

bool AccessLog::Open(const std::string& target) {
  if (target.empty()) return true;
  if (target == "-") {
    file_ = stderr;
    return true;
  }
  file_ = fopen(target.c_str(), "a");
  owned_ = file_ != nullptr;
  if (file_) setvbuf(file_, nullptr, _IOLBF, 1 << 16);
  return file_ != nullptr;
}

AccessLog::~AccessLog() {
  if (owned_ && file_) fclose(file_);
}

void AccessLog::Write(const std::string& line) {
  if (!file_) return;
  fwrite(line.data(), 1, line.size(), file_);
}

}  // namespace strata::edge
