#include "proto/http1/parser.h"

#include <cstring>

#include "base/strutil.h"

namespace strata::http1 {

const char* ParseErrorName(ParseError e) {
  switch (e) {
    case ParseError::kNone:
      return "none";
    case ParseError::kHeadTooLarge:
      return "head too large";
    case ParseError::kTooManyFields:
      return "too many header fields";
    case ParseError::kBareCrOrLf:
      return "bare CR or LF";
    case ParseError::kBadRequestLine:
      return "malformed request line";
    case ParseError::kBadStatusLine:
      return "malformed status line";
    case ParseError::kBadMethod:
      return "invalid method";
    case ParseError::kBadTarget:
      return "invalid request target";
    case ParseError::kBadVersion:
      return "malformed HTTP version";
    case ParseError::kUnsupportedVersion:
      return "unsupported HTTP version";
    case ParseError::kBadFieldName:
      return "invalid field name";
    case ParseError::kBadFieldValue:
      return "invalid field value";
    case ParseError::kObsFold:
      return "obsolete line folding";
    case ParseError::kBadContentLength:
      return "invalid Content-Length";
    case ParseError::kConflictingContentLength:
      return "conflicting Content-Length";
    case ParseError::kContentLengthWithTransferEncoding:
      return "Content-Length with Transfer-Encoding";
    case ParseError::kUnsupportedTransferEncoding:
      return "unsupported Transfer-Encoding";
    case ParseError::kMissingHost:
      return "missing Host";
    case ParseError::kDuplicateHost:
      return "duplicate Host";
    case ParseError::kBadChunk:
      return "invalid chunk";
    case ParseError::kBodyTooLarge:
      return "body too large";
  }
  return "?";
}

int HttpStatusFor(ParseError e) {
  switch (e) {
    // Oversized heads get a plain 400 (as nginx answers), not 431: a client or
    // proxy in between should treat it as any other malformed request.
    case ParseError::kHeadTooLarge:
    case ParseError::kTooManyFields:
      return 400;
    case ParseError::kUnsupportedVersion:
      return 505;
    case ParseError::kUnsupportedTransferEncoding:
      return 501;
    case ParseError::kBodyTooLarge:
      return 413;
    default:
      return 400;
  }
}

size_t FindHeadEnd(std::string_view buf, size_t from) {
  if (from >= 3)
    from -= 3;
  else
    from = 0;
  for (size_t i = from; i + 3 < buf.size(); i++) {
    if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' && buf[i + 3] == '\n')
      return i + 4;
  }
  return std::string_view::npos;
}

namespace {

// Scans for the end of the head while checking line endings: every LF must follow a CR and
// every CR must precede an LF. Returns kDone with *end just past the empty line.
ParseStatus ScanHead(std::string_view buf, size_t start, size_t max, size_t* end, ParseError* err) {
  size_t limit = buf.size() < max ? buf.size() : max;
  for (size_t i = start; i < limit; i++) {
    char c = buf[i];
    if (c == '\r') {
      if (i + 1 >= buf.size()) return ParseStatus::kNeedMore;
      if (buf[i + 1] != '\n') {
        *err = ParseError::kBareCrOrLf;
        return ParseStatus::kError;
      }
      // Empty line: CRLF at the start of the head or right after another CRLF.
      if (i == start || (i >= 2 && buf[i - 1] == '\n' && buf[i - 2] == '\r' && i - 2 >= start)) {
        if (i == start) {
          *err = ParseError::kBadRequestLine;  // head cannot start with an empty line here
          return ParseStatus::kError;
        }
        *end = i + 2;
        return ParseStatus::kDone;
      }
      i++;  // skip the LF
    } else if (c == '\n') {
      *err = ParseError::kBareCrOrLf;
      return ParseStatus::kError;
    } else if (c == '\0') {
      *err = ParseError::kBadFieldValue;
      return ParseStatus::kError;
    }
  }
  if (buf.size() >= max) {
    *err = ParseError::kHeadTooLarge;
    return ParseStatus::kError;
  }
  return ParseStatus::kNeedMore;
}

// Parses the field lines in head[pos, end-2) into out->fields. Lines are CRLF-terminated
// (already verified by ScanHead).
bool ParseFields(MessageHead* out, size_t pos, size_t end, const Limits& limits, ParseError* err) {
  const std::string& raw = out->raw;
  while (pos < end) {
    size_t eol = raw.find("\r\n", pos);
    if (eol == pos) return true;  // empty line: end of head
    if (raw[pos] == ' ' || raw[pos] == '\t') {
      *err = ParseError::kObsFold;
      return false;
    }
    if (out->fields.size() >= limits.max_fields) {
      *err = ParseError::kTooManyFields;
      return false;
    }
    size_t colon = raw.find(':', pos);
    if (colon == std::string::npos || colon > eol) {
      *err = ParseError::kBadFieldName;
      return false;
    }
    std::string_view name(raw.data() + pos, colon - pos);
    if (!IsToken(name)) {
      *err = ParseError::kBadFieldName;
      return false;
    }
    size_t vs = colon + 1, ve = eol;
    while (vs < ve && (raw[vs] == ' ' || raw[vs] == '\t')) vs++;
    while (ve > vs && (raw[ve - 1] == ' ' || raw[ve - 1] == '\t')) ve--;
    for (size_t i = vs; i < ve; i++) {
      if (!IsFieldValueChar(static_cast<unsigned char>(raw[i]))) {
        *err = ParseError::kBadFieldValue;
        return false;
      }
    }
    out->fields.push_back(FieldSpan{Span{uint32_t(pos), uint32_t(colon - pos)},
                                    Span{uint32_t(vs), uint32_t(ve - vs)}});
    pos = eol + 2;
  }
  return true;
}

// "HTTP/1.1" -> minor 1. Any other major or a malformed version is an error.
bool ParseVersion(std::string_view v, int* minor, ParseError* err) {
  if (v.size() != 8 || v.substr(0, 5) != "HTTP/" || v[6] != '.' || v[5] < '0' || v[5] > '9' ||
      v[7] < '0' || v[7] > '9') {
    *err = ParseError::kBadVersion;
    return false;
  }
  if (v[5] != '1') {
    *err = ParseError::kUnsupportedVersion;
    return false;
  }
  *minor = v[7] - '0';
  if (*minor > 1) *minor = 1;  // HTTP/1.2+ is treated as 1.1 (RFC 9110 §2.5)
  return true;
}

// Content-Length: every field line and list member must be the same 1*DIGIT value.
bool ParseContentLength(const MessageHead& h, bool* present, uint64_t* out, ParseError* err) {
  *present = false;
  bool ok = true;
  for (size_t i = 0; i < h.FieldCount() && ok; i++) {
    if (!EqualsIgnoreCase(h.Name(i), "content-length")) continue;
    std::string_view v = h.Value(i);
    if (v.empty()) {
      *err = ParseError::kBadContentLength;
      return false;
    }
    bool any = false;
    ForEachListElement(v, [&](std::string_view el) {
      any = true;
      uint64_t n = 0;
      if (el.size() > 18) {
        *err = ParseError::kBadContentLength;
        return ok = false;
      }
      for (char c : el) {
        if (c < '0' || c > '9') {
          *err = ParseError::kBadContentLength;
          return ok = false;
        }
        n = n * 10 + uint64_t(c - '0');
      }
      if (*present && n != *out) {
        *err = ParseError::kConflictingContentLength;
        return ok = false;
      }
      *present = true;
      *out = n;
      return true;
    });
    if (ok && !any) {
      *err = ParseError::kBadContentLength;
      return false;
    }
  }
  return ok;
}

bool ConnectionKeepAlive(const MessageHead& h, int minor) {
  if (h.HasToken("connection", "close")) return false;
  if (minor == 0) return h.HasToken("connection", "keep-alive");
  return true;
}

}  // namespace

ParseStatus ParseRequest(std::string_view buf, const Limits& limits, RequestHead* out,
                         size_t* consumed, ParseError* err) {
  *err = ParseError::kNone;
  // RFC 9112 §2.2: ignore (a few) empty lines before the request line.
  size_t start = 0;
  while (start < 8 && start + 1 < buf.size() && buf[start] == '\r' && buf[start + 1] == '\n')
    start += 2;
  if (start < buf.size() && buf[start] == '\n') {
    *err = ParseError::kBareCrOrLf;
    return ParseStatus::kError;
  }
  size_t end = 0;
  ParseStatus st = ScanHead(buf, start, limits.max_head_bytes, &end, err);
  if (st != ParseStatus::kDone) return st;

  *out = RequestHead{};
  out->raw.assign(buf.data() + start, end - start);
  const std::string& raw = out->raw;
  size_t eol = raw.find("\r\n");
  std::string_view line(raw.data(), eol);
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp1 == std::string_view::npos || sp2 == std::string_view::npos ||
      line.find(' ', sp2 + 1) != std::string_view::npos) {
    *err = ParseError::kBadRequestLine;
    return ParseStatus::kError;
  }
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (!IsToken(method)) {
    *err = ParseError::kBadMethod;
    return ParseStatus::kError;
  }
  if (target.empty()) {
    *err = ParseError::kBadTarget;
    return ParseStatus::kError;
  }
  for (char c : target) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) {
      *err = ParseError::kBadTarget;
      return ParseStatus::kError;
    }
  }
  if (!ParseVersion(version, &out->version_minor, err)) return ParseStatus::kError;
  out->method = Span{0, uint32_t(sp1)};
  out->target = Span{uint32_t(sp1 + 1), uint32_t(target.size())};

  if (!ParseFields(out, eol + 2, raw.size(), limits, err)) return ParseStatus::kError;

  size_t hosts = out->Count("host");
  if (hosts > 1) {
    *err = ParseError::kDuplicateHost;
    return ParseStatus::kError;
  }
  if (hosts == 0 && out->version_minor == 1) {
    *err = ParseError::kMissingHost;
    return ParseStatus::kError;
  }
  if (hosts == 1) {
    std::string_view host = out->Get("host").value_or("");
    for (char c : host) {
      if (c == ' ' || c == '\t' || c == '/' || c == '\\' || c == '@' || c == '?' || c == '#') {
        *err = ParseError::kBadFieldValue;
        return ParseStatus::kError;
      }
    }
  }

  bool has_cl = false;
  uint64_t cl = 0;
  if (!ParseContentLength(*out, &has_cl, &cl, err)) return ParseStatus::kError;
  size_t te_count = out->Count("transfer-encoding");
  if (te_count > 0) {
    if (has_cl) {
      *err = ParseError::kContentLengthWithTransferEncoding;
      return ParseStatus::kError;
    }
    if (out->version_minor == 0) {
      *err = ParseError::kUnsupportedTransferEncoding;
      return ParseStatus::kError;
    }
    std::string te = out->GetCombined("transfer-encoding");
    if (te_count != 1 || !EqualsIgnoreCase(TrimOws(te), "chunked")) {
      *err = ParseError::kUnsupportedTransferEncoding;
      return ParseStatus::kError;
    }
    out->framing = BodyFraming::kChunked;
  } else if (has_cl) {
    out->content_length = cl;
    out->framing = cl > 0 ? BodyFraming::kContentLength : BodyFraming::kNone;
  }
  out->keep_alive = ConnectionKeepAlive(*out, out->version_minor);
  if (auto e = out->Get("expect"); e && EqualsIgnoreCase(*e, "100-continue"))
    out->expect_continue = out->version_minor == 1;
  *consumed = end;
  return ParseStatus::kDone;
}

