// Vary (RFC 9111 §4.1): which request fields select a variant, and the secondary cache key.
// Field names are lowercased, deduplicated and sorted so "Accept-Encoding, accept-encoding"
// and "accept-encoding" give the same key. Values are normalised only in ways that cannot merge
// semantically different requests: list members are trimmed and rejoined with ", ", runs of
// whitespace collapse to one space, and fields whose values are case-insensitive (Accept*) are
// lowercased. A missing field and an empty field are different variants.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "proto/http1/message.h"

namespace strata::edge::rfc9111 {

struct VarySpec {
  bool star = false;
  std::vector<std::string> names;  // lowercase, sorted, unique
  bool empty() const { return !star && names.empty(); }
};

VarySpec ParseVary(std::string_view combined_value);
std::string NormalizeVaryValue(std::string_view field_name, std::string_view value);
// The secondary key of a request for this Vary spec ("" when the spec is empty).
std::string SecondaryKey(const VarySpec& spec, const http1::MessageHead& request);

}  // namespace strata::edge::rfc9111
