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
    {"mg", Command::kMetaGet},
    {"ms", Command::kMetaSet},
    {"md", Command::kMetaDelete},
    {"ma", Command::kMetaArith},
    {"mn", Command::kMetaNoop},
    {"me", Command::kMetaDebug},
};

// memcached's limits on meta commands: at most 19 tokens before the line's end, opaque tokens
// of at most 32 bytes.
constexpr size_t kMaxMetaTokens = 19;
constexpr size_t kMaxOpaque = 32;

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

// A signed 32-bit decimal (memcached's safe_strtol, used by meta TTL flags).
bool ParseI32(std::string_view s, int64_t* out) {
  int64_t v;
  if (!ParseI64(s, &v) || v < INT32_MIN || v > INT32_MAX) return false;
  *out = v;
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

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

// As memcached decodes meta keys: characters outside the alphabet are skipped; the rest must be
// whole quads; decoding ends with the first quad holding padding.
bool Base64Decode(std::string_view in, std::string* out) {
  out->clear();
  size_t valid = 0;
  for (char c : in)
    if (Base64Value(c) >= 0 || c == '=') valid++;
  if (valid == 0 || valid % 4 != 0) return false;
  uint32_t quad[4];
  int n = 0, pad = 0;
  for (char c : in) {
    int v = c == '=' ? 0 : Base64Value(c);
    if (v < 0) continue;
    if (c == '=') pad++;
    quad[n++] = uint32_t(v);
    if (n < 4) continue;
    n = 0;
    out->push_back(char((quad[0] << 2) | (quad[1] >> 4)));
    out->push_back(char((quad[1] << 4) | (quad[2] >> 2)));
    out->push_back(char((quad[2] << 6) | quad[3]));
    if (pad) {
      if (pad > 2) return false;
      out->resize(out->size() - size_t(pad));
      break;
    }
  }
  return !out->empty();
}

void Base64Encode(std::string_view in, std::string* out) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    uint32_t w = uint32_t(uint8_t(in[i])) << 16 | uint32_t(uint8_t(in[i + 1])) << 8 |
                 uint32_t(uint8_t(in[i + 2]));
    out->push_back(kAlphabet[w >> 18]);
    out->push_back(kAlphabet[(w >> 12) & 63]);
    out->push_back(kAlphabet[(w >> 6) & 63]);
    out->push_back(kAlphabet[w & 63]);
  }
  if (i < in.size()) {
    uint32_t w = uint32_t(uint8_t(in[i])) << 16;
    if (i + 1 < in.size()) w |= uint32_t(uint8_t(in[i + 1])) << 8;
    out->push_back(kAlphabet[w >> 18]);
    out->push_back(kAlphabet[(w >> 12) & 63]);
    out->push_back(i + 1 < in.size() ? kAlphabet[(w >> 6) & 63] : '=');
    out->push_back('=');
  }
}

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
    case Command::kMetaNoop:
      return Status::kRequest;
    case Command::kMetaDebug:
      if (n < 2 || tokens_[1].size() > Limits::kMaxKeyLen) return Error(kBadFormat);
      req->key = tokens_[1];
      if (n >= 3 && tokens_[2] == "b") {
        if (!Base64Decode(req->key, &req->bkey)) return Error(kBadFormat);
        req->binary_key = true;
      } else if (!ValidKey(req->key)) {
        return Error(kBadFormat);
      }
      return Status::kRequest;
    case Command::kMetaGet:
    case Command::kMetaSet:
    case Command::kMetaDelete:
    case Command::kMetaArith:
      return Meta(buf, line_len, limits, req, consumed);
  }
  return Error("ERROR");
}

