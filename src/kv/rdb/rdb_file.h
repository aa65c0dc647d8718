// Whole RDB files (Redis's RDB version 10, as redis-server 7.0 writes and loads them): the
// framing around the object codecs (rdb_value.h).
//
//   "REDIS0010"
//   AUX (0xfa) name value ...                  redis-ver, redis-bits, ctime, used-mem, aof-base
//   per non-empty database:
//     SELECTDB (0xfe) db  RESIZEDB (0xfb) keys expires
//     per key: [EXPIRETIME_MS (0xfc) u64 LE] type key object
//   EOF (0xff)  CRC64 of everything before it (u64 LE; zero when checksums are off)
//
// Writing is a few appends (the caller streams the parts to disk and keeps the running CRC);
// reading parses a whole file held in memory and reports the byte offset of any fault. Pure
// functions over buffers: the unit tests and the fuzz target link them without the keyspace.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "kv/rdb/rdb_value.h"

namespace strata::kv::rdb {

enum RdbOpcode : uint8_t {
  kOpFunction2 = 245,
  kOpFunction = 246,
  kOpModuleAux = 247,
  kOpIdle = 248,
  kOpFreq = 249,
  kOpAux = 250,
  kOpResizeDb = 251,
  kOpExpireTimeMs = 252,
  kOpExpireTime = 253,
  kOpSelectDb = 254,
  kOpEof = 255,
};

// "REDIS0010".
void AppendFileMagic(std::string* out);
void AppendAux(std::string* out, std::string_view name, std::string_view value);
void AppendSelectDb(std::string* out, uint64_t db, uint64_t keys, uint64_t expires);
// SELECTDB alone, without RESIZEDB (optional in the format): a streamed snapshot starts every
// chunk with one, and loaders treat a repeated SELECTDB as a switch of database.
void AppendSelectDbOnly(std::string* out, uint64_t db);
// One key: the expiry (if expire_ms >= 0), the object type, the key and the object.
void AppendKey(std::string* out, std::string_view key, const RdbValue& v, int64_t expire_ms);
// EOF and the checksum: `crc` is the CRC64 of every byte before the EOF opcode, or nullopt-like
// `checksum == false` for a zero checksum (Redis's rdbchecksum no).
void AppendEof(std::string* out, uint64_t crc_before, bool checksum);

// A whole file in one buffer (tests and tools).
struct RdbFileKey {
  uint64_t db = 0;
  std::string key;
  RdbValue value;
  int64_t expire_ms = -1;  // -1: none
};

struct RdbFileError {
  size_t offset = 0;  // byte offset in the file of the item that could not be read
  std::string what;
};

// Reads a whole file. Every key is handed to on_key (which may move from it); a false return from
// on_key stops the load (its error text goes in err->what). Versions 1 to 10 are read; a database
// number of `databases` or more, module data (but Bloom filters), function libraries, a bad
// object, a truncated file or (when the file carries one) a wrong checksum are errors. `aux`
// (optional) sees the AUX fields. Bytes after the checksum are ignored, as Redis does.
// `resize` (optional) sees each RESIZEDB hint (database, keys, keys with a TTL); `pos`
// (optional) holds the offset of the end of the key last handed to on_key while it runs.
// `crc_of` (optional) returns the CRC64 of data's first n bytes (e.g. computed beside the parse);
// without it the parser computes it at EOF.
bool ParseRdbFile(std::string_view data, uint64_t databases,
                  const std::function<bool(RdbFileKey&, std::string*)>& on_key, RdbFileError* err,
                  const std::function<void(std::string_view, std::string_view)>& aux = nullptr,
                  const std::function<void(uint64_t, uint64_t, uint64_t)>& resize = nullptr,
                  size_t* pos = nullptr, const std::function<uint64_t(size_t)>& crc_of = nullptr);

}  // namespace strata::kv::rdb
