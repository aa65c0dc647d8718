#include "kv/script/function_dump.h"

#include <cstdint>
#include <utility>

#include "base/crc64.h"
#include "kv/rdb/rdb_string.h"

namespace strata::kv::script {
namespace {

constexpr uint8_t kOpcodeFunctionPreGa = 246;  // RDB_OPCODE_FUNCTION (7.0 release candidates)
constexpr uint8_t kOpcodeFunction2 = 245;      // RDB_OPCODE_FUNCTION2
constexpr size_t kFooterBytes = 2 + 8;         // RDB version, CRC-64

// Redis builds the pre-release code with "%s", which stops at a NUL byte.
std::string_view UpToNul(std::string_view s) { return s.substr(0, s.find('\0')); }

// Reads the rest of a byte-246 record into the code Redis 7.0 makes of it, or the error.
const char* ReadPreGaLibrary(rdb::RdbReader* reader, std::string* code) {
  std::string name, engine, description, blob;
  uint64_t has_description;
  if (!reader->ReadString(&name)) return errors::kBadPreGaName;
  if (!reader->ReadString(&engine)) return errors::kBadPreGaEngine;
  if (!reader->ReadLength(&has_description)) return errors::kBadPreGaDescIndicator;
  if (has_description && !reader->ReadString(&description)) return errors::kBadPreGaDesc;
  if (!reader->ReadString(&blob)) return errors::kBadPreGaBlob;
  *code = "#!";
  code->append(UpToNul(engine));
  code->append(" name=");
  code->append(UpToNul(name));
  code->push_back('\n');
  code->append(UpToNul(blob));
  return nullptr;
}

}  // namespace

std::string EncodeFunctionDump(const std::vector<std::string>& library_codes) {
  std::string out;
  for (const std::string& code : library_codes) {
    out.push_back(char(kOpcodeFunction2));
    rdb::AppendRdbString(&out, code);
  }
  out.push_back(char(rdb::kRdbVersion & 0xff));
  out.push_back(char(rdb::kRdbVersion >> 8));
  uint64_t crc = Crc64(out);
  for (int i = 0; i < 8; i++) out.push_back(char((crc >> (8 * i)) & 0xff));
  return out;
}

FunctionDumpContents DecodeFunctionDump(std::string_view payload) {
  FunctionDumpContents result;
  if (payload.size() < kFooterBytes) {
    result.error = errors::kDumpPayloadWrong;
    return result;
  }
  const auto* footer =
      reinterpret_cast<const unsigned char*>(payload.data()) + payload.size() - kFooterBytes;
  uint16_t version = uint16_t(footer[0] | (footer[1] << 8));
  uint64_t crc = 0;
  for (int i = 7; i >= 0; i--) crc = (crc << 8) | footer[2 + i];
  if (version > rdb::kRdbVersion || Crc64(payload.substr(0, payload.size() - 8)) != crc) {
    result.error = errors::kDumpPayloadWrong;
    return result;
  }

  rdb::RdbReader reader(payload);
  while (reader.remaining() > kFooterBytes) {
    uint8_t type;
    reader.ReadByte(&type);  // cannot fail: more than the footer is left
    std::string code;
    if (type == kOpcodeFunction2) {
      if (!reader.ReadString(&code)) {
        result.error = errors::kBadLibraryPayload;
        return result;
      }
    } else if (type == kOpcodeFunctionPreGa) {
      if (const char* error = ReadPreGaLibrary(&reader, &code)) {
        result.error = error;
        return result;
      }
    } else {
      result.error = errors::kNotAFunction;
      return result;
    }
    result.codes.push_back(std::move(code));
  }
  return result;
}

}  // namespace strata::kv::script
