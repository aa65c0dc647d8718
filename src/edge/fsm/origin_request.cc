#include "edge/fsm/origin_request.h"

#include "base/strutil.h"
#include "edge/rfc9111/conditional.h"
#include "proto/http1/writer.h"

namespace strata::edge {

std::string OriginFormTarget(std::string_view target) {
  if (!target.empty() && target[0] == '/') return std::string(target);
  size_t scheme = target.find("://");
  if (scheme != std::string_view::npos) {
    size_t slash = target.find('/', scheme + 3);
    return slash == std::string_view::npos ? "/" : std::string(target.substr(slash));
  }
  return std::string(target);
}

namespace {
bool IsConditionalOrRange(std::string_view n) {
  for (std::string_view c : {"if-none-match", "if-modified-since", "if-match",
                             "if-unmodified-since", "if-range", "range"}) {
    if (EqualsIgnoreCase(n, c)) return true;
  }
  return false;
}
}  // namespace

std::string BuildOriginRequest(const OriginRequestInput& in) {
  const http1::RequestHead& req = *in.request;
  std::string out;
  out.reserve(req.raw.size() + 128 + in.body.size());
  if (in.target) {
    http1::AppendRequestLine(&out, in.method, in.target->path);
    if (!in.target->authority.empty()) http1::AppendField(&out, "Host", in.target->authority);
  } else {
    http1::AppendRequestLine(&out, in.method, OriginFormTarget(req.Target()));
  }
  std::string connection = req.GetCombined("connection");
  std::string via, xff, loop;
  for (size_t i = 0; i < req.FieldCount(); i++) {
    std::string_view n = req.Name(i);
    if (in.target && EqualsIgnoreCase(n, "host")) continue;
    if (http1::IsHopByHop(n) || EqualsIgnoreCase(n, "content-length") ||
        EqualsIgnoreCase(n, "expect"))
      continue;
    if (!connection.empty() && http1::NamedInConnection(connection, n)) continue;
    if (in.kind != OriginRequestKind::kForward && IsConditionalOrRange(n)) continue;
    if (EqualsIgnoreCase(n, "via")) {
      via += via.empty() ? "" : ", ";
      via += req.Value(i);
      continue;
    }
    if (EqualsIgnoreCase(n, "cdn-loop")) {
      loop += loop.empty() ? "" : ", ";
      loop += req.Value(i);
      continue;
    }
    if (EqualsIgnoreCase(n, "x-forwarded-for")) {
      xff += xff.empty() ? "" : ", ";
      xff += req.Value(i);
      continue;
    }
    http1::AppendField(&out, n, req.Value(i));
  }
  if (in.kind == OriginRequestKind::kRevalidate && in.stored) {
    http1::HeaderList v;
    rfc9111::AddValidators(*in.stored, &v);
    for (const auto& [n, val] : v.fields()) http1::AppendField(&out, n, val);
  }
  via += via.empty() ? "" : ", ";
  via += req.version_minor == 0 ? "1.0 " : "1.1 ";
  via += in.via_name;
  http1::AppendField(&out, "Via", via);
  if (!in.loop_id.empty()) {
    loop += loop.empty() ? "" : ", ";
    loop += in.loop_id;
  }
  if (!loop.empty()) http1::AppendField(&out, "CDN-Loop", loop);
  if (!in.client_ip.empty()) {
    xff += xff.empty() ? "" : ", ";
    xff += in.client_ip;
    http1::AppendField(&out, "X-Forwarded-For", xff);
  }
  bool has_body_framing = req.framing != http1::BodyFraming::kNone || req.Count("content-length");
  if (in.kind == OriginRequestKind::kForward && in.streamed == http1::BodyFraming::kChunked) {
    http1::AppendField(&out, "Transfer-Encoding", "chunked");
  } else if (in.kind == OriginRequestKind::kForward &&
             in.streamed == http1::BodyFraming::kContentLength) {
    http1::AppendFieldInt(&out, "Content-Length", req.content_length);
  } else if (in.kind == OriginRequestKind::kForward && (has_body_framing || !in.body.empty())) {
    http1::AppendFieldInt(&out, "Content-Length", in.body.size());
  }
  http1::EndHead(&out);
  if (in.kind == OriginRequestKind::kForward) out.append(in.body);
  return out;
}

}  // namespace strata::edge
