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

namespace rdb = strata::kv::rdb;

namespace {

bool SameContents(const rdb::RdbValue& a, const rdb::RdbValue& b) {
  if (a.kind != b.kind || a.str != b.str || a.elems != b.elems || a.pairs != b.pairs) return false;
  // Sorted sets are written highest first: compare them order-free.
  auto sa = a.scored, sb = b.scored;
  std::sort(sa.begin(), sa.end());
  std::sort(sb.begin(), sb.end());
  if (sa.size() != sb.size()) return false;
  for (size_t i = 0; i < sa.size(); i++)
    if (sa[i].first != sb[i].first || !(sa[i].second == sb[i].second)) return false;
  if (a.stream.entries.size() != b.stream.entries.size()) return false;
  for (size_t i = 0; i < a.stream.entries.size(); i++)
    if (a.stream.entries[i].id != b.stream.entries[i].id ||
        a.stream.entries[i].fields != b.stream.entries[i].fields)
      return false;
  return a.stream.groups.size() == b.stream.groups.size();
}

}  // namespace

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
