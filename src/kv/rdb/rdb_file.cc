#include "kv/rdb/rdb_file.h"

#include <cstdio>
#include <cstring>

#include "base/crc64.h"

namespace strata::kv::rdb {

void AppendFileMagic(std::string* out) {
  char buf[16];
  snprintf(buf, sizeof(buf), "REDIS%04u", unsigned(kRdbVersion));
  out->append(buf);
}

void AppendAux(std::string* out, std::string_view name, std::string_view value) {
  out->push_back(char(kOpAux));
  AppendRdbString(out, name);
  AppendRdbString(out, value);
}

void AppendSelectDb(std::string* out, uint64_t db, uint64_t keys, uint64_t expires) {
  out->push_back(char(kOpSelectDb));
  AppendRdbLength(out, db);
  out->push_back(char(kOpResizeDb));
  AppendRdbLength(out, keys);
  AppendRdbLength(out, expires);
}

void AppendSelectDbOnly(std::string* out, uint64_t db) {
  out->push_back(char(kOpSelectDb));
  AppendRdbLength(out, db);
}

namespace {

void AppendU64Le(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; i++) out->push_back(char((v >> (8 * i)) & 0xff));
}

uint64_t ReadLe(std::string_view raw) {
  uint64_t v = 0;
  for (size_t i = raw.size(); i-- > 0;) v = (v << 8) | uint8_t(raw[i]);
  return v;
}

}  // namespace

void AppendKey(std::string* out, std::string_view key, const RdbValue& v, int64_t expire_ms) {
  if (expire_ms >= 0) {
    out->push_back(char(kOpExpireTimeMs));
    AppendU64Le(out, uint64_t(expire_ms));
  }
  // The object's type byte comes first, then the key, then the payload: SaveObject writes
  // type + payload, so the key is spliced in after the type byte.
  std::string obj;
  SaveObject(&obj, v);
  out->push_back(obj[0]);
  AppendRdbString(out, key);
  out->append(obj, 1);
}

void AppendEof(std::string* out, uint64_t crc_before, bool checksum) {
  out->push_back(char(kOpEof));
  uint64_t crc = checksum ? Crc64(crc_before, out->data() + out->size() - 1, 1) : 0;
  AppendU64Le(out, crc);
}

bool ParseRdbFile(std::string_view data, uint64_t databases,
                  const std::function<bool(RdbFileKey&, std::string*)>& on_key, RdbFileError* err,
                  const std::function<void(std::string_view, std::string_view)>& aux,
                  const std::function<void(uint64_t, uint64_t, uint64_t)>& resize, size_t* pos,
                  const std::function<uint64_t(size_t)>& crc_of) {
  auto fail = [err](size_t offset, std::string what) {
    err->offset = offset;
    err->what = std::move(what);
    return false;
  };
  if (data.size() < 9 || memcmp(data.data(), "REDIS", 5) != 0)
    return fail(0, "wrong signature (not an RDB file)");
  int version = 0;
  for (size_t i = 5; i < 9; i++) {
    if (data[i] < '0' || data[i] > '9') return fail(5, "bad RDB version field");
    version = version * 10 + (data[i] - '0');
  }
  if (version < 1 || version > int(kRdbVersion))
    return fail(5, "can't handle RDB format version " + std::to_string(version));

  RdbReader r(data);
  std::string_view skip;
  r.ReadBytes(9, &skip);
  uint64_t db = 0;
  int64_t expire_ms = -1;
  for (;;) {
    size_t at = r.pos();
    uint8_t type;
    if (!r.ReadByte(&type)) return fail(at, "unexpected end of file (no EOF marker)");
    switch (type) {
      case kOpExpireTime: {
        std::string_view raw;
        if (!r.ReadBytes(4, &raw)) return fail(at, "truncated EXPIRETIME");
        expire_ms = int64_t(int32_t(uint32_t(ReadLe(raw)))) * 1000;
        continue;
      }
      case kOpExpireTimeMs: {
        std::string_view raw;
        if (!r.ReadBytes(8, &raw)) return fail(at, "truncated EXPIRETIME_MS");
        expire_ms = int64_t(ReadLe(raw));
        continue;
      }
      case kOpFreq: {
        uint8_t f;
        if (!r.ReadByte(&f)) return fail(at, "truncated FREQ");
        continue;  // eviction hints are not carried
      }
      case kOpIdle: {
        uint64_t idle;
        if (!r.ReadLength(&idle)) return fail(at, "truncated IDLE");
        continue;
      }
      case kOpEof: {
        if (version >= 5) {
          uint64_t want = crc_of ? crc_of(r.pos()) : Crc64(data.substr(0, r.pos()));
          std::string_view raw;
          if (!r.ReadBytes(8, &raw)) return fail(r.pos(), "truncated checksum");
          uint64_t got = ReadLe(raw);
          if (got != 0 && got != want) return fail(at + 1, "wrong RDB checksum");
        }
        return true;
      }
      case kOpSelectDb: {
        uint64_t n;
        if (!r.ReadLength(&n)) return fail(at, "truncated SELECTDB");
        if (n >= databases)
          return fail(at, "database " + std::to_string(n) + " is beyond the " +
                              std::to_string(databases) + " configured databases");
        db = n;
        continue;
      }
      case kOpResizeDb: {
        uint64_t a, b;
        if (!r.ReadLength(&a) || !r.ReadLength(&b)) return fail(at, "truncated RESIZEDB");
        if (resize) resize(db, a, b);
        continue;
      }
      case kOpAux: {
        std::string name, value;
        if (!r.ReadString(&name) || !r.ReadString(&value)) return fail(at, "bad AUX field");
        if (aux) aux(name, value);
        continue;
      }
      case kOpModuleAux:
        return fail(at, "module data is not supported");
      case kOpFunction:
      case kOpFunction2:
        return fail(at, "function libraries in RDB files are not supported");
      default:
        break;
    }
    // Module values: only Strata's own Bloom filters (RDB_TYPE_MODULE_2, see rdb_value.h).
    if (type == 6) return fail(at, "module values are not supported");
    if (type > kRdbStreamListpacks2 || type == 8)
      return fail(at, "unknown object type " + std::to_string(type));
    RdbFileKey k;
    k.db = db;
    k.expire_ms = expire_ms;
    expire_ms = -1;
    if (!r.ReadString(&k.key)) return fail(at, "bad key");
    size_t obj_at = r.pos();
    if (!LoadObject(type, &r, &k.value)) {
      if (type == kRdbModule2)
        return fail(obj_at, "module values other than Bloom filters are not supported");
      return fail(obj_at, "bad value of type " + std::to_string(type) + " for a key");
    }
    std::string why;
    if (pos) *pos = r.pos();
    if (!on_key(k, &why)) return fail(at, why);
  }
}

}  // namespace strata::kv::rdb
