// Fuzzes whole-file loading: the input is an RDB file after its "REDIS0010" magic (which the
// target prepends, so mutations are spent on the body). A file that parses is written again with
// the framing functions (one SELECTDB per run of keys of a database, the same expiries) and must
// parse to the same keys and contents; nothing may read outside the input or allocate for
// lengths the input cannot hold.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "base/crc64.h"
#include "kv/rdb/rdb_file.h"
#include "rdb_same_contents.h"

namespace rdb = strata::kv::rdb;
using rdb::SameContents;

namespace {

bool ParseAll(std::string_view data, std::vector<rdb::RdbFileKey>* keys) {
  rdb::RdbFileError err;
  return rdb::ParseRdbFile(
      data, 16,
      [keys](rdb::RdbFileKey& k, std::string*) {
        keys->push_back(std::move(k));
        return true;
      },
      &err);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string file = "REDIS0010";
  file.append(reinterpret_cast<const char*>(data), size);
  std::vector<rdb::RdbFileKey> keys;
  if (!ParseAll(file, &keys)) return 0;

  std::string again;
  rdb::AppendFileMagic(&again);
  for (size_t i = 0; i < keys.size();) {
    size_t j = i;
    while (j < keys.size() && keys[j].db == keys[i].db) j++;
    rdb::AppendSelectDb(&again, keys[i].db, j - i, 0);
    for (; i < j; i++) rdb::AppendKey(&again, keys[i].key, keys[i].value, keys[i].expire_ms);
  }
  rdb::AppendEof(&again, strata::Crc64(again), true);
  std::vector<rdb::RdbFileKey> back;
  if (!ParseAll(again, &back) || back.size() != keys.size()) abort();
  for (size_t i = 0; i < keys.size(); i++) {
    const rdb::RdbFileKey &a = keys[i], &b = back[i];
    // A negative expiry other than "none" (-1) is written as none, as the server never has one.
    int64_t want = a.expire_ms < 0 ? -1 : a.expire_ms;
    if (a.db != b.db || a.key != b.key || want != b.expire_ms) abort();
    if (!SameContents(a.value, b.value)) abort();
  }
  return 0;
}
