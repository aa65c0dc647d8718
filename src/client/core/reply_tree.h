// ReplyTree: the ReplySink that builds strata::Reply values from the RESP reply tokenizer.
// Attributes are read and dropped (no command of ours asks for them). I/O thread only.
#pragma once

#include <utility>
#include <vector>

#include "proto/resp/reply_parser.h"
#include "strata/reply.h"

namespace strata::client {

class ReplyTree : public resp::ReplySink {
 public:
  void OnToken(const resp::ReplyToken& t) override;
  void EndAggregate() override { stack_.pop_back(); }
  // The reply completed by the last Parse() that returned kReply.
  Reply Take() { return std::exchange(root_, Reply()); }

 private:
  struct Open {
    Reply* node;  // nullptr while inside an attribute
  };
  std::vector<Open> stack_;
  Reply root_;
};

}  // namespace strata::client
