#include "proto/memcache/parser.h"

#include <cctype>
#include <cstring>

namespace strata::memcache {
namespace {

constexpr const char* kBadFormat = "CLIENT_ERROR bad command line format";

struct CommandName {
  std::string_view name;
  Command cmd;
};

// Names are case-sensitive, as memcached's. Meta commands join this table when implemented.
constexpr CommandName kCommands[] = {
    {"get", Command::kGet},
    {"gets", Command::kGets},
    {"gat", Command::kGat},
    {"gats", Command::kGats},
    {"set", Command::kSet},
    {"add", Command::kAdd},
    {"replace", Command::kReplace},
    {"append", Command::kAppend},
    {"prepend", Command::kPrepend},
    {"cas", Command::kCas},
    {"incr", Command::kIncr},
    {"decr", Command::kDecr},
    {"touch", Command::kTouch},
    {"delete", Command::kDelete},
    {"flush_all", Command::kFlushAll},
    {"version", Command::kVersion},
    {"verbosity", Command::kVerbosity},
    {"quit", Command::kQuit},
    {"stats", Command::kStats},
};

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// Unsigned decimal that fits 64 bits (memcached's safe_strtoull: no sign, no junk).
bool ParseU64(std::string_view s, uint64_t* out) {
  if (!AllDigits(s)) return false;
  uint64_t v = 0;
  for (char c : s) {
    uint64_t d = uint64_t(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

// Signed decimal within int64 (memcached's safe_strtol).
bool ParseI64(std::string_view s, int64_t* out) {
  bool neg = !s.empty() && s[0] == '-';
  if (neg) s.remove_prefix(1);
  uint64_t v;
  if (!ParseU64(s, &v)) return false;
  if (v > (neg ? uint64_t(INT64_MAX) + 1 : uint64_t(INT64_MAX))) return false;
  *out = neg ? int64_t(0 - v) : int64_t(v);
  return true;
}

// Client flags: memcached parses an unsigned long and keeps its low 32 bits.
bool ParseFlags(std::string_view s, uint32_t* out) {
  uint64_t v;
  if (!ParseU64(s, &v)) return false;
  *out = uint32_t(v);
  return true;
}

// Keys are at most 250 bytes, without control characters (spaces already split tokens).
bool ValidKey(std::string_view k) {
  if (k.empty() || k.size() > Limits::kMaxKeyLen) return false;
  for (char c : k)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  return true;
}

// "GET / HTTP/1.0": a request line of HTTP/1.x sent to the memcached port.
bool LooksLikeHttpRequestLine(std::string_view line) {
  if (line.size() < 14) return false;
  if (line.substr(line.size() - 9, 7) != " HTTP/1") return false;
  size_t sp = line.find(' ');
  if (sp == std::string_view::npos || sp == 0) return false;
  for (size_t i = 0; i < sp; i++)
    if (!isupper(static_cast<unsigned char>(line[i]))) return false;
  return true;
}

// The start of a get/gets line (after up to 100 spaces): the only lines allowed to be long.
bool StartsGetLine(std::string_view buf) {
  size_t i = 0;
  while (i < buf.size() && i <= 100 && buf[i] == ' ') i++;
  std::string_view rest = buf.substr(i);
  return rest.substr(0, 4) == "get " || rest.substr(0, 5) == "gets ";
}

}  // namespace

void Parser::Reset() {
  tokens_.clear();
  wanted_ = 0;
  swallow_ = 0;
}

Parser::Status Parser::Error(const char* msg, bool silent) {
  error_ = msg;
  silent_ = silent;
  wanted_ = 0;
  return Status::kError;
}

Parser::Status Parser::Close(const char* msg) {
  error_ = msg;
  silent_ = false;
  Reset();
  return Status::kClose;
}

Parser::Status Parser::Parse(std::string_view buf, const Limits& limits, Request* req,
                             size_t* consumed) {
  *consumed = 0;
  if (swallow_ > 0) {  // the rest of a value too large to store
    size_t n = buf.size() < swallow_ ? buf.size() : size_t(swallow_);
    swallow_ -= n;
    *consumed = n;
    wanted_ = size_t(swallow_);
    if (swallow_ > 0) return Status::kNeedMore;
    buf.remove_prefix(n);
  }
  if (buf.empty()) return Status::kNeedMore;
  if (static_cast<unsigned char>(buf[0]) == 0x80) {
    return Close("CLIENT_ERROR binary protocol is not supported");
  }
  const void* nl = memchr(buf.data(), '\n', buf.size());
  if (!nl) {
    if (buf.size() > limits.max_line && (!StartsGetLine(buf) || buf.size() > limits.max_get_line))
      return Close("");
    return Status::kNeedMore;
  }
  size_t eol = size_t(static_cast<const char*>(nl) - buf.data());
  std::string_view line = buf.substr(0, eol);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  size_t skipped = *consumed;
  Status st = ParseLine(buf, line, eol + 1, limits, req, consumed);
  *consumed += skipped;
  return st;
}

Parser::Status Parser::ParseLine(std::string_view buf, std::string_view line, size_t line_len,
                                 const Limits& limits, Request* req, size_t* consumed) {
  *consumed = line_len;  // every outcome below but a storage command's uses just the line
  if (LooksLikeHttpRequestLine(line)) return Close("");
  tokens_.clear();
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') i++;
    size_t start = i;
    while (i < line.size() && line[i] != ' ') i++;
    if (i > start) tokens_.push_back(line.substr(start, i - start));
  }
  if (tokens_.empty()) return Error("ERROR");
  const CommandName* found = nullptr;
  for (const auto& c : kCommands)
    if (c.name == tokens_[0]) found = &c;
  if (!found) return Error("ERROR");
  *req = Request{};
  req->cmd = found->cmd;
  const size_t n = tokens_.size();
  const bool noreply_last = n > 1 && tokens_[n - 1] == "noreply";
  switch (req->cmd) {
    case Command::kGet:
    case Command::kGets:
    case Command::kGat:
    case Command::kGats: {
      bool touch = req->cmd == Command::kGat || req->cmd == Command::kGats;
      size_t first = touch ? 2 : 1;
      // "gat <exptime>" with no key is accepted (an empty answer); "get" alone is not.
      if (n < first || (!touch && n == first)) return Error("ERROR");
      if (touch && !ParseI64(tokens_[1], &req->exptime))
        return Error("CLIENT_ERROR invalid exptime argument");
      for (size_t k = first; k < n; k++) {
        if (!ValidKey(tokens_[k])) return Error(kBadFormat);
        req->keys.push_back(tokens_[k]);
      }
      return Status::kRequest;
    }
    case Command::kSet:
    case Command::kAdd:
    case Command::kReplace:
    case Command::kAppend:
    case Command::kPrepend:
    case Command::kCas:
      return Storage(buf, line_len, limits, req, consumed);
    case Command::kIncr:
    case Command::kDecr:
      if (n != 3 && n != 4) return Error("ERROR");
      req->noreply = n == 4 && noreply_last;
      if (!ValidKey(tokens_[1])) return Error(kBadFormat, req->noreply);
      req->key = tokens_[1];
      if (!ParseU64(tokens_[2], &req->delta))
        return Error("CLIENT_ERROR invalid numeric delta argument", req->noreply);
      return Status::kRequest;
    case Command::kTouch:
      if (n != 3 && n != 4) return Error("ERROR");
      req->noreply = n == 4 && noreply_last;
      if (!ValidKey(tokens_[1])) return Error(kBadFormat, req->noreply);
      req->key = tokens_[1];
      if (!ParseI64(tokens_[2], &req->exptime))
        return Error("CLIENT_ERROR invalid exptime argument", req->noreply);
      return Status::kRequest;
    case Command::kDelete: {
      if (n < 2 || n > 4) return Error("ERROR");
      req->noreply = n > 2 && noreply_last;
      // "delete <key> 0" is accepted for old clients; any other extra argument is an error.
      bool hold_zero = n > 2 && tokens_[2] == "0";
      bool valid = n == 2 || (n == 3 && (hold_zero || req->noreply)) ||
                   (n == 4 && hold_zero && req->noreply);
      if (!valid)
        return Error("CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]",
                     req->noreply);
      if (!ValidKey(tokens_[1])) return Error(kBadFormat, req->noreply);
      req->key = tokens_[1];
      return Status::kRequest;
    }
    case Command::kFlushAll:
      if (n > 3) return Error("ERROR");
      req->noreply = noreply_last;
      if (n == 1 || (n == 2 && req->noreply)) return Status::kRequest;
      if (!ParseI64(tokens_[1], &req->delay))
        return Error("CLIENT_ERROR invalid exptime argument", req->noreply);
      return Status::kRequest;
    case Command::kVerbosity: {
      if (n != 2 && n != 3) return Error("ERROR");
      req->noreply = noreply_last;
      uint32_t level;
      if (!ParseFlags(tokens_[1], &level)) return Error(kBadFormat, req->noreply);
      req->args.push_back(tokens_[1]);
      return Status::kRequest;
    }
    case Command::kVersion:
    case Command::kQuit:
      if (n != 1) return Error("ERROR");
      return Status::kRequest;
    case Command::kStats:
      for (size_t k = 1; k < n; k++) req->args.push_back(tokens_[k]);
      return Status::kRequest;
  }
  return Error("ERROR");
}

// "<cmd> <key> <flags> <exptime> <bytes> [<cas>] [noreply]\r\n<data>\r\n"
Parser::Status Parser::Storage(std::string_view buf, size_t line_len, const Limits& limits,
                               Request* req, size_t* consumed) {
  const size_t n = tokens_.size();
  const bool cas = req->cmd == Command::kCas;
  const size_t base = cas ? 6 : 5;
  if (n != base && n != base + 1) return Error("ERROR");
  req->noreply = n == base + 1 && tokens_[n - 1] == "noreply";
  if (tokens_[1].size() > Limits::kMaxKeyLen || !ValidKey(tokens_[1]))
    return Error(kBadFormat, req->noreply);
  req->key = tokens_[1];
  int64_t vlen;
  if (!ParseFlags(tokens_[2], &req->flags) || !ParseI64(tokens_[3], &req->exptime) ||
      !ParseI64(tokens_[4], &vlen))
    return Error(kBadFormat, req->noreply);
  if (cas && !ParseU64(tokens_[5], &req->cas)) return Error(kBadFormat, req->noreply);
  if (vlen < 0 || vlen > INT32_MAX - 2) return Error(kBadFormat, req->noreply);
  uint64_t total = uint64_t(vlen) + 2;
  if (req->key.size() + uint64_t(vlen) + kItemOverhead > limits.item_size_max) {
    // Skipped as it arrives, never buffered.
    req->too_large = true;
    swallow_ = total;
    wanted_ = 0;
    return Status::kRequest;
  }
  size_t need = line_len + size_t(total);
  if (buf.size() < need) {
    *consumed = 0;  // the line is read again with its data
    wanted_ = need - buf.size();
    return Status::kNeedMore;
  }
  wanted_ = 0;
  *consumed = need;
  if (buf[need - 2] != '\r' || buf[need - 1] != '\n')
    return Error("CLIENT_ERROR bad data chunk", req->noreply);
  req->data = buf.substr(line_len, size_t(vlen));
  return Status::kRequest;
}

}  // namespace strata::memcache
