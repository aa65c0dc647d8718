// Fuzzes RESTORE's payload decoding: the input is an RDB object (type byte + payload) as a DUMP
// payload carries it, before the footer. Whatever decodes must re-encode to a payload that
// verifies and decodes to the same contents; nothing may read outside the input or allocate for
// lengths the input cannot hold.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "kv/rdb/rdb_value.h"
#include "rdb_same_contents.h"

namespace rdb = strata::kv::rdb;
using rdb::SameContents;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  // Frame the input as a DUMP payload; DecodeDumpPayload reads only the body (RESTORE checks
  // the footer first with VerifyDumpPayload), so the fuzzer reaches the decoder directly.
  std::string payload = body;
  payload.push_back(char(rdb::kRdbVersion & 0xff));
  payload.push_back(char(rdb::kRdbVersion >> 8));
  payload.append(8, '\0');

  rdb::RdbValue v;
  if (!rdb::DecodeDumpPayload(payload, &v)) return 0;
  std::string again = rdb::CreateDumpPayload(v);
  if (!rdb::VerifyDumpPayload(again)) abort();
  rdb::RdbValue w;
  if (!rdb::DecodeDumpPayload(again, &w)) abort();
  if (!SameContents(v, w)) abort();
  return 0;
}
