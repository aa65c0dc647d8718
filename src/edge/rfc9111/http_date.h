// HTTP-date (RFC 9110 §5.6.7): parses all three formats (IMF-fixdate, obsolete RFC 850 and
// asctime), strictly; formats IMF-fixdate. Times are seconds since the Unix epoch.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace strata::edge::rfc9111 {

std::optional<int64_t> ParseHttpDate(std::string_view s);
std::string FormatHttpDate(int64_t unix_seconds);

}  // namespace strata::edge::rfc9111