ParseStatus ParseResponse(std::string_view buf, const Limits& limits,
                          std::string_view request_method, ResponseHead* out, size_t* consumed,
                          ParseError* err) {
  *err = ParseError::kNone;
  size_t end = 0;
  ParseStatus st = ScanHead(buf, 0, limits.max_head_bytes, &end, err);
  if (st != ParseStatus::kDone) {
    if (*err == ParseError::kBadRequestLine) *err = ParseError::kBadStatusLine;
    return st;
  }
  *out = ResponseHead{};
  out->raw.assign(buf.data(), end);
  const std::string& raw = out->raw;
  size_t eol = raw.find("\r\n");
  std::string_view line(raw.data(), eol);
  // HTTP-version SP 3DIGIT SP reason-phrase (reason may be empty; a missing final SP is
  // tolerated).
  if (line.size() < 12 || line[8] != ' ' || (line.size() > 12 && line[12] != ' ')) {
    *err = ParseError::kBadStatusLine;
    return ParseStatus::kError;
  }
  if (!ParseVersion(line.substr(0, 8), &out->version_minor, err)) return ParseStatus::kError;
  int status = 0;
  for (int i = 9; i < 12; i++) {
    if (line[i] < '0' || line[i] > '9') {
      *err = ParseError::kBadStatusLine;
      return ParseStatus::kError;
    }
    status = status * 10 + (line[i] - '0');
  }
  if (status < 100) {
    *err = ParseError::kBadStatusLine;
    return ParseStatus::kError;
  }
  out->status = status;
  if (line.size() > 13) {
    for (size_t i = 13; i < line.size(); i++) {
      if (!IsFieldValueChar(static_cast<unsigned char>(line[i]))) {
        *err = ParseError::kBadStatusLine;
        return ParseStatus::kError;
      }
    }
    out->reason = Span{13, uint32_t(line.size() - 13)};
  }
  if (!ParseFields(out, eol + 2, raw.size(), limits, err)) return ParseStatus::kError;

  bool has_cl = false;
  uint64_t cl = 0;
  if (!ParseContentLength(*out, &has_cl, &cl, err)) return ParseStatus::kError;
  bool has_te = out->Count("transfer-encoding") > 0;
  out->keep_alive = ConnectionKeepAlive(*out, out->version_minor);

  bool no_body = (status >= 100 && status < 200) || status == 204 || status == 304 ||
                 EqualsIgnoreCase(request_method, "HEAD");
  if (no_body) {
    out->framing = BodyFraming::kNone;
    out->content_length = has_cl ? cl : 0;
  } else if (has_te) {
    if (has_cl) {
      *err = ParseError::kContentLengthWithTransferEncoding;
      return ParseStatus::kError;
    }
    std::string te = out->GetCombined("transfer-encoding");
    if (!EqualsIgnoreCase(TrimOws(te), "chunked")) {
      *err = ParseError::kUnsupportedTransferEncoding;
      return ParseStatus::kError;
    }
    out->framing = BodyFraming::kChunked;
  } else if (has_cl) {
    out->framing = BodyFraming::kContentLength;
    out->content_length = cl;
  } else {
    out->framing = BodyFraming::kUntilClose;
    out->keep_alive = false;
  }
  *consumed = end;
  return ParseStatus::kDone;
}

}  // namespace strata::http1
