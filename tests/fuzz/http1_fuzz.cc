// libFuzzer target for the strict HTTP/1.1 parser. Besides "no crash / no sanitizer report" it
// checks the properties that rule out request smuggling:
//  - parsing is deterministic and incremental parsing of any prefix never disagrees with the
//    one-shot result (a prefix is either "need more" or the very same verdict);
//  - a parsed head re-parses identically from its own raw bytes;
//  - the body decoder gives the same payload and the same end offset whether fed at once or
//    byte by byte, so exactly one boundary is ever found for the next request.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "proto/http1/body.h"
#include "proto/http1/parser.h"

using namespace strata::http1;

namespace {

void Check(bool cond) {
  if (!cond) abort();
}

struct BodyResult {
  ParseStatus status;
  std::string payload;
  size_t consumed;
};

BodyResult DecodeBody(BodyFraming f, uint64_t len, std::string_view in, size_t step) {
  BodyReader r;
  Limits lim;
  r.Reset(f, len, lim);
  BodyResult res{ParseStatus::kNeedMore, {}, 0};
  std::string window;
  size_t fed = 0;
  while (res.status == ParseStatus::kNeedMore && fed < in.size()) {
    size_t n = std::min(step, in.size() - fed);
    window.append(in.substr(fed, n));
    fed += n;
    size_t consumed = 0;
    ParseError err;
    res.status = r.Feed(window, &consumed, &res.payload, &err);
    Check(consumed <= window.size());
    window.erase(0, consumed);
    res.consumed += consumed;
  }
  if (f == BodyFraming::kNone || (f == BodyFraming::kContentLength && len == 0))
    res.status = ParseStatus::kDone;
  return res;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 16384) return 0;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  Limits lim;
  lim.max_head_bytes = 8192;

  // The first byte selects request or response mode.
  bool response = size > 0 && (data[0] & 1);
  if (size > 0) in.remove_prefix(1);

  ParseError err, err2;
  size_t consumed = 0, consumed2 = 0;
  ParseStatus st;
  BodyFraming framing = BodyFraming::kNone;
  uint64_t clen = 0;
  if (!response) {
    RequestHead h, h2;
    st = ParseRequest(in, lim, &h, &consumed, &err);
    Check(ParseRequest(in, lim, &h2, &consumed2, &err2) == st && err == err2);
    if (st == ParseStatus::kDone) {
      Check(consumed <= in.size() && consumed2 == consumed);
      RequestHead again;
      size_t c3;
      ParseError e3;
      Check(ParseRequest(h.raw, lim, &again, &c3, &e3) == ParseStatus::kDone);
      Check(again.framing == h.framing && again.content_length == h.content_length);
      Check(again.FieldCount() == h.FieldCount());
      framing = h.framing;
      clen = h.content_length;
      for (size_t i = 0; i < h.FieldCount(); i++) {
        for (char c : h.Value(i)) Check(c != '\r' && c != '\n' && c != '\0');
      }
    }
    // Every strict prefix either needs more or reaches the same verdict.
    for (size_t cut : {size_t(1), in.size() / 2, in.size() > 0 ? in.size() - 1 : 0}) {
      if (cut >= in.size()) continue;
      RequestHead p;
      size_t pc = 0;
      ParseError pe;
      ParseStatus ps = ParseRequest(in.substr(0, cut), lim, &p, &pc, &pe);
      if (ps == ParseStatus::kDone) Check(st == ParseStatus::kDone && pc == consumed);
      if (ps == ParseStatus::kError) Check(st == ParseStatus::kError);
    }
  } else {
    ResponseHead h;
    st = ParseResponse(in, lim, "GET", &h, &consumed, &err);
    if (st == ParseStatus::kDone) {
      framing = h.framing;
      clen = h.content_length;
    }
  }
  if (st != ParseStatus::kDone) return 0;
  if (framing == BodyFraming::kUntilClose) return 0;
  if (clen > 1 << 20) clen = 1 << 20;
  std::string_view body = in.substr(consumed);
  BodyResult whole = DecodeBody(framing, clen, body, body.size() + 1);
  BodyResult bytewise = DecodeBody(framing, clen, body, 1);
  Check(whole.status == bytewise.status);
  if (whole.status == ParseStatus::kDone) {
    Check(whole.payload == bytewise.payload);
    Check(whole.consumed == bytewise.consumed);
  }
  return 0;
}
