// strata::Reply: one server reply, RESP2 or RESP3, as a value.
//
// Scalars keep their text (bulk strings, simple strings, errors, big numbers, verbatim text) or
// their number; aggregates keep their elements in order. A map keeps its keys and values
// alternating in elements() (k0, v0, k1, v1, ...), which is also how RESP2 sends them, so code
// that reads a map works on both protocols. Errors are replies too: Client::Command() turns them
// into ServerError exceptions, Client::Pipeline() hands them back as they are.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace strata {

class Reply {
 public:
  enum class Type : uint8_t {
    kNil,
    kStatus,  // +OK
    kError,
    kInteger,
    kString,  // bulk string
    kDouble,
    kBool,
    kBigNumber,
    kVerbatim,
    kArray,
    kMap,
    kSet,
    kPush,
  };

  Reply() = default;
  static Reply Nil() { return Reply(); }
  static Reply Status(std::string s) { return Reply(Type::kStatus, std::move(s)); }
  static Reply Error(std::string s) { return Reply(Type::kError, std::move(s)); }
  static Reply String(std::string s) { return Reply(Type::kString, std::move(s)); }
  static Reply Integer(int64_t v) {
    Reply r(Type::kInteger);
    r.integer_ = v;
    return r;
  }
  static Reply Aggregate(Type t, std::vector<Reply> elements) {
    Reply r(t);
    r.elements_ = std::move(elements);
    return r;
  }

  Type type() const { return type_; }
  bool is_nil() const { return type_ == Type::kNil; }
  bool is_error() const { return type_ == Type::kError; }
  bool is_string() const { return type_ == Type::kString || type_ == Type::kVerbatim; }
  bool is_integer() const { return type_ == Type::kInteger; }
  bool is_aggregate() const {
    return type_ == Type::kArray || type_ == Type::kMap || type_ == Type::kSet ||
           type_ == Type::kPush;
  }

  // The text of a string, status, error, big number or verbatim reply (empty otherwise).
  const std::string& str() const { return str_; }
  std::string take_str() { return std::move(str_); }
  int64_t integer() const { return integer_; }
  double dbl() const { return dbl_; }
  bool boolean() const { return integer_ != 0; }
  const std::vector<Reply>& elements() const { return elements_; }
  std::vector<Reply>& elements() { return elements_; }
  size_t size() const { return elements_.size(); }
  const Reply& operator[](size_t i) const { return elements_[i]; }

  // A bulk string as a value, nil as nullopt (GET's reply).
  std::optional<std::string> as_optional() const {
    if (is_nil()) return std::nullopt;
    return str_;
  }
  // A number from an integer reply, or from a string/double reply holding one (RESP2 sends
  // scores as strings); throws ProtocolError otherwise.
  int64_t as_integer() const;
  double as_double() const;
  // The error code of an error reply: its first word ("ERR", "WRONGTYPE", "NOSCRIPT").
  std::string_view error_code() const;
  // Debug form, like redis-cli's.
  std::string ToString() const;

  // Construction from the wire (core/reply_builder.h).
  Reply(Type t, std::string s = {}) : type_(t), str_(std::move(s)) {}
  void set_integer(int64_t v) { integer_ = v; }
  void set_double(double v) { dbl_ = v; }

 private:
  Type type_ = Type::kNil;
  std::string str_;
  int64_t integer_ = 0;
  double dbl_ = 0;
  std::vector<Reply> elements_;
};

}  // namespace strata
