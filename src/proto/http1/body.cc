#include "proto/http1/body.h"

#include <algorithm>

namespace strata::http1 {

void BodyReader::Reset(BodyFraming framing, uint64_t content_length, const Limits& limits) {
  framing_ = framing;
  limits_ = limits;
  decoded_ = 0;
  trailer_bytes_ = 0;
  remaining_ = 0;
  switch (framing) {
    case BodyFraming::kNone:
      state_ = State::kDone;
      break;
    case BodyFraming::kContentLength:
      remaining_ = content_length;
      state_ = content_length == 0 ? State::kDone : State::kLength;
      break;
    case BodyFraming::kChunked:
      state_ = State::kChunkSize;
      break;
    case BodyFraming::kUntilClose:
      state_ = State::kUntilClose;
      break;
  }
}

bool ParseChunkSizeLine(std::string_view line, size_t max_ext, uint64_t* size) {
  size_t i = 0;
  uint64_t v = 0;
  while (i < line.size()) {
    char c = line[i];
    int d;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if (c >= 'a' && c <= 'f')
      d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      d = c - 'A' + 10;
    else
      break;
    if (i >= 15) return false;  // > 2^60: refuse rather than overflow
    v = v * 16 + uint64_t(d);
    i++;
  }
  if (i == 0) return false;
  std::string_view rest = line.substr(i);
  if (!rest.empty()) {
    if (rest.size() > max_ext) return false;
    // BWS ";" chunk-ext: only whitespace may precede the first ';'.
    size_t j = 0;
    while (j < rest.size() && (rest[j] == ' ' || rest[j] == '\t')) j++;
    if (j == rest.size() || rest[j] != ';') return false;
    for (char c : rest) {
      if (!IsFieldValueChar(static_cast<unsigned char>(c))) return false;
    }
  }
  *size = v;
  return true;
}

ParseStatus BodyReader::Feed(std::string_view in, size_t* consumed, std::string* out,
                             ParseError* err) {
  size_t pos = 0;
  *err = ParseError::kNone;
  for (;;) {
    switch (state_) {
      case State::kDone:
        *consumed = pos;
        return ParseStatus::kDone;
      case State::kUntilClose: {
        out->append(in.data() + pos, in.size() - pos);
        decoded_ += in.size() - pos;
        *consumed = in.size();
        return ParseStatus::kNeedMore;
      }
      case State::kLength:
      case State::kChunkData: {
        size_t n = size_t(std::min<uint64_t>(remaining_, in.size() - pos));
        out->append(in.data() + pos, n);
        pos += n;
        decoded_ += n;
        remaining_ -= n;
        if (remaining_ > 0) {
          *consumed = pos;
          return ParseStatus::kNeedMore;
        }
        state_ = state_ == State::kLength ? State::kDone : State::kChunkDataCrlf;
        break;
      }
      case State::kChunkDataCrlf: {
        if (in.size() - pos < 2) {
          if (in.size() - pos == 1 && in[pos] != '\r') {
            *err = ParseError::kBadChunk;
            return ParseStatus::kError;
          }
          *consumed = pos;
          return ParseStatus::kNeedMore;
        }
        if (in[pos] != '\r' || in[pos + 1] != '\n') {
          *err = ParseError::kBadChunk;
          return ParseStatus::kError;
        }
        pos += 2;
        state_ = State::kChunkSize;
        break;
      }
      case State::kChunkSize:
      case State::kTrailers: {
        std::string_view rest = in.substr(pos);
        size_t lf = rest.find('\n');
        size_t cr = rest.find('\r');
        if (lf == std::string_view::npos) {
          // A CR not at the very end, or an over-long line, can never become valid.
          bool bad_cr = cr != std::string_view::npos && cr + 1 < rest.size();
          size_t cap = state_ == State::kChunkSize ? limits_.max_chunk_ext_bytes + 32
                                                   : limits_.max_trailer_bytes;
          if (bad_cr || rest.size() > cap) {
            *err = ParseError::kBadChunk;
            return ParseStatus::kError;
          }
          *consumed = pos;
          return ParseStatus::kNeedMore;
        }
        if (lf == 0 || rest[lf - 1] != '\r' || cr != lf - 1) {
          *err = ParseError::kBadChunk;  // bare LF, or a CR inside the line
          return ParseStatus::kError;
        }
        std::string_view line = rest.substr(0, lf - 1);
        pos += lf + 1;
        if (state_ == State::kChunkSize) {
          uint64_t size;
          if (!ParseChunkSizeLine(line, limits_.max_chunk_ext_bytes, &size)) {
            *err = ParseError::kBadChunk;
            return ParseStatus::kError;
          }
          if (size == 0) {
            state_ = State::kTrailers;
          } else {
            remaining_ = size;
            state_ = State::kChunkData;
          }
        } else {
          if (line.empty()) {
            state_ = State::kDone;
            break;
          }
          trailer_bytes_ += line.size() + 2;
          size_t colon = line.find(':');
          bool ok = trailer_bytes_ <= limits_.max_trailer_bytes &&
                    colon != std::string_view::npos && IsToken(line.substr(0, colon));
          for (size_t i = colon + 1; ok && i < line.size(); i++)
            ok = IsFieldValueChar(static_cast<unsigned char>(line[i]));
          if (!ok) {
            *err = ParseError::kBadChunk;
            return ParseStatus::kError;
          }
          // Trailer fields are validated and dropped (never merged into the head).
        }
        break;
      }
    }
  }
}

bool BodyReader::FinishOnClose() {
  if (state_ == State::kUntilClose) {
    state_ = State::kDone;
    return true;
  }
  return state_ == State::kDone;
}

}  // namespace strata::http1
