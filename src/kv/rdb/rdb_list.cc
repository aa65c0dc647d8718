// Lists. Written as Redis 7.0 does, RDB_TYPE_LIST_QUICKLIST_2: a node count, then per node a
// container kind (2 = packed, a listpack; 1 = plain, one element as is) and the node's bytes.
// Read: that, RDB_TYPE_LIST_QUICKLIST (ziplist nodes), RDB_TYPE_LIST_ZIPLIST (one ziplist) and
// RDB_TYPE_LIST (a count and the elements as strings).
#include "kv/rdb/packed.h"
#include "kv/rdb/rdb_value.h"

namespace strata::kv::rdb {
namespace {

constexpr uint64_t kContainerPlain = 1;
constexpr uint64_t kContainerPacked = 2;
// Node limits for written lists: Redis's default list-max-listpack-size -2 (8 KB).
constexpr size_t kNodeBytes = 8192;

}  // namespace

void SaveList(std::string* out, const std::vector<std::string>& elems) {
  out->push_back(char(kRdbListQuicklist2));
  std::vector<std::string> nodes;
  ListpackWriter w;
  for (const std::string& e : elems) {
    if (w.count() > 0 && w.bytes() + e.size() + 11 > kNodeBytes) nodes.push_back(w.Finish());
    w.Append(e);
  }
  if (w.count() > 0) nodes.push_back(w.Finish());
  AppendRdbLength(out, nodes.size());
  for (const std::string& n : nodes) {
    AppendRdbLength(out, kContainerPacked);
    AppendRdbString(out, n);
  }
}

bool LoadList(uint8_t type, RdbReader* r, RdbValue* out) {
  auto& elems = out->elems;
  if (type == kRdbList) {
    uint64_t n;
    if (!ReadCount(r, 1, &n) || n == 0) return false;
    elems.reserve(n);
    for (uint64_t i = 0; i < n; i++) {
      std::string s;
      if (!r->ReadString(&s)) return false;
      elems.push_back(std::move(s));
    }
    return true;
  }
  if (type == kRdbListZiplist) {
    std::string blob;
    if (!r->ReadString(&blob) || !ZiplistDecode(blob, &elems)) return false;
    return !elems.empty();
  }
  uint64_t nodes;
  if (!ReadCount(r, 2, &nodes) || nodes == 0) return false;
  for (uint64_t i = 0; i < nodes; i++) {
    uint64_t container = kContainerPacked;
    if (type == kRdbListQuicklist2) {
      if (!r->ReadLength(&container)) return false;
      if (container != kContainerPlain && container != kContainerPacked) return false;
    }
    std::string blob;
    if (!r->ReadString(&blob)) return false;
    if (container == kContainerPlain) {
      elems.push_back(std::move(blob));
      continue;
    }
    // Empty nodes are skipped, as Redis does.
    bool ok =
        type == kRdbListQuicklist2 ? ListpackDecode(blob, &elems) : ZiplistDecode(blob, &elems);
    if (!ok) return false;
  }
  return !elems.empty();
}

}  // namespace strata::kv::rdb
