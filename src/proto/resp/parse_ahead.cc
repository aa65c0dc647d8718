#include "proto/resp/parse_ahead.h"

namespace strata::resp {

size_t ParsedAhead::Fill(std::string_view input, const ParserLimits& limits) {
  // Reused on this thread: filling allocates nothing once warm.
  thread_local RespParser parser;
  thread_local std::vector<std::string_view> one;
  n_ = next_ = 0;
  limits_ = limits;
  args_.clear();
  parser.Reset();
  while (n_ < kMax && !input.empty()) {
    size_t consumed = 0;
    if (parser.Parse(input, limits, &one, &consumed) != RespParser::Status::kCommand ||
        parser.last_was_inline()) {  // an inline command's arguments live in the parser
      break;
    }
    cmds_[n_++] = Cmd{input.data(), consumed, uint32_t(args_.size()), uint32_t(one.size())};
    args_.insert(args_.end(), one.begin(), one.end());
    input.remove_prefix(consumed);
  }
  parser.Reset();
  return n_;
}

bool ParsedAhead::Take(std::string_view input, const ParserLimits& limits,
                       std::vector<std::string_view>* args, size_t* consumed) {
  if (next_ == n_) return false;
  const Cmd& c = cmds_[next_];
  if (input.data() != c.start || input.size() < c.consumed || limits != limits_) {
    Clear();
    return false;
  }
  args->assign(args_.begin() + c.first, args_.begin() + c.first + c.count);
  *consumed = c.consumed;
  if (++next_ == n_) Clear();
  return true;
}

}  // namespace strata::resp
