// Cache keys and invalidation after unsafe requests (RFC 9111 §4.4).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace strata::edge::rfc9111 {

bool IsSafeMethod(std::string_view method);
// A non-error response (2xx/3xx) to an unsafe method invalidates the target URI.
bool InvalidatesOnSuccess(std::string_view method, int status);

// The primary cache key: ResolveTarget(host, target)->Key() (request_target.h), i.e. the
// normalised authority (an absolute-form target's own, else Host) + path and query. Empty on a
// target ResolveTarget refuses.
std::string PrimaryKey(std::string_view host, std::string_view target);

// Keys to invalidate: the request URI plus Location / Content-Location when they refer to the
// same host (relative references or absolute URIs with the same authority).
std::vector<std::string> InvalidationKeys(std::string_view host, std::string_view target,
                                          std::string_view location,
                                          std::string_view content_location);

}  // namespace strata::edge::rfc9111
