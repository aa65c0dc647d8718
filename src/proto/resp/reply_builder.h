// ReplyBuilder: serialises replies in RESP2 or RESP3 into a caller-owned byte string.
//
// Command code speaks in types (null, map, set, double, bool, verbatim text); the builder picks
// the wire form for the connection's protocol, so one handler serves both RESP2 and RESP3
// clients. It only appends bytes: flushing is the connection's job (one write per batch).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace strata::resp {

class ReplyBuilder {
 public:
  explicit ReplyBuilder(std::string* out, int proto = 2) : out_(out), proto_(proto) {}

  int proto() const { return proto_; }
  void set_proto(int proto) { proto_ = proto; }
  std::string* out() { return out_; }
  void set_out(std::string* out) { out_ = out; }

  void SimpleString(std::string_view s);
  void Ok() { out_->append("+OK\r\n", 5); }
  // `msg` is the whole error line without the leading '-', e.g. "ERR syntax error".
  void Error(std::string_view msg);
  void Integer(int64_t v);
  void Bulk(std::string_view s);
  void Null();       // RESP2 "$-1", RESP3 "_"
  void NullArray();  // RESP2 "*-1", RESP3 "_"
  void ArrayHeader(size_t n);
  void MapHeader(size_t n);  // n key/value pairs; RESP2 sends a flat array of 2n
  void SetHeader(size_t n);
  void PushHeader(size_t n);
  void Double(double v);
  // A number already formatted (e.g. a long double in human form): RESP3 double, RESP2 bulk.
  void DoubleText(std::string_view text);
  void Bool(bool v);
  void Verbatim(std::string_view text, std::string_view format = "txt");
  // Appends pre-serialised bytes.
  void Raw(std::string_view bytes) { out_->append(bytes); }

  // Protocol-independent helpers.
  void BulkOrNull(const std::string_view* s) {
    if (s)
      Bulk(*s);
    else
      Null();
  }

 private:
  void Header(char type, int64_t n);

  std::string* out_;
  int proto_;
};

}  // namespace strata::resp
