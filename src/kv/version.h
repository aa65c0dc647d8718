// Version strings reported by INFO and --version.
#pragma once

namespace strata::kv {

inline constexpr const char* kStrataVersion = "0.1.0";
// The Redis version whose command behaviour strata-server matches (INFO redis_version).
inline constexpr const char* kRedisCompatVersion = "7.0.15";

}  // namespace strata::kv
