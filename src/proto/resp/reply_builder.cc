#include "proto/resp/reply_builder.h"

#include "base/strutil.h"

namespace strata::resp {

void ReplyBuilder::Header(char type, int64_t n) {
  char buf[32];
  buf[0] = type;
  size_t len = 1 + FormatInt64(n, buf + 1);
  buf[len++] = '\r';
  buf[len++] = '\n';
  out_->append(buf, len);
}

void ReplyBuilder::SimpleString(std::string_view s) {
  out_->push_back('+');
  out_->append(s);
  out_->append("\r\n", 2);
}

void ReplyBuilder::Error(std::string_view msg) {
  out_->push_back('-');
  // Error lines must not contain newlines (Redis replaces them with spaces).
  for (char c : msg) out_->push_back(c == '\r' || c == '\n' ? ' ' : c);
  out_->append("\r\n", 2);
}

void ReplyBuilder::Integer(int64_t v) { Header(':', v); }

void ReplyBuilder::Bulk(std::string_view s) {
  Header('$', int64_t(s.size()));
  out_->append(s);
  out_->append("\r\n", 2);
}

void ReplyBuilder::Null() {
  if (proto_ >= 3)
    out_->append("_\r\n", 3);
  else
    out_->append("$-1\r\n", 5);
}

void ReplyBuilder::NullArray() {
  if (proto_ >= 3)
    out_->append("_\r\n", 3);
  else
    out_->append("*-1\r\n", 5);
}

void ReplyBuilder::ArrayHeader(size_t n) { Header('*', int64_t(n)); }

void ReplyBuilder::MapHeader(size_t n) {
  if (proto_ >= 3)
    Header('%', int64_t(n));
  else
    Header('*', int64_t(n * 2));
}

void ReplyBuilder::SetHeader(size_t n) { Header(proto_ >= 3 ? '~' : '*', int64_t(n)); }

void ReplyBuilder::PushHeader(size_t n) { Header(proto_ >= 3 ? '>' : '*', int64_t(n)); }

void ReplyBuilder::Double(double v) {
  std::string s = DoubleToString(v);
  if (proto_ >= 3) {
    out_->push_back(',');
    out_->append(s);
    out_->append("\r\n", 2);
  } else {
    Bulk(s);
  }
}

void ReplyBuilder::DoubleText(std::string_view text) {
  if (proto_ >= 3) {
    out_->push_back(',');
    out_->append(text);
    out_->append("\r\n", 2);
  } else {
    Bulk(text);
  }
}

void ReplyBuilder::Bool(bool v) {
  if (proto_ >= 3)
    out_->append(v ? "#t\r\n" : "#f\r\n", 4);
  else
    Integer(v ? 1 : 0);
}

void ReplyBuilder::Verbatim(std::string_view text, std::string_view format) {
  if (proto_ < 3) {
    Bulk(text);
    return;
  }
  Header('=', int64_t(text.size() + 4));
  out_->append(format);
  out_->push_back(':');
  out_->append(text);
  out_->append("\r\n", 2);
}

}  // namespace strata::resp
