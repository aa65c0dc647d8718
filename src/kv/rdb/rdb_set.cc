// Sets. Written as RDB_TYPE_SET (a count and the members as strings), which Redis 7.0 loads into
// an intset or a hash table as its limits say. Read: that and RDB_TYPE_SET_INTSET.
#include <string>
#include <unordered_set>

#include "kv/rdb/packed.h"
#include "kv/rdb/rdb_value.h"

namespace strata::kv::rdb {

void SaveSet(std::string* out, const std::vector<std::string>& members) {
  out->push_back(char(kRdbSet));
  AppendRdbLength(out, members.size());
  for (const std::string& m : members) AppendRdbString(out, m);
}

bool LoadSet(uint8_t type, RdbReader* r, RdbValue* out) {
  if (type == kRdbSetIntset) {
    std::string blob;
    std::vector<int64_t> ints;
    if (!r->ReadString(&blob) || !IntsetDecode(blob, &ints)) return false;
    out->elems.reserve(ints.size());
    for (int64_t v : ints) out->elems.push_back(std::to_string(v));
    out->set_all_ints = true;
    return true;
  }
  uint64_t n;
  if (!ReadCount(r, 1, &n) || n == 0) return false;
  out->elems.reserve(n);
  std::unordered_set<std::string_view> seen;
  seen.reserve(n);
  for (uint64_t i = 0; i < n; i++) {
    std::string s;
    if (!r->ReadString(&s)) return false;
    out->elems.push_back(std::move(s));
  }
  // Duplicate members are corrupt data (Redis refuses them too).
  for (const std::string& s : out->elems)
    if (!seen.insert(s).second) return false;
  return true;
}

}  // namespace strata::kv::rdb
