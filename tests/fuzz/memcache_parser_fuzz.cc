// Fuzzes the memcached text-protocol parser the way a connection drives it: the input is split at
// a fuzzer-chosen point into two reads, parsed incrementally with random limits; every key and
// data view must lie inside the buffer it was parsed from, and consumption never overruns it.
// Meta commands (mg ms md ma mn me) with their flags and base64 keys are covered too.
#include <cstddef>
#include <cstdint>
#include <string>

#include "proto/memcache/parser.h"

namespace {

bool Inside(std::string_view v, const std::string& buf) {
  return v.empty() || (v.data() >= buf.data() && v.data() + v.size() <= buf.data() + buf.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  strata::memcache::Limits limits;
  if (data[0] & 1) limits.item_size_max = 300;
  if (data[0] & 2) limits.max_line = 64;
  if (data[0] & 4) limits.max_get_line = 128;
  size_t split = data[1] % (size - 1);
  std::string input(reinterpret_cast<const char*>(data + 2), size - 2);

  using St = strata::memcache::Parser::Status;
  strata::memcache::Parser parser;
  strata::memcache::Request req;
  std::string buf;
  for (int part = 0; part < 2; part++) {
    buf.append(part == 0 ? input.substr(0, split) : input.substr(split));
    for (;;) {
      size_t consumed = 0;
      St st = parser.Parse(buf, limits, &req, &consumed);
      if (consumed > buf.size()) __builtin_trap();
      if (st == St::kRequest) {
        if (!Inside(req.key, buf) || !Inside(req.data, buf)) __builtin_trap();
        for (auto k : req.keys)
          if (!Inside(k, buf) || k.size() > strata::memcache::Limits::kMaxKeyLen) __builtin_trap();
        if (req.key.size() > strata::memcache::Limits::kMaxKeyLen) __builtin_trap();
        if (req.data.size() > limits.item_size_max) __builtin_trap();
        // Meta commands: a decoded key is never longer than the key sent, the opaque lies in
        // the buffer within memcached's 32 bytes, and a decoded key encodes back to a key that
        // decodes to it.
        if (req.Key().size() > strata::memcache::Limits::kMaxKeyLen) __builtin_trap();
        if (!Inside(req.meta.opaque, buf) || req.meta.opaque.size() > 32) __builtin_trap();
        if (req.binary_key) {
          std::string enc, dec;
          strata::memcache::Base64Encode(req.bkey, &enc);
          if (!strata::memcache::Base64Decode(enc, &dec) || dec != req.bkey) __builtin_trap();
        }
        buf.erase(0, consumed);
        continue;
      }
      if (st == St::kError) {
        if (consumed == 0) __builtin_trap();  // an error always moves on
        buf.erase(0, consumed);
        continue;
      }
      if (st == St::kClose) return 0;
      buf.erase(0, consumed);
      break;  // kNeedMore
    }
  }
  return 0;
}
