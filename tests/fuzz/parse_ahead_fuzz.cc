// Fuzzes the pipeline window (proto/resp/parse_ahead.h) against the plain parser: the input is
// split at fuzzer-chosen points into reads, and each read is run the way a connection runs its
// input, once through the parser alone and once through the window with the parser behind it.
// Both must yield the same commands, with the same arguments, and end the same way. The buffer
// is compacted before each read as the connection's is, which moves what a window points into,
// and the limits change at a fuzzer-chosen command as AUTH or RESET change them. A window may
// also be left filled across a read, which must then give nothing.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "proto/resp/parse_ahead.h"
#include "proto/resp/parser.h"

namespace {

using strata::resp::ParsedAhead;
using strata::resp::ParserLimits;
using strata::resp::RespParser;

struct Outcome {
  std::vector<std::vector<std::string>> commands;
  int end = 0;  // 0: input used up; else 1 + the status that stopped it
};

ParserLimits LimitsAt(size_t command, uint8_t flags, size_t change_at) {
  ParserLimits l;
  l.unauthenticated = (flags & 1) != (command >= change_at);
  l.max_bulk_len = (flags & 2) ? 64 : 512LL * 1024 * 1024;
  return l;
}

Outcome Run(const std::vector<std::string>& reads, uint8_t flags, size_t change_at, bool window) {
  Outcome out;
  RespParser parser;
  ParsedAhead ahead;
  std::string buf;  // as the connection's input buffer: [begin, size) is unconsumed
  size_t begin = 0;
  std::vector<std::string_view> args;
  for (const std::string& r : reads) {
    buf.erase(0, begin);  // the read compacts first: the bytes move
    begin = 0;
    buf += r;
    if (window && (flags & 4)) {
      // A window filled early (as the read-ahead does), then the buffer grown elsewhere before
      // the input runs: what the window holds must not be used.
      ParserLimits limits = LimitsAt(out.commands.size(), flags, change_at);
      if (!limits.unauthenticated && !parser.InProgress()) {
        ahead.Fill(std::string_view(buf.data() + begin, buf.size() - begin), limits);
      }
      std::string grown;
      grown.reserve(2 * buf.capacity() + 64);
      grown = buf;
      buf.swap(grown);
    }
    for (;;) {
      ParserLimits limits = LimitsAt(out.commands.size(), flags, change_at);
      std::string_view in(buf.data() + begin, buf.size() - begin);
      size_t consumed = 0;
      bool held = window && ahead.Take(in, limits, &args, &consumed);
      if (window && !held && !limits.unauthenticated && !parser.InProgress() &&
          ahead.Fill(in, limits) > 0) {
        held = ahead.Take(in, limits, &args, &consumed);
        if (!held) __builtin_trap();  // a fresh window always gives its first command
      }
      auto st = held ? RespParser::Status::kCommand : parser.Parse(in, limits, &args, &consumed);
      if (consumed > in.size()) __builtin_trap();
      if (st == RespParser::Status::kNeedMore) {
        begin += consumed;
        break;
      }
      if (st != RespParser::Status::kCommand) {
        out.end = 1 + int(st);
        return out;
      }
      out.commands.emplace_back(args.begin(), args.end());
      begin += consumed;
    }
    ahead.Clear();  // the connection drops the window when it stops running its input
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  uint8_t flags = data[0];
  size_t change_at = data[1] % 24;
  size_t split1 = data[2], split2 = data[3];
  std::string input(reinterpret_cast<const char*>(data + 4), size - 4);
  std::vector<std::string> reads;
  size_t a = input.empty() ? 0 : split1 % (input.size() + 1);
  size_t b = a + (input.size() - a == 0 ? 0 : split2 % (input.size() - a + 1));
  reads.push_back(input.substr(0, a));
  reads.push_back(input.substr(a, b - a));
  reads.push_back(input.substr(b));
  Outcome plain = Run(reads, flags, change_at, false);
  Outcome windowed = Run(reads, flags, change_at, true);
  if (plain.end != windowed.end || plain.commands != windowed.commands) __builtin_trap();
  return 0;
}
