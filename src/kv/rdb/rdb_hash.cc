// Hashes. Written as RDB_TYPE_HASH (a pair count, then field and value strings), which Redis 7.0
// loads into a listpack or a hash table as its limits say. Read: that, RDB_TYPE_HASH_LISTPACK,
// RDB_TYPE_HASH_ZIPLIST and RDB_TYPE_HASH_ZIPMAP (flat field, value, ... sequences).
#include <string>
#include <unordered_set>

#include "kv/rdb/packed.h"
#include "kv/rdb/rdb_value.h"

namespace strata::kv::rdb {

void SaveHash(std::string* out, const std::vector<std::pair<std::string, std::string>>& pairs,
              bool packed) {
  if (packed) {
    out->push_back(char(kRdbHashListpack));
    ListpackWriter w;
    for (const auto& [f, v] : pairs) {
      w.Append(f);
      w.Append(v);
    }
    AppendRdbString(out, w.Finish());
    return;
  }
  out->push_back(char(kRdbHash));
  AppendRdbLength(out, pairs.size());
  for (const auto& [f, v] : pairs) {
    AppendRdbString(out, f);
    AppendRdbString(out, v);
  }
}

bool LoadHash(uint8_t type, RdbReader* r, RdbValue* out) {
  auto& pairs = out->pairs;
  if (type == kRdbHash) {
    uint64_t n;
    if (!ReadCount(r, 2, &n) || n == 0) return false;
    pairs.reserve(n);
    for (uint64_t i = 0; i < n; i++) {
      std::string f, v;
      if (!r->ReadString(&f) || !r->ReadString(&v)) return false;
      pairs.emplace_back(std::move(f), std::move(v));
    }
  } else {
    std::string blob;
    std::vector<std::string> flat;
    if (!r->ReadString(&blob)) return false;
    bool ok = type == kRdbHashListpack  ? ListpackDecode(blob, &flat)
              : type == kRdbHashZiplist ? ZiplistDecode(blob, &flat)
                                        : ZipmapDecode(blob, &flat);
    if (!ok || flat.empty() || flat.size() % 2 != 0) return false;
    out->packed = type != kRdbHashZipmap;
    pairs.reserve(flat.size() / 2);
    for (size_t i = 0; i < flat.size(); i += 2)
      pairs.emplace_back(std::move(flat[i]), std::move(flat[i + 1]));
  }
  std::unordered_set<std::string_view> seen;
  seen.reserve(pairs.size());
  for (const auto& p : pairs)
    if (!seen.insert(p.first).second) return false;  // duplicate field
  return true;
}

}  // namespace strata::kv::rdb
