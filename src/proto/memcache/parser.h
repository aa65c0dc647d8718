// memcache::Parser: incremental parser for memcached's text protocol (requests only).
//
// The connection owns one parser and one input buffer. Parse() is given the unconsumed bytes and
// either yields one complete request (key and data views pointing into those bytes), asks for
// more input, reports an error line to send (the connection then goes on with the next request,
// as memcached does), or asks to close. A storage command ("set k 0 0 5\r\n") is only returned
// once its data block ("<5 bytes>\r\n") is complete, so the caller sees one request with its
// value. Limits are checked before anything is buffered for them: key length (250), the length of
// a line without a newline, and the item size (a larger value is skipped as it arrives, without
// being buffered). The parser never allocates for payload.
//
// Commands are recognised by name in one table (kCommands in parser.cc), the meta commands (mg,
// ms, md, ma, mn, me) included. A meta command's flags are parsed and checked here, with
// memcached 1.6.18's error lines, into Request::meta; a base64 key ("b") is decoded into the
// request (Request::Key()).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace strata::memcache {

enum class Command : uint8_t {
  kGet,
  kGets,
  kGat,
  kGats,
  kSet,
  kAdd,
  kReplace,
  kAppend,
  kPrepend,
  kCas,
  kIncr,
  kDecr,
  kTouch,
  kDelete,
  kFlushAll,
  kVersion,
  kVerbosity,
  kQuit,
  kStats,
  kMetaGet,     // mg
  kMetaSet,     // ms
  kMetaDelete,  // md
  kMetaArith,   // ma
  kMetaNoop,    // mn
  kMetaDebug,   // me
};

// The flags of a meta command, as parsed (memcached's _meta_flag_preparse).
struct MetaFlags {
  // Flags that are echoed or answered, in request order: any of "b c f h k l O s t v q" etc.
  // (one character per flag token; the opaque's text is `opaque`).
  std::string order;
  std::string_view opaque;    // "O..." token, with its 'O'
  bool base64 = false;        // b
  bool quiet = false;         // q
  bool value = false;         // v
  bool invalidate = false;    // I
  bool no_update = false;     // u
  bool has_ttl = false;       // T<ttl>
  bool vivify = false;        // N<ttl>
  bool recache = false;       // R<ttl>
  bool has_cas = false;       // C<cas>
  int64_t ttl = 0;            // T: exptime as sent
  int64_t vivify_ttl = 0;     // N
  int64_t recache_ttl = 0;    // R
  uint64_t cas = 0;           // C
  uint32_t client_flags = 0;  // F (ms)
  char mode = 0;              // M (ms, ma)
  uint64_t delta = 1;         // D (ma)
  uint64_t initial = 0;       // J (ma)
};

struct Limits {
  static constexpr size_t kMaxKeyLen = 250;
  // Longest line without a newline: beyond it the client is closed (memcached's 2048), except
  // for get/gets, whose key lists may be long (bounded by max_get_line).
  size_t max_line = 2048;
  size_t max_get_line = 1024 * 1024;
  // Largest item (memcached's -I, item_size_max): key, value and item overhead together.
  size_t item_size_max = 1024 * 1024;
};

// Per-item overhead counted against item_size_max, as memcached counts its item header, CAS and
// the value's CRLF (so the same values are "too large" on both servers).
inline constexpr size_t kItemOverhead = 48 + 8 + 1 + 2;

inline bool IsRetrieval(Command c) {
  return c == Command::kGet || c == Command::kGets || c == Command::kGat || c == Command::kGats;
}

struct Request {
  Command cmd = Command::kGet;
  std::string_view key;                // every single-key command
  std::vector<std::string_view> keys;  // get, gets, gat, gats
  uint32_t flags = 0;                  // client flags (storage commands)
  int64_t exptime = 0;                 // storage, touch, gat(s): as sent (0 = never)
  uint64_t cas = 0;                    // cas
  uint64_t delta = 0;                  // incr, decr
  int64_t delay = 0;                   // flush_all
  bool noreply = false;
  // Storage command whose value exceeds the item size: its data is skipped by the parser; the
  // command answers "SERVER_ERROR object too large for cache" (and a set drops the old value).
  bool too_large = false;
  std::string_view data;               // the value, without its CRLF
  std::vector<std::string_view> args;  // stats, verbosity: the arguments after the name
  MetaFlags meta;                      // meta commands
  bool binary_key = false;             // meta "b": the key was base64, decoded into bkey
  std::string bkey;
  // The key of a single-key command (decoded when it was sent in base64).
  std::string_view Key() const { return binary_key ? std::string_view(bkey) : key; }
};

// Base64 (RFC 4648 alphabet, with padding), as meta commands send binary keys. Decode reads as
// memcached does (see parser.cc) and returns false when that yields no bytes.
bool Base64Decode(std::string_view in, std::string* out);
void Base64Encode(std::string_view in, std::string* out);

class Parser {
 public:
  enum class Status {
    kRequest,   // *req is complete; `consumed` bytes used
    kNeedMore,  // `consumed` bytes may have been used (skipped data)
    kError,     // send error() + "\r\n" unless `silent`; `consumed` bytes used; continue
    kClose,     // send error() + "\r\n" if not empty, then close
  };

  Status Parse(std::string_view buf, const Limits& limits, Request* req, size_t* consumed);

  const std::string& error() const { return error_; }
  // The last kError is not sent (the command said noreply, as memcached drops those errors).
  bool silent() const { return silent_; }
  // How many more bytes the request being read needs (0 if unknown): the caller may read them
  // in one go.
  size_t BytesWanted() const { return wanted_; }
  void Reset();

 private:
  Status ParseLine(std::string_view buf, std::string_view line, size_t line_len,
                   const Limits& limits, Request* req, size_t* consumed);
  Status Storage(std::string_view buf, size_t line_len, const Limits& limits, Request* req,
                 size_t* consumed);
  Status Meta(std::string_view buf, size_t line_len, const Limits& limits, Request* req,
              size_t* consumed);
  Status MetaData(std::string_view buf, size_t line_len, int64_t vlen, const Limits& limits,
                  Request* req, size_t* consumed);
  Status Error(const char* msg, bool silent = false);
  Status Close(const char* msg);

  std::vector<std::string_view> tokens_;
  std::string error_;
  bool silent_ = false;
  size_t wanted_ = 0;
  uint64_t swallow_ = 0;  // bytes of a too-large value still to skip
};

}  // namespace strata::memcache
