// Fuzzes the RESP request parser the way a connection drives it: the input is split at a
// fuzzer-chosen point into two reads, parsed incrementally with random limits, and every
// returned argument must lie inside the buffer it was parsed from.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "proto/resp/parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  strata::resp::ParserLimits limits;
  limits.unauthenticated = data[0] & 1;
  limits.max_bulk_len = (data[0] & 2) ? 64 : 512LL * 1024 * 1024;
  size_t split = data[1] % (size - 1);
  std::string input(reinterpret_cast<const char*>(data + 2), size - 2);

  strata::resp::RespParser parser;
  std::string buf;
  std::vector<std::string_view> args;
  for (int part = 0; part < 2; part++) {
    buf.append(part == 0 ? input.substr(0, split) : input.substr(split));
    for (;;) {
      size_t consumed = 0;
      auto st = parser.Parse(buf, limits, &args, &consumed);
      if (consumed > buf.size()) __builtin_trap();
      if (st == strata::resp::RespParser::Status::kCommand) {
        for (auto a : args) {
          // Multibulk args point into buf; inline args into parser storage. Touch every byte.
          unsigned sum = 0;
          for (char c : a) sum += static_cast<unsigned char>(c);
          if (sum == 0xFFFFFFFFu) __builtin_trap();  // never: keeps the reads
        }
        buf.erase(0, consumed);
        continue;
      }
      if (st == strata::resp::RespParser::Status::kNeedMore) {
        buf.erase(0, consumed);
        break;
      }
      return 0;  // error or HTTP: the connection would close
    }
  }
  return 0;
}
