// Fuzzes the RESP2/RESP3 reply parser the way a client drives it: the input arrives in two reads
// split at a fuzzer-chosen point, with random limits; consumed counts must stay inside the buffer
// and every aggregate the sink opens must be closed exactly once by the time a reply completes.
#include <cstddef>
#include <cstdint>
#include <string>

#include "proto/resp/reply_parser.h"

namespace {
class DepthSink : public strata::resp::ReplySink {
 public:
  void OnToken(const strata::resp::ReplyToken& t) override {
    using T = strata::resp::ReplyType;
    if (t.type == T::kArray || t.type == T::kMap || t.type == T::kSet || t.type == T::kPush ||
        t.type == T::kAttribute) {
      depth++;
    }
  }
  void EndAggregate() override {
    if (--depth < 0) __builtin_trap();
  }
  int64_t depth = 0;
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  strata::resp::ReplyLimits limits;
  if (data[0] & 1) limits.max_bulk_len = 64;
  if (data[0] & 2) limits.max_depth = 4;
  size_t split = data[1] % (size - 1);
  std::string input(reinterpret_cast<const char*>(data + 2), size - 2);
  strata::resp::ReplyParser parser;
  parser.set_limits(limits);
  DepthSink sink;
  std::string buf;
  for (int part = 0; part < 2; part++) {
    buf.append(part == 0 ? input.substr(0, split) : input.substr(split));
    for (;;) {
      size_t used = 0;
      auto st = parser.Parse(buf, &sink, &used);
      if (used > buf.size()) __builtin_trap();
      buf.erase(0, used);
      if (st == strata::resp::ReplyParser::Status::kError) return 0;
      if (st == strata::resp::ReplyParser::Status::kNeedMore) break;
      if (sink.depth != 0) __builtin_trap();
    }
  }
  return 0;
}
