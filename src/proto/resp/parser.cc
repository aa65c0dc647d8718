#include "proto/resp/parser.h"

#include <cctype>
#include <cstring>

#include "base/strutil.h"
#include "proto/resp/crlf.h"

namespace strata::resp {
namespace {

// Integer in a "*N" / "$N" header: Redis's string2ll rules (so "+5", " 5", "05" are invalid).
bool ParseLen(std::string_view s, int64_t* out) { return ParseInt64(s, out); }

// "GET /path HTTP/1.1" and friends: a request line of HTTP/1.x.
bool LooksLikeHttpRequestLine(std::string_view line) {
  if (line.size() < 14) return false;
  if (line.substr(line.size() - 9, 7) != " HTTP/1" && line.substr(line.size() - 8, 6) != "HTTP/1")
    return false;
  size_t sp = line.find(' ');
  if (sp == std::string_view::npos || sp == 0) return false;
  for (size_t i = 0; i < sp; i++) {
    if (!isupper(static_cast<unsigned char>(line[i]))) return false;
  }
  return true;
}

}  // namespace

void RespParser::Reset() {
  multibulk_left_ = 0;
  bulk_len_ = -1;
  pos_ = 0;
  spans_.clear();
  wanted_ = 0;
}

RespParser::Status RespParser::Fail(const char* msg) {
  error_ = msg;
  Reset();
  return Status::kError;
}

RespParser::Status RespParser::Parse(std::string_view buf, const ParserLimits& limits,
                                     std::vector<std::string_view>* args, size_t* consumed) {
  *consumed = 0;
  for (;;) {
    if (buf.empty()) return Status::kNeedMore;
    if (multibulk_left_ == 0 && pos_ == 0 && buf[0] != '*') {
      size_t used = 0;
      Status st = ParseInline(buf, args, &used);
      last_inline_ = true;
      *consumed += used;
      if (st == Status::kCommand && args->empty()) {  // empty line: skip
        buf.remove_prefix(used);
        continue;
      }
      return st;
    }
    size_t used = 0;
    last_inline_ = false;
    Status st = ParseMultibulk(buf, limits, args, &used);
    *consumed += used;
    if (st == Status::kCommand && args->empty()) {  // "*0" / "*-1": nothing to run
      buf.remove_prefix(used);
      continue;
    }
    return st;
  }
}

RespParser::Status RespParser::ParseInline(std::string_view buf,
                                           std::vector<std::string_view>* args, size_t* consumed) {
  const void* nl = memchr(buf.data(), '\n', buf.size());
  if (!nl) {
    if (buf.size() > kInlineMax) return Fail("Protocol error: too big inline request");
    return Status::kNeedMore;
  }
  size_t eol = size_t(static_cast<const char*>(nl) - buf.data());
  if (eol > kInlineMax) return Fail("Protocol error: too big inline request");
  std::string_view line = buf.substr(0, eol);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  *consumed = eol + 1;
  if (LooksLikeHttpRequestLine(line)) return Status::kHttp;
  spans_.clear();
  if (!SplitArgs(line, &inline_storage_, &spans_)) {
    return Fail("Protocol error: unbalanced quotes in request");
  }
  args->clear();
  for (auto [off, len] : spans_) args->emplace_back(inline_storage_.data() + off, len);
  spans_.clear();
  return Status::kCommand;
}

RespParser::Status RespParser::ParseMultibulk(std::string_view buf, const ParserLimits& limits,
                                              std::vector<std::string_view>* args,
                                              size_t* consumed) {
  if (multibulk_left_ == 0) {
    // Header "*<count>\r\n".
    size_t crlf = FindCrlf(buf, 0);
    if (crlf == std::string_view::npos) {
      if (buf.size() > kInlineMax) return Fail("Protocol error: too big mbulk count string");
      return Status::kNeedMore;
    }
    if (crlf > kInlineMax) return Fail("Protocol error: too big mbulk count string");
    int64_t count;
    if (!ParseLen(buf.substr(1, crlf - 1), &count) || count > limits.max_multibulk_len)
      return Fail("Protocol error: invalid multibulk length");
    if (limits.unauthenticated && count > kUnauthMaxArgs)
      return Fail("Protocol error: unauthenticated multibulk length");
    if (count <= 0) {
      *consumed = crlf + 2;
      args->clear();
      return Status::kCommand;
    }
    multibulk_left_ = count;
    bulk_len_ = -1;
    pos_ = crlf + 2;
    spans_.clear();
    spans_.reserve(size_t(count < 1024 ? count : 1024));
  }
  while (multibulk_left_ > 0) {
    if (bulk_len_ < 0) {
      if (pos_ >= buf.size()) return Status::kNeedMore;
      size_t crlf = FindCrlf(buf, pos_);
      if (crlf == std::string_view::npos) {
        if (buf.size() - pos_ > kInlineMax)
          return Fail("Protocol error: too big bulk count string");
        return Status::kNeedMore;
      }
      if (crlf - pos_ > kInlineMax) return Fail("Protocol error: too big bulk count string");
      if (buf[pos_] != '$') {
        char msg[64];
        snprintf(msg, sizeof(msg), "Protocol error: expected '$', got '%c'", buf[pos_]);
        error_ = msg;
        Reset();
        return Status::kError;
      }
      int64_t len;
      if (!ParseLen(buf.substr(pos_ + 1, crlf - pos_ - 1), &len) || len < 0 ||
          len > limits.max_bulk_len)
        return Fail("Protocol error: invalid bulk length");
      if (limits.unauthenticated && len > kUnauthMaxBulk)
        return Fail("Protocol error: unauthenticated bulk length");
      bulk_len_ = len;
      pos_ = crlf + 2;
    }
    size_t need = pos_ + size_t(bulk_len_) + 2;
    if (buf.size() < need) {
      wanted_ = need - buf.size();
      return Status::kNeedMore;
    }
    if (buf[need - 2] != '\r' || buf[need - 1] != '\n') {
      // Redis silently trusts the length; a missing CRLF means the stream is desynchronised.
      return Fail("Protocol error: expected '\\r\\n' after bulk");
    }
    spans_.emplace_back(pos_, size_t(bulk_len_));
    pos_ = need;
    bulk_len_ = -1;
    multibulk_left_--;
  }
  args->clear();
  for (auto [off, len] : spans_) args->emplace_back(buf.data() + off, len);
  *consumed = pos_;
  pos_ = 0;
  wanted_ = 0;
  spans_.clear();
  return Status::kCommand;
}

}  // namespace strata::resp
