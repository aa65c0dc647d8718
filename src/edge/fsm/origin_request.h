// Builds the request sent upstream from a client request (pure). The Host field is the
// request's resolved authority; other end-to-end fields pass through unchanged; hop-by-hop fields,
// those named in Connection, framing fields and Expect are removed; Via, X-Forwarded-For and
// CDN-Loop are appended; a buffered body is re-framed with Content-Length, a streamed one (sent
// after the head) keeps the client's length or is sent chunked. Cache fills (miss, revalidation,
// background refresh) drop the client's own conditionals and Range so the cache receives a full
// response, and revalidations add the stored validators.
#pragma once

#include <string>
#include <string_view>

#include "edge/rfc9111/request_target.h"
#include "proto/http1/message.h"

namespace strata::edge {

enum class OriginRequestKind : uint8_t { kForward, kFill, kRevalidate };

struct OriginRequestInput {
  const http1::RequestHead* request = nullptr;
  OriginRequestKind kind = OriginRequestKind::kForward;
  std::string_view method;                    // method to send
  std::string_view body;                      // already de-framed request body
  const http1::HeaderList* stored = nullptr;  // for kRevalidate: the stored response
  std::string_view via_name;                  // "strata-edge"
  std::string_view client_ip;
  std::string_view loop_id;  // appended to CDN-Loop (RFC 8586) when not empty
  // A body streamed after the head (RequestBodyPipe): kContentLength (request.content_length
  // bytes) or kChunked. kNone: `body` is the whole body.
  http1::BodyFraming streamed = http1::BodyFraming::kNone;
  // The request's resolved target: its path is sent, and its authority is the Host sent (in
  // place of the client's Host, which an absolute-form target overrides); no Host when it has
  // none. Null: the client's target, in origin form, and its Host are sent.
  const rfc9111::RequestTarget* target = nullptr;
};

std::string BuildOriginRequest(const OriginRequestInput& in);
// "/path?q" for an origin-form or absolute-form target.
std::string OriginFormTarget(std::string_view target);

}  // namespace strata::edge
