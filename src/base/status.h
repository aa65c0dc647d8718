// Errors as values. Shard-local operations return OpStatus or Result<T>; the protocol layer maps
// statuses to wire errors in one place (kv/server/errors.h). No exceptions on the hot path.
#pragma once

#include <cassert>
#include <utility>
#include <variant>

namespace strata {

enum class OpStatus : unsigned char {
  kOk,
  kKeyNotFound,
  kWrongType,
  kNotAnInteger,
  kNotAFloat,
  kOutOfRange,
  kOverflow,
  kSyntaxError,
  kSkipped,  // NX/XX-style condition not met
  kOutOfMemory,
  kInvalidExpire,
  kBusyKey,
  kNanOrInfinity,
  kMaxLenExceeded,
  kInvalidArgument,
};

// A value or an error status. (GCC 12 has no std::expected in C++20.)
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(runtime/explicit)
  Result(OpStatus status) : v_(status) { assert(status != OpStatus::kOk); }  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  OpStatus status() const { return ok() ? OpStatus::kOk : std::get<1>(v_); }

  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, OpStatus> v_;
};

}  // namespace strata
