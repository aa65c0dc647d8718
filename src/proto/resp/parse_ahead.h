// A pipeline parsed once, ahead of running it. The keys of the next commands are wanted before
// they run (kv/server/key_prefetch.h), and parsing them for that and again to run them cost a
// second parse per command. A connection instead parses up to kMax complete commands at once,
// prefetches their keys, and then runs them from here.
//
// The held arguments are views into the connection's input buffer. They stay valid while no read
// moves that buffer, and the commands stay right while the parser limits are those they were
// parsed under: Take() checks both and gives nothing when either changed (the caller then parses
// normally). The owner clears what is held whenever it stops running its input.
//
// Owned by one connection and touched only by the thread that runs it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "proto/resp/parser.h"

namespace strata::resp {

class ParsedAhead {
 public:
  static constexpr size_t kMax = 16;

  // Parses complete multibulk commands at the start of `input` (with this thread's scratch
  // parser) until kMax, the end of the input, or the first that is not one (incomplete, inline,
  // malformed: those are left to the connection's own parser). Replaces whatever was held;
  // returns how many are held now.
  size_t Fill(std::string_view input, const ParserLimits& limits);

  // The next held command if `input` (the unconsumed bytes now) starts where it did and the
  // limits are the same: its arguments and its length in bytes. Otherwise drops what is held.
  bool Take(std::string_view input, const ParserLimits& limits, std::vector<std::string_view>* args,
            size_t* consumed);

  void Clear() { n_ = next_ = 0; }
  size_t size() const { return n_ - next_; }

  // The arguments of the i-th command not yet taken (i < size()).
  std::span<const std::string_view> Args(size_t i) const {
    const Cmd& c = cmds_[next_ + i];
    return {args_.data() + c.first, c.count};
  }

 private:
  struct Cmd {
    const char* start;
    size_t consumed;
    uint32_t first;  // into args_
    uint32_t count;
  };
  Cmd cmds_[kMax];
  uint8_t n_ = 0;
  uint8_t next_ = 0;
  ParserLimits limits_;
  std::vector<std::string_view> args_;
};

}  // namespace strata::resp
