// Whether two decoded RDB values hold the same contents, for the RDB fuzz targets: sorted sets
// compare order-free (they are written highest first), streams by entries and group count.
#pragma once

#include <algorithm>

#include "kv/rdb/rdb_value.h"

namespace strata::kv::rdb {

inline bool SameContents(const RdbValue& a, const RdbValue& b) {
  if (a.kind != b.kind || a.str != b.str || a.elems != b.elems || a.pairs != b.pairs) return false;
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

}  // namespace strata::kv::rdb
