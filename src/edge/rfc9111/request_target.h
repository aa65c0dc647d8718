// The effective request target (RFC 9112 §3.2-3.3, RFC 9110 §4.2 and §7.2), as a pure function.
//
// Every request has one authority, computed once when its head is parsed and then used for
// everything that depends on it: the cache key, the choice of upstream ([[origins]] by host)
// and the Host field sent upstream. An absolute-form target ("http://h/p") names its own
// authority and the Host field is ignored (RFC 9112 §3.2.2); otherwise the authority is the
// Host field. Using one value for all three is what keeps a request from being stored under one
// host while it was fetched from, or for, another.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace strata::edge::rfc9111 {

struct RequestTarget {
  // Lowercased host, with ":port" unless it is the scheme's default (or empty). Empty when the
  // request names no authority at all (an HTTP/1.0 origin-form request without Host).
  std::string authority;
  // What is sent upstream: "/path?query" (origin form), or "*".
  std::string path;
  bool absolute_form = false;

  // The primary cache key.
  std::string Key() const { return authority + path; }
};

// Checks and normalises an authority (host [":" port], no userinfo). The host is a reg-name
// (unreserved, percent-encoded and sub-delim characters) or a bracketed IP literal; it may not
// be empty. The port is at most 65535; an empty port or `default_port` is dropped. nullopt
// when invalid.
std::optional<std::string> NormalizeAuthority(std::string_view authority, uint16_t default_port);

// Resolves a request's target and Host field (empty when absent) into its authority and path.
// Origin form ("/p") and asterisk form ("*") take the authority from Host (an empty Host is
// allowed there); absolute form needs an http or https scheme (any case), a non-empty
// authority and no userinfo, and ignores Host. nullopt when the request must be refused (400):
// another scheme, an invalid authority, an authority-form or otherwise unusable target.
std::optional<RequestTarget> ResolveTarget(std::string_view host_field, std::string_view target);

}  // namespace strata::edge::rfc9111
