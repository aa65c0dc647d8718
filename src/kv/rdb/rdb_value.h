// RDB object codecs: a key's value as Redis 7.0 writes it (object type byte + payload) and every
// encoding Redis 7.0 loads, over a plain in-memory form (RdbValue) that the keyspace types are
// built from and flattened into. Pure functions over buffers: no keyspace, no I/O.
//
// Written (all loadable by redis-server 7.0):
//   string  RDB_TYPE_STRING (0)
//   list    RDB_TYPE_LIST_QUICKLIST_2 (18): listpack nodes, as Redis 7.0 writes
//   set     RDB_TYPE_SET (2): members as strings
//   zset    RDB_TYPE_ZSET_LISTPACK (17) when held packed, else RDB_TYPE_ZSET_2 (5): member,
//           binary double
//   hash    RDB_TYPE_HASH_LISTPACK (16) when held packed, else RDB_TYPE_HASH (4): field, value
//   stream  RDB_TYPE_STREAM_LISTPACKS_2 (19)
//   Bloom   RDB_TYPE_MODULE_2 (7): the 64-bit module id of "MBbloom--" with encoding version
//           kBloomEncVer, then one module string (opcode 5) holding BloomFilter::Serialize()'s
//           bytes and the EOF opcode (0). The encoding version is one RedisBloom does not use, so
//           a redis-server with RedisBloom refuses the value instead of misreading it.
// Read: all of the above and list 1, 10, 14; set 11; zset 3, 12, 17; hash 9, 13, 16; stream 15.
//
// Loading validates everything: lengths against the bytes left before anything is allocated,
// packed blobs in depth (packed.h), duplicates in sets, hashes and sorted sets, empty containers
// (Redis refuses them), stream IDs in order and consumer PELs against the group's. Any failure is
// a false return, never a crash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kv/rdb/rdb_string.h"

namespace strata::kv::rdb {

// RDB object type bytes.
enum RdbType : uint8_t {
  kRdbString = 0,
  kRdbList = 1,
  kRdbSet = 2,
  kRdbZSet = 3,
  kRdbHash = 4,
  kRdbZSet2 = 5,
  kRdbModule2 = 7,
  kRdbHashZipmap = 9,
  kRdbListZiplist = 10,
  kRdbSetIntset = 11,
  kRdbZSetZiplist = 12,
  kRdbHashZiplist = 13,
  kRdbListQuicklist = 14,
  kRdbStreamListpacks = 15,
  kRdbHashListpack = 16,
  kRdbZSetListpack = 17,
  kRdbListQuicklist2 = 18,
  kRdbStreamListpacks2 = 19,
};

struct RdbStreamId {
  uint64_t ms = 0, seq = 0;
  auto operator<=>(const RdbStreamId&) const = default;
};

struct RdbStreamEntry {
  RdbStreamId id;
  std::vector<std::string> fields;  // name, value, name, value ...
};

struct RdbStreamNack {
  RdbStreamId id;
  int64_t delivery_time = 0;
  uint64_t delivery_count = 0;
};

struct RdbStreamConsumer {
  std::string name;
  int64_t seen_time = 0;
  std::vector<RdbStreamId> pel;
};

struct RdbStreamGroup {
  std::string name;
  RdbStreamId last_id;
  int64_t entries_read = -1;
  std::vector<RdbStreamNack> pel;  // ascending
  std::vector<RdbStreamConsumer> consumers;
};

struct RdbStream {
  std::vector<RdbStreamEntry> entries;  // live entries, ascending
  RdbStreamId last_id, first_id, max_deleted_id;
  uint64_t entries_added = 0;
  std::vector<RdbStreamGroup> groups;
  // Read from the pre-7.0 form, which has no read counters: the groups' are estimated from
  // their last IDs once the stream is built, as Redis does.
  bool estimate_reads = false;
};

// The module id written for Bloom filters: "MBbloom--" in Redis's 6-bit module name alphabet,
// then the 10-bit encoding version.
inline constexpr uint32_t kBloomEncVer = 1023;
uint64_t BloomModuleId();

// A value in plain form. `kind` is the Redis object type (0 string, 1 list, 2 set, 3 zset,
// 4 hash, 5 module (a Bloom filter: its serialized bytes in `str`), 6 stream); only the matching
// member is used.
struct RdbValue {
  uint8_t kind = 0;
  std::string str;
  std::vector<std::string> elems;                          // list, set
  std::vector<std::pair<std::string, std::string>> pairs;  // hash
  std::vector<std::pair<std::string, double>> scored;      // zset
  bool set_all_ints = false;  // set: every member came from an intset (informational)
  // hash, zset: held packed. Loading sets it for values read from a listpack or ziplist (Redis
  // 7.0 keeps those packed whatever the length of their elements, checking only the count);
  // saving writes a packed value as a listpack (RDB_TYPE_HASH_LISTPACK / ZSET_LISTPACK), as
  // Redis 7.0 does for its listpack-encoded values.
  bool packed = false;
  RdbStream stream;
};

// Appends the object type byte and the payload for `v`.
void SaveObject(std::string* out, const RdbValue& v);

// Reads one object of RDB type `type`; false on any malformed input.
bool LoadObject(uint8_t type, RdbReader* reader, RdbValue* out);

// Per-type parts (rdb_<type>.cc).
void SaveList(std::string* out, const std::vector<std::string>& elems);
bool LoadList(uint8_t type, RdbReader* r, RdbValue* out);
void SaveSet(std::string* out, const std::vector<std::string>& members);
bool LoadSet(uint8_t type, RdbReader* r, RdbValue* out);
void SaveZSet(std::string* out, const std::vector<std::pair<std::string, double>>& entries,
              bool packed = false);
bool LoadZSet(uint8_t type, RdbReader* r, RdbValue* out);
void SaveHash(std::string* out, const std::vector<std::pair<std::string, std::string>>& pairs,
              bool packed = false);
bool LoadHash(uint8_t type, RdbReader* r, RdbValue* out);
// `type` kRdbStreamListpacks (without the 7.0 metadata) is for tests of the older form.
void SaveStream(std::string* out, const RdbStream& s, uint8_t type = kRdbStreamListpacks2);
bool LoadStream(uint8_t type, RdbReader* r, RdbValue* out);

// Helpers shared by the codecs.
void AppendBinaryDouble(std::string* out, double d);
bool ReadBinaryDouble(RdbReader* r, double* out);
// A count read before a loop of items each taking at least `min_item_bytes`: false if the bytes
// left cannot hold that many (so nothing is reserved for a forged count).
bool ReadCount(RdbReader* r, size_t min_item_bytes, uint64_t* out);

// DUMP payloads: object + RDB version (u16 LE) + CRC64 (u64 LE) of everything before it.
std::string CreateDumpPayload(const RdbValue& v);
// Checks version and checksum (Redis's "DUMP payload version or checksum are wrong").
bool VerifyDumpPayload(std::string_view payload);
// Decodes a verified payload; false for bad data (Redis's "Bad data format"). As in Redis,
// bytes between the object and the footer are ignored.
bool DecodeDumpPayload(std::string_view payload, RdbValue* out);

}  // namespace strata::kv::rdb
