// Object type dispatch, shared helpers and DUMP payload framing.
#include <cstring>
#include <string_view>

#include "base/crc64.h"
#include "kv/rdb/rdb_value.h"

namespace strata::kv::rdb {

void AppendBinaryDouble(std::string* out, double d) {
  uint64_t u;
  memcpy(&u, &d, 8);
  for (int i = 0; i < 8; i++) out->push_back(char((u >> (8 * i)) & 0xff));
}

bool ReadBinaryDouble(RdbReader* r, double* out) {
  std::string_view raw;
  if (!r->ReadBytes(8, &raw)) return false;
  uint64_t u = 0;
  for (int i = 7; i >= 0; i--) u = (u << 8) | uint8_t(raw[size_t(i)]);
  memcpy(out, &u, 8);
  return true;
}

bool ReadCount(RdbReader* r, size_t min_item_bytes, uint64_t* out) {
  if (!r->ReadLength(out)) return false;
  if (min_item_bytes == 0) min_item_bytes = 1;
  return *out <= r->remaining() / min_item_bytes;
}

uint64_t BloomModuleId() {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  uint64_t id = 0;
  for (char c : std::string_view("MBbloom--")) id = (id << 6) | kAlphabet.find(c);
  return (id << 10) | kBloomEncVer;
}

namespace {

// Module value opcodes (Redis's RDB_MODULE_OPCODE_*).
constexpr uint64_t kModuleOpEof = 0;
constexpr uint64_t kModuleOpString = 5;

void SaveBloom(std::string* out, const std::string& bytes) {
  out->push_back(char(kRdbModule2));
  AppendRdbLength(out, BloomModuleId());
  AppendRdbLength(out, kModuleOpString);
  AppendRdbString(out, bytes);
  AppendRdbLength(out, kModuleOpEof);
}

bool LoadBloom(RdbReader* r, RdbValue* out) {
  uint64_t id, op;
  if (!r->ReadLength(&id) || id != BloomModuleId()) return false;
  if (!r->ReadLength(&op) || op != kModuleOpString) return false;
  if (!r->ReadString(&out->str)) return false;
  return r->ReadLength(&op) && op == kModuleOpEof;
}

}  // namespace

void SaveObject(std::string* out, const RdbValue& v) {
  switch (v.kind) {
    case 0:
      out->push_back(char(kRdbString));
      AppendRdbString(out, v.str);
      return;
    case 1:
      return SaveList(out, v.elems);
    case 2:
      return SaveSet(out, v.elems);
    case 3:
      return SaveZSet(out, v.scored, v.packed);
    case 4:
      return SaveHash(out, v.pairs, v.packed);
    case 5:
      return SaveBloom(out, v.str);
    case 6:
      return SaveStream(out, v.stream);
  }
}

bool LoadObject(uint8_t type, RdbReader* reader, RdbValue* out) {
  switch (type) {
    case kRdbString:
      out->kind = 0;
      return reader->ReadString(&out->str);
    case kRdbList:
    case kRdbListZiplist:
    case kRdbListQuicklist:
    case kRdbListQuicklist2:
      out->kind = 1;
      return LoadList(type, reader, out);
    case kRdbSet:
    case kRdbSetIntset:
      out->kind = 2;
      return LoadSet(type, reader, out);
    case kRdbZSet:
    case kRdbZSet2:
    case kRdbZSetZiplist:
    case kRdbZSetListpack:
      out->kind = 3;
      return LoadZSet(type, reader, out);
    case kRdbHash:
    case kRdbHashZipmap:
    case kRdbHashZiplist:
    case kRdbHashListpack:
      out->kind = 4;
      return LoadHash(type, reader, out);
    case kRdbStreamListpacks:
    case kRdbStreamListpacks2:
      out->kind = 6;
      return LoadStream(type, reader, out);
    case kRdbModule2:
      out->kind = 5;
      return LoadBloom(reader, out);
  }
  return false;
}

namespace {
constexpr size_t kFooter = 10;  // version (2) + CRC64 (8)
}

std::string CreateDumpPayload(const RdbValue& v) {
  std::string out;
  SaveObject(&out, v);
  out.push_back(char(kRdbVersion & 0xff));
  out.push_back(char(kRdbVersion >> 8));
  uint64_t crc = Crc64(out);
  for (int i = 0; i < 8; i++) out.push_back(char((crc >> (8 * i)) & 0xff));
  return out;
}

bool VerifyDumpPayload(std::string_view payload) {
  if (payload.size() < kFooter) return false;
  const auto* f = reinterpret_cast<const uint8_t*>(payload.data()) + payload.size() - kFooter;
  uint16_t version = uint16_t(f[0] | (f[1] << 8));
  if (version > kRdbVersion) return false;
  uint64_t crc = 0;
  for (int i = 7; i >= 0; i--) crc = (crc << 8) | f[2 + i];
  return Crc64(payload.substr(0, payload.size() - 8)) == crc;
}

bool DecodeDumpPayload(std::string_view payload, RdbValue* out) {
  if (payload.size() < kFooter + 1) return false;
  RdbReader reader(payload.substr(0, payload.size() - kFooter));
  uint8_t type;
  if (!reader.ReadByte(&type)) return false;
  // As Redis, bytes after the object (before the footer) are ignored.
  return LoadObject(type, &reader, out);
}

}  // namespace strata::kv::rdb
