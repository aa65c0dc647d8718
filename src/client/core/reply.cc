#include <cmath>
#include <cstdlib>
#include <string>

#include "base/strutil.h"
#include "core/reply_tree.h"
#include "strata/error.h"
#include "strata/reply.h"

namespace strata {

int64_t Reply::as_integer() const {
  if (type_ == Type::kInteger || type_ == Type::kBool) return integer_;
  int64_t v = 0;
  if ((type_ == Type::kString || type_ == Type::kStatus || type_ == Type::kBigNumber) &&
      ParseInt64(str_, &v)) {
    return v;
  }
  throw ProtocolError("reply is not an integer: " + ToString());
}

double Reply::as_double() const {
  if (type_ == Type::kDouble) return dbl_;
  if (type_ == Type::kInteger) return static_cast<double>(integer_);
  if (type_ == Type::kString || type_ == Type::kStatus) {
    if (str_ == "inf" || str_ == "+inf") return HUGE_VAL;
    if (str_ == "-inf") return -HUGE_VAL;
    char* end = nullptr;
    double v = strtod(str_.c_str(), &end);
    if (!str_.empty() && end == str_.c_str() + str_.size()) return v;
  }
  throw ProtocolError("reply is not a number: " + ToString());
}

std::string_view Reply::error_code() const {
  if (type_ != Type::kError) return {};
  std::string_view s(str_);
  return s.substr(0, s.find(' '));
}

std::string Reply::ToString() const {
  switch (type_) {
    case Type::kNil:
      return "(nil)";
    case Type::kStatus:
    case Type::kBigNumber:
      return str_;
    case Type::kError:
      return "(error) " + str_;
    case Type::kInteger:
      return "(integer) " + std::to_string(integer_);
    case Type::kString:
    case Type::kVerbatim:
      return "\"" + str_ + "\"";
    case Type::kDouble:
      return "(double) " + std::to_string(dbl_);
    case Type::kBool:
      return integer_ ? "(true)" : "(false)";
    default: {
      std::string out = "[";
      for (size_t i = 0; i < elements_.size(); i++) {
        if (i) out += ", ";
        out += elements_[i].ToString();
      }
      return out + "]";
    }
  }
}

namespace client {

void ReplyTree::OnToken(const resp::ReplyToken& t) {
  using RT = resp::ReplyType;
  const bool discard = !stack_.empty() && stack_.back().node == nullptr;
  if (t.type == RT::kAttribute || discard) {
    const bool aggregate = t.type == RT::kArray || t.type == RT::kMap || t.type == RT::kSet ||
                           t.type == RT::kPush || t.type == RT::kAttribute;
    if (aggregate) stack_.push_back(Open{nullptr});
    return;
  }
  Reply r;
  switch (t.type) {
    case RT::kSimpleString:
      r = Reply(Reply::Type::kStatus, std::string(t.data));
      break;
    case RT::kError:
      r = Reply(Reply::Type::kError, std::string(t.data));
      break;
    case RT::kInteger:
      r = Reply(Reply::Type::kInteger);
      r.set_integer(t.integer);
      break;
    case RT::kBulk:
      r = Reply(Reply::Type::kString, std::string(t.data));
      break;
    case RT::kNull:
      break;
    case RT::kDouble:
      r = Reply(Reply::Type::kDouble);
      r.set_double(t.dbl);
      break;
    case RT::kBool:
      r = Reply(Reply::Type::kBool);
      r.set_integer(t.boolean ? 1 : 0);
      break;
    case RT::kBigNumber:
      r = Reply(Reply::Type::kBigNumber, std::string(t.data));
      break;
    case RT::kVerbatim:
      r = Reply(Reply::Type::kVerbatim, std::string(t.data));
      break;
    case RT::kArray:
      r = Reply(Reply::Type::kArray);
      break;
    case RT::kMap:
      r = Reply(Reply::Type::kMap);
      break;
    case RT::kSet:
      r = Reply(Reply::Type::kSet);
      break;
    case RT::kPush:
      r = Reply(Reply::Type::kPush);
      break;
    case RT::kAttribute:
      break;
  }
  const bool aggregate =
      t.type == RT::kArray || t.type == RT::kMap || t.type == RT::kSet || t.type == RT::kPush;
  if (aggregate) {
    const int64_t n = t.type == RT::kMap ? 2 * t.integer : t.integer;
    r.elements().reserve(static_cast<size_t>(n < 1024 ? n : 1024));
  }
  Reply* placed;
  if (stack_.empty()) {
    root_ = std::move(r);
    placed = &root_;
  } else {
    auto& parent = stack_.back().node->elements();
    parent.push_back(std::move(r));
    placed = &parent.back();
  }
  if (aggregate) stack_.push_back(Open{placed});
}

}  // namespace client
}  // namespace strata
