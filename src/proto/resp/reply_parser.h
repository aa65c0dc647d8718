// ReplyParser: incremental parser for server replies in RESP2 and RESP3 (the client side of the
// protocol; RespParser parses requests).
//
// It is a streaming tokenizer: each complete token (a scalar, or the header of an aggregate) is
// handed to a ReplySink as soon as its bytes are all in the buffer, and the caller discards what
// was consumed. A large bulk is therefore scanned once, and an aggregate split across reads is
// built as its parts arrive. The parser keeps only the nesting stack; the sink builds whatever it
// likes (a tree, a count, nothing). Every length is checked against its limit before the sink sees
// it, and nesting is bounded, so hostile input cannot make it allocate or recurse without bound.
//
// RESP3 attributes ('|') are passed to the sink like a map, flagged as an attribute; they do not
// count as an element of the aggregate they sit in, and the reply they decorate follows them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace strata::resp {

enum class ReplyType : uint8_t {
  kSimpleString,  // +
  kError,         // -  and RESP3 blob error !
  kInteger,       // :
  kBulk,          // $
  kNull,          // RESP3 _, RESP2 $-1 and *-1
  kDouble,        // ,
  kBool,          // #
  kBigNumber,     // (
  kVerbatim,      // =  (data excludes the "txt:" prefix, format() holds it)
  kArray,         // *
  kMap,           // %  (count = pairs)
  kSet,           // ~
  kPush,          // >
  kAttribute,     // |  (count = pairs)
};

struct ReplyToken {
  ReplyType type;
  std::string_view data;    // scalar text / payload; valid only during the sink call
  int64_t integer = 0;      // kInteger; aggregates: element count (pairs for maps, attributes)
  double dbl = 0;           // kDouble
  bool boolean = false;     // kBool
  std::string_view format;  // kVerbatim: "txt", "mkd"
};

class ReplySink {
 public:
  virtual ~ReplySink() = default;
  // One token. Aggregate headers are followed by their elements (2 x count tokens' worth of
  // values for maps and attributes); EndAggregate() closes each non-empty and empty aggregate.
  virtual void OnToken(const ReplyToken& token) = 0;
  virtual void EndAggregate() = 0;
};

struct ReplyLimits {
  int64_t max_bulk_len = 512LL * 1024 * 1024;
  int64_t max_elements = 1LL << 32;
  size_t max_depth = 128;
  size_t max_line = 64 * 1024;  // longest simple string / error / number line
};

class ReplyParser {
 public:
  enum class Status { kReply, kNeedMore, kError };

  // Feeds the unconsumed bytes. Returns kReply when a whole top-level reply has been handed to
  // the sink (*consumed = the bytes through it; call again for the next), kNeedMore when the
  // buffer ends inside one (*consumed = the bytes of its complete tokens, which may be 0), or
  // kError (error() says why; the stream is unusable). Top-level attributes alone are not a reply.
  Status Parse(std::string_view buf, ReplySink* sink, size_t* consumed);

  const std::string& error() const { return error_; }
  void set_limits(const ReplyLimits& limits) { limits_ = limits; }
  // Whether a reply is partly parsed.
  bool InProgress() const { return !stack_.empty(); }
  void Reset() { stack_.clear(); }

 private:
  struct Frame {
    int64_t left;    // elements still to come
    bool attribute;  // an attribute: its completion does not count in the parent
  };
  Status Fail(std::string msg);
  // Called after a complete value (a scalar, or an aggregate's last element); returns true when
  // that completed a top-level reply.
  bool Complete(ReplySink* sink, bool was_attribute);

  std::vector<Frame> stack_;
  ReplyLimits limits_;
  std::string error_;
};

}  // namespace strata::resp
