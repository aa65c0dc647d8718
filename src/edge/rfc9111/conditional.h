// Conditional requests (RFC 9110 §13) answered from a stored response, and the revalidation
// side (RFC 9111 §4.3): validators to send, and how a 304 updates stored headers.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "proto/http1/message.h"

namespace strata::edge::rfc9111 {

// Entity-tag comparison (RFC 9110 §8.8.3.2).
bool WeakMatch(std::string_view a, std::string_view b);
bool StrongMatch(std::string_view a, std::string_view b);
// True when a list-valued If-Match / If-None-Match matches `etag` ("*" matches any).
bool EtagListMatches(std::string_view list, std::string_view etag, bool weak);

enum class Precondition : uint8_t { kNone, kNotModified, kFailed };

struct StoredValidators {
  std::optional<std::string_view> etag;
  std::optional<int64_t> last_modified_s;
  std::optional<int64_t> date_s;
};

// §13.2.2 evaluation order: If-Match, If-Unmodified-Since, If-None-Match (takes precedence
// over If-Modified-Since), If-Modified-Since (GET/HEAD only).
Precondition EvaluatePreconditions(std::string_view method, const http1::MessageHead& request,
                                   const StoredValidators& v);

// If-Range (§13.1.5): true when the range may be applied (no If-Range, or it matches strongly).
bool IfRangeMatches(const http1::MessageHead& request, const StoredValidators& v);

// Adds If-None-Match / If-Modified-Since for revalidating `stored`. Returns false when the
// stored response has no validator.
bool AddValidators(const http1::HeaderList& stored, http1::HeaderList* request_headers);

// §3.2: replaces stored fields with those of a 304, except Content-Length, hop-by-hop fields
// and framing fields.
void ApplyNotModified(const http1::MessageHead& not_modified, http1::HeaderList* stored);

// The fields a 304 generated from cache carries (RFC 9110 §15.4.5).
bool IsNotModifiedField(std::string_view name);

}  // namespace strata::edge::rfc9111
