// HTTP/1.1 serialisation helpers: status/request lines, fields, chunk framing. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace strata::http1 {

// The standard reason phrase for a status code ("" when unknown).
std::string_view ReasonPhrase(int status);

void AppendStatusLine(std::string* out, int status, std::string_view reason = {});
void AppendRequestLine(std::string* out, std::string_view method, std::string_view target);
// Appends "name: value\r\n". The caller guarantees both are valid (they come from the parser
// or from our own code).
inline void AppendField(std::string* out, std::string_view name, std::string_view value) {
  out->append(name);
  out->append(": ", 2);
  out->append(value);
  out->append("\r\n", 2);
}
void AppendFieldInt(std::string* out, std::string_view name, uint64_t value);
inline void EndHead(std::string* out) { out->append("\r\n", 2); }

// Chunked transfer coding.
void AppendChunk(std::string* out, std::string_view data);
inline void AppendLastChunk(std::string* out) { out->append("0\r\n\r\n", 5); }

}  // namespace strata::http1
