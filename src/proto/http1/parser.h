// Strict HTTP/1.1 head parser (RFC 9112). Pure: bytes in, a parsed head or an error out.
//
// Strictness rules (each one closes a request-smuggling or cache-poisoning door):
//  - every line ends in CRLF; a bare CR or bare LF anywhere in the head is an error;
//  - obs-fold (a field line starting with SP/HTAB) is an error;
//  - no whitespace between a field name and its colon; names are tokens; values contain no
//    CR, LF, NUL or other controls;
//  - Content-Length must be 1*DIGIT without overflow; several Content-Length lines or list
//    members are accepted only when all are identical;
//  - requests: Transfer-Encoding must be exactly "chunked", and Content-Length together with
//    Transfer-Encoding is an error (we never pick one of two interpretations);
//  - HTTP/1.1 requests need exactly one Host; the version must be HTTP/1.0 or HTTP/1.1;
//  - the head is bounded (size and field count).
// A request error maps to 400 (or 501/505/431 per `HttpStatusFor`) and the connection closes.
#pragma once

#include <cstddef>
#include <string_view>

#include "proto/http1/message.h"

namespace strata::http1 {

enum class ParseStatus : uint8_t { kNeedMore, kDone, kError };

enum class ParseError : uint8_t {
  kNone,
  kHeadTooLarge,
  kTooManyFields,
  kBareCrOrLf,
  kBadRequestLine,
  kBadStatusLine,
  kBadMethod,
  kBadTarget,
  kBadVersion,
  kUnsupportedVersion,
  kBadFieldName,
  kBadFieldValue,
  kObsFold,
  kBadContentLength,
  kConflictingContentLength,
  kContentLengthWithTransferEncoding,
  kUnsupportedTransferEncoding,
  kMissingHost,
  kDuplicateHost,
  kBadChunk,
  kBodyTooLarge,
};

const char* ParseErrorName(ParseError e);
// The status a server answers a request parse error with.
int HttpStatusFor(ParseError e);

struct Limits {
  size_t max_head_bytes = 64 * 1024;
  size_t max_fields = 128;
  size_t max_chunk_ext_bytes = 1024;
  size_t max_trailer_bytes = 16 * 1024;
};

// Parses a request head at the start of `buf`. kNeedMore: no complete head yet (and the limit
// is not exceeded). kDone: *consumed bytes form the head. kError: *err says why.
ParseStatus ParseRequest(std::string_view buf, const Limits& limits, RequestHead* out,
                         size_t* consumed, ParseError* err);

// Parses a response head; `request_method` decides body framing (HEAD, CONNECT).
ParseStatus ParseResponse(std::string_view buf, const Limits& limits,
                          std::string_view request_method, ResponseHead* out, size_t* consumed,
                          ParseError* err);

// Finds the end of a head ("\r\n\r\n") starting the scan at `from`; returns the offset just
// past it or npos. Lets callers rescan only new bytes.
size_t FindHeadEnd(std::string_view buf, size_t from);

}  // namespace strata::http1
