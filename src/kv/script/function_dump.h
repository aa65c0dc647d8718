// FUNCTION DUMP / FUNCTION RESTORE payloads in Redis 7.0's format, so a payload moves between
// Strata and Redis 7.0 either way:
//   per library   byte 245 (RDB_OPCODE_FUNCTION2), then the library code as an RDB string
//   then          the RDB version, 2 bytes little-endian (10, kv/rdb/rdb_string.h)
//   then          the CRC-64 (base/crc64.h) of all the bytes before it, 8 bytes little-endian
// Error texts are Redis 7.0.15's, without the leading '-'.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace strata::kv::script {

// FUNCTION RESTORE's answers to payloads it cannot read.
namespace errors {
// Shorter than 10 bytes, an RDB version above 10, or a wrong checksum.
inline constexpr const char* kDumpPayloadWrong = "ERR DUMP payload version or checksum are wrong";
// A record that is neither a library nor a pre-release library.
inline constexpr const char* kNotAFunction = "ERR given type is not a function";
// A library record whose code string is truncated or malformed.
inline constexpr const char* kBadLibraryPayload = "ERR Failed loading library payload";
// The fields of a library record as Redis 7.0 release candidates wrote them (byte 246).
inline constexpr const char* kBadPreGaName = "ERR Failed loading library name";
inline constexpr const char* kBadPreGaEngine = "ERR Failed loading engine name";
inline constexpr const char* kBadPreGaDescIndicator =
    "ERR Failed loading library description indicator";
inline constexpr const char* kBadPreGaDesc = "ERR Failed loading library description";
inline constexpr const char* kBadPreGaBlob = "ERR Failed loading library blob";
}  // namespace errors

// FUNCTION DUMP of the given library codes (each a whole FUNCTION LOAD payload, "#!lua ...").
// Strings are written as Redis writes them with rdbcompression on (long codes LZF-compressed),
// so the same libraries in the same order give Redis's bytes.
std::string EncodeFunctionDump(const std::vector<std::string>& library_codes);

struct FunctionDumpContents {
  // Library codes in payload order. When `error` is set, the ones read before the bad record.
  std::vector<std::string> codes;
  std::string error;  // empty: the whole payload was read
  bool ok() const { return error.empty(); }
};

// Reads a FUNCTION RESTORE payload. Checks the version and checksum first; a failure there
// leaves `codes` empty. Redis creates each library as it reads it, so to answer as Redis does,
// FUNCTION RESTORE loads `codes` in order and reports the first load error if any, and only
// then `error`.
//
// Records of Redis 7.0 release candidates (byte 246: name, engine, optional description,
// code) are accepted as Redis 7.0 accepts them, rewritten to "#!<engine> name=<name>\n<code>"
// with each field cut at its first NUL byte.
//
// As in Redis, records are read while more than the 10 footer bytes remain, from the whole
// payload: a string whose length runs into the footer takes footer bytes into the code.
FunctionDumpContents DecodeFunctionDump(std::string_view payload);

}  // namespace strata::kv::script
