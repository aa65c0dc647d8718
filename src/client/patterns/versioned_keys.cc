#include "strata/versioned_keys.h"

namespace strata {

KeyNamespace::KeyNamespace(Client& client, std::string name, std::chrono::milliseconds refresh)
    : client_(client),
      name_(std::move(name)),
      version_key_(name_ + ":version"),
      refresh_(refresh) {}

int64_t KeyNamespace::Version() {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (version_ >= 0 && refresh_.count() > 0 && now - read_at_ < refresh_) return version_;
  }
  auto v = client_.Get(version_key_);
  int64_t n = v ? std::stoll(*v) : 0;
  std::lock_guard<std::mutex> lock(mu_);
  version_ = n;
  read_at_ = now;
  return n;
}

std::string KeyNamespace::Key(std::string_view key) {
  std::string out = name_;
  out += ":v";
  out += std::to_string(Version());
  out += ':';
  out += key;
  return out;
}

int64_t KeyNamespace::Invalidate() {
  int64_t n = client_.Incr(version_key_);
  std::lock_guard<std::mutex> lock(mu_);
  version_ = n;
  read_at_ = std::chrono::steady_clock::now();
  return n;
}

}  // namespace strata