// "mg|md|ma <key> <flags>*" and "ms <key> <datalen> <flags>*\r\n<data>\r\n", checked in
// memcached 1.6.18's order and with its error lines. An ms error after its data length is known
// skips the data block, as memcached does.
Parser::Status Parser::Meta(std::string_view buf, size_t line_len, const Limits& limits,
                            Request* req, size_t* consumed) {
  const size_t n = tokens_.size();
  const Command cmd = req->cmd;
  if (n < 2) return Error("ERROR");
  if (tokens_[1].size() > Limits::kMaxKeyLen) return Error(kBadFormat);
  const bool set = cmd == Command::kMetaSet;
  if (set && n == 2) return Error(kBadFormat);
  if (n > kMaxMetaTokens) {
    return Error(cmd == Command::kMetaGet ? "CLIENT_ERROR options flags are too long"
                                          : "CLIENT_ERROR options flags too long");
  }
  req->key = tokens_[1];
  int64_t vlen = 0;
  if (set) {
    if (!ParseI32(tokens_[2], &vlen) || vlen < 0 || vlen > INT32_MAX - 2) return Error(kBadFormat);
  }
  // A failed flag parse: ms skips its data, md and ma have their own line.
  auto fail = [&](const char* msg) {
    if (set) swallow_ = uint64_t(vlen) + 2;
    if (cmd == Command::kMetaDelete || cmd == Command::kMetaArith)
      msg = "CLIENT_ERROR invalid or duplicate flag";
    return Error(msg);
  };
  MetaFlags& m = req->meta;
  const char* err = kBadFormat;
  bool has_error = false;
  bool seen[128] = {};
  for (size_t i = set ? 3 : 2; i < n; i++) {
    std::string_view t = tokens_[i];
    unsigned char o = static_cast<unsigned char>(t[0]);
    if (o >= 127 || seen[o]) return fail("CLIENT_ERROR duplicate flag");
    seen[o] = true;
    std::string_view arg = t.substr(1);
    switch (o) {
      case 'b':
        if (!Base64Decode(req->key, &req->bkey)) {
          err = "CLIENT_ERROR error decoding key";
          has_error = true;
        }
        req->binary_key = m.base64 = true;
        break;
      case 'N':
      case 'T':
      case 'R': {
        int64_t v;
        if (!ParseI32(arg, &v)) {
          err = "CLIENT_ERROR bad token in command line format";
          has_error = true;
          break;
        }
        m.order.push_back(char(o));  // where they take effect among the returned flags
        if (o == 'N') {
          m.vivify = true;
          m.vivify_ttl = v;
        } else if (o == 'T') {
          m.has_ttl = true;
          m.ttl = v;
        } else {
          m.recache = true;
          m.recache_ttl = v;
        }
        break;
      }
      case 'O':
        m.opaque = t;
        m.order.push_back('O');
        break;
      case 'P':
      case 'L':
        break;
      case 'k':
      case 's':
      case 't':
      case 'c':
      case 'f':
      case 'l':
      case 'h':
        m.order.push_back(char(o));
        break;
      case 'v':
        m.value = true;
        break;
      case 'u':
        m.no_update = true;
        break;
      case 'q':
        m.quiet = true;
        break;
      case 'F':
        if (!ParseFlags(arg, &m.client_flags)) has_error = true;
        break;
      case 'C':
        if (!ParseU64(arg, &m.cas)) {
          err = "CLIENT_ERROR bad token in command line format";
          has_error = true;
        } else {
          m.has_cas = true;
        }
        break;
      case 'M':
        if (t.size() != 2) {
          err = "CLIENT_ERROR incorrect length for M token";
          has_error = true;
        } else {
          m.mode = t[1];
        }
        break;
      case 'J':
        if (!ParseU64(arg, &m.initial)) {
          err = "CLIENT_ERROR invalid numeric initial value";
          has_error = true;
        }
        break;
      case 'D':
        if (!ParseU64(arg, &m.delta)) {
          err = "CLIENT_ERROR invalid numeric delta value";
          has_error = true;
        }
        break;
      case 'I':
        m.invalidate = true;
        break;
      default:
        return fail("CLIENT_ERROR invalid flag");
    }
  }
  if (has_error) return fail(err);
  if (!req->binary_key && !ValidKey(req->key)) return fail(kBadFormat);
  if (m.opaque.size() > kMaxOpaque) {
    if (set) swallow_ = uint64_t(vlen) + 2;
    return Error("CLIENT_ERROR opaque token too long");
  }
  if (set && m.mode != 0 && m.mode != 'E' && m.mode != 'A' && m.mode != 'P' && m.mode != 'R' &&
      m.mode != 'S') {
    swallow_ = uint64_t(vlen) + 2;
    return Error("CLIENT_ERROR invalid mode for ms M token");
  }
  if (cmd == Command::kMetaArith && m.mode != 0 && m.mode != 'I' && m.mode != '+' &&
      m.mode != 'D' && m.mode != '-')
    return Error("CLIENT_ERROR invalid mode for ma M token");
  req->noreply = m.quiet;
  if (!set) return Status::kRequest;
  return MetaData(buf, line_len, vlen, limits, req, consumed);
}

Parser::Status Parser::MetaData(std::string_view buf, size_t line_len, int64_t vlen,
                                const Limits& limits, Request* req, size_t* consumed) {
  uint64_t total = uint64_t(vlen) + 2;
  if (req->Key().size() + uint64_t(vlen) + kItemOverhead > limits.item_size_max) {
    req->too_large = true;
    swallow_ = total;
    wanted_ = 0;
    return Status::kRequest;
  }
  size_t need = line_len + size_t(total);
  if (buf.size() < need) {
    *consumed = 0;
    wanted_ = need - buf.size();
    return Status::kNeedMore;
  }
  wanted_ = 0;
  *consumed = need;
  if (buf[need - 2] != '\r' || buf[need - 1] != '\n') return Error("CLIENT_ERROR bad data chunk");
  req->data = buf.substr(line_len, size_t(vlen));
  return Status::kRequest;
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
