// FindCrlf: the line scan both RESP parsers (requests and replies) are built on.
#pragma once

#include <cstddef>
#include <cstring>
#include <string_view>

namespace strata::resp {

// The index of the first "\r\n" at or after `from` in buf, or npos.
inline size_t FindCrlf(std::string_view buf, size_t from) {
  while (from < buf.size()) {
    const void* p = memchr(buf.data() + from, '\r', buf.size() - from);
    if (!p) return std::string_view::npos;
    size_t i = size_t(static_cast<const char*>(p) - buf.data());
    if (i + 1 >= buf.size()) return std::string_view::npos;
    if (buf[i + 1] == '\n') return i;
    from = i + 1;
  }
  return std::string_view::npos;
}

}  // namespace strata::resp
