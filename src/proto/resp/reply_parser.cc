#include "proto/resp/reply_parser.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "base/strutil.h"
#include "proto/resp/crlf.h"

namespace strata::resp {
namespace {

bool ParseDouble(std::string_view s, double* out) {
  if (s == "inf" || s == "+inf") {
    *out = HUGE_VAL;
    return true;
  }
  if (s == "-inf") {
    *out = -HUGE_VAL;
    return true;
  }
  if (s.empty() || s.size() > 400) return false;
  std::string tmp(s);
  char* end = nullptr;
  errno = 0;
  double v = strtod(tmp.c_str(), &end);
  if (end != tmp.c_str() + tmp.size()) return false;
  *out = v;
  return true;
}

}  // namespace

ReplyParser::Status ReplyParser::Fail(std::string msg) {
  error_ = std::move(msg);
  stack_.clear();
  return Status::kError;
}

bool ReplyParser::Complete(ReplySink* sink, bool was_attribute) {
  for (;;) {
    if (stack_.empty()) return !was_attribute;
    if (was_attribute) return false;  // an attribute inside an aggregate takes no slot
    Frame& top = stack_.back();
    if (--top.left > 0) return false;
    was_attribute = top.attribute;
    stack_.pop_back();
    sink->EndAggregate();
  }
}

ReplyParser::Status ReplyParser::Parse(std::string_view buf, ReplySink* sink, size_t* consumed) {
  *consumed = 0;
  size_t pos = 0;
  for (;;) {
    if (pos >= buf.size()) return Status::kNeedMore;
    size_t eol = FindCrlf(buf, pos + 1);
    if (eol == std::string_view::npos) {
      if (buf.size() - pos > limits_.max_line + 2) return Fail("reply line too long");
      return Status::kNeedMore;
    }
    const char kind = buf[pos];
    std::string_view line = buf.substr(pos + 1, eol - pos - 1);
    size_t next = eol + 2;
    ReplyToken tok{};
    bool aggregate = false;
    int64_t n = 0;
    switch (kind) {
      case '+':
        tok.type = ReplyType::kSimpleString;
        tok.data = line;
        break;
      case '-':
        tok.type = ReplyType::kError;
        tok.data = line;
        break;
      case ':':
        tok.type = ReplyType::kInteger;
        if (!ParseInt64(line, &tok.integer)) return Fail("invalid integer reply");
        break;
      case ',':
        tok.type = ReplyType::kDouble;
        if (!ParseDouble(line, &tok.dbl)) {
          if (line == "nan" || line == "-nan") {
            tok.dbl = NAN;
          } else {
            return Fail("invalid double reply");
          }
        }
        break;
      case '#':
        tok.type = ReplyType::kBool;
        if (line == "t") {
          tok.boolean = true;
        } else if (line != "f") {
          return Fail("invalid boolean reply");
        }
        break;
      case '(':
        tok.type = ReplyType::kBigNumber;
        if (line.empty()) return Fail("invalid big number reply");
        tok.data = line;
        break;
      case '_':
        if (!line.empty()) return Fail("invalid null reply");
        tok.type = ReplyType::kNull;
        break;
      case '$':
      case '=':
      case '!': {
        if (!ParseInt64(line, &n)) return Fail("invalid bulk length");
        if (n == -1 && kind == '$') {
          tok.type = ReplyType::kNull;
          break;
        }
        if (n < 0 || n > limits_.max_bulk_len) return Fail("invalid bulk length");
        if (buf.size() - next < size_t(n) + 2) return Status::kNeedMore;
        if (buf[next + n] != '\r' || buf[next + n + 1] != '\n') return Fail("bulk not terminated");
        tok.data = buf.substr(next, size_t(n));
        next += size_t(n) + 2;
        if (kind == '$') {
          tok.type = ReplyType::kBulk;
        } else if (kind == '!') {
          tok.type = ReplyType::kError;
        } else {
          tok.type = ReplyType::kVerbatim;
          if (tok.data.size() < 4 || tok.data[3] != ':') return Fail("invalid verbatim reply");
          tok.format = tok.data.substr(0, 3);
          tok.data.remove_prefix(4);
        }
        break;
      }
      case '*':
      case '%':
      case '~':
      case '>':
      case '|': {
        if (!ParseInt64(line, &n)) return Fail("invalid aggregate length");
        if (n == -1 && kind == '*') {
          tok.type = ReplyType::kNull;
          break;
        }
        if (n < 0 || n > limits_.max_elements) return Fail("invalid aggregate length");
        if (stack_.size() >= limits_.max_depth) return Fail("replies nested too deeply");
        aggregate = true;
        tok.integer = n;
        tok.type = kind == '*'   ? ReplyType::kArray
                   : kind == '%' ? ReplyType::kMap
                   : kind == '~' ? ReplyType::kSet
                   : kind == '>' ? ReplyType::kPush
                                 : ReplyType::kAttribute;
        break;
      }
      default:
        return Fail(std::string("unknown reply type byte '") + kind + "'");
    }
    sink->OnToken(tok);
    pos = next;
    *consumed = pos;
    bool done;
    if (aggregate) {
      const bool pairs = tok.type == ReplyType::kMap || tok.type == ReplyType::kAttribute;
      int64_t elems = pairs ? n * 2 : n;
      if (elems > 0) {
        stack_.push_back(Frame{elems, tok.type == ReplyType::kAttribute});
        continue;
      }
      sink->EndAggregate();
      done = Complete(sink, tok.type == ReplyType::kAttribute);
    } else {
      done = Complete(sink, false);
    }
    if (done) return Status::kReply;
  }
}

}  // namespace strata::resp
