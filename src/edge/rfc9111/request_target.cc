#include "edge/rfc9111/request_target.h"

#include "base/strutil.h"

namespace strata::edge::rfc9111 {

namespace {

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool IsUnreservedOrSubDelim(char c) {
  if (IsAlnum(c)) return true;
  switch (c) {
    case '-':
    case '.':
    case '_':
    case '~':
    case '!':
    case '$':
    case '&':
    case '\'':
    case '(':
    case ')':
    case '*':
    case '+':
    case ',':
    case ';':
    case '=':
      return true;
  }
  return false;
}

// reg-name = *( unreserved / pct-encoded / sub-delims ), here non-empty.
bool ValidRegName(std::string_view h) {
  if (h.empty()) return false;
  for (size_t i = 0; i < h.size(); i++) {
    if (h[i] == '%') {
      if (i + 2 >= h.size() || !IsHex(h[i + 1]) || !IsHex(h[i + 2])) return false;
      i += 2;
      continue;
    }
    if (!IsUnreservedOrSubDelim(h[i])) return false;
  }
  return true;
}

// IP-literal without its brackets: IPv6 addresses and IPvFuture, loosely (their characters).
bool ValidIpLiteral(std::string_view h) {
  if (h.empty()) return false;
  for (char c : h) {
    if (!IsUnreservedOrSubDelim(c) && c != ':') return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> NormalizeAuthority(std::string_view authority, uint16_t default_port) {
  std::string_view host = authority;
  std::string_view port;
  bool has_port = false;
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos || !ValidIpLiteral(authority.substr(1, close - 1)))
      return std::nullopt;
    host = authority.substr(0, close + 1);
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return std::nullopt;
      has_port = true;
      port = rest.substr(1);
    }
  } else {
    size_t colon = authority.find(':');
    if (colon != std::string_view::npos) {
      has_port = true;
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
    }
    if (!ValidRegName(host)) return std::nullopt;  // also refuses userinfo ('@')
  }
  uint32_t port_value = 0;
  if (port.size() > 5) return std::nullopt;
  for (char c : port) {
    if (c < '0' || c > '9') return std::nullopt;
    port_value = port_value * 10 + uint32_t(c - '0');
  }
  if (port_value > 65535) return std::nullopt;
  std::string out = ToLower(host);
  if (has_port && !port.empty() && port_value != default_port) {
    out += ':';
    out += port;
  }
  return out;
}

std::optional<RequestTarget> ResolveTarget(std::string_view host_field, std::string_view target) {
  RequestTarget t;
  if (!target.empty() && (target[0] == '/' || target == "*")) {
    // Origin or asterisk form: the authority is the Host field's.
    if (!host_field.empty()) {
      auto a = NormalizeAuthority(host_field, 80);
      if (!a) return std::nullopt;
      t.authority = std::move(*a);
    }
    t.path = std::string(target);
    return t;
  }
  // Absolute form: scheme "://" authority [ path-abempty ] [ "?" query ].
  size_t colon = target.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view scheme = target.substr(0, colon);
  uint16_t default_port;
  if (EqualsIgnoreCase(scheme, "http")) {
    default_port = 80;
  } else if (EqualsIgnoreCase(scheme, "https")) {
    default_port = 443;
  } else {
    return std::nullopt;
  }
  std::string_view rest = target.substr(colon + 1);
  if (rest.substr(0, 2) != "//") return std::nullopt;
  rest.remove_prefix(2);
  size_t end = rest.find_first_of("/?#");
  auto a = NormalizeAuthority(rest.substr(0, end), default_port);
  if (!a || a->empty()) return std::nullopt;  // an http(s) URI needs a host (RFC 9110 §4.2.1)
  t.authority = std::move(*a);
  t.absolute_form = true;
  std::string_view path = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  if (!path.empty() && path[0] == '#') return std::nullopt;  // no fragment in a request target
  t.path.reserve(path.size() + 1);
  if (path.empty() || path[0] != '/') t.path.push_back('/');
  t.path.append(path.data(), path.size());
  return t;
}

}  // namespace strata::edge::rfc9111
