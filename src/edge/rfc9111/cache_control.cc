#include "edge/rfc9111/cache_control.h"

#include "base/strutil.h"

namespace strata::edge::rfc9111 {

std::optional<int64_t> ParseDeltaSeconds(std::string_view s) {
  if (s.empty()) return std::nullopt;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    if (v < kDeltaSecondsMax) v = v * 10 + (c - '0');
  }
  return v > kDeltaSecondsMax ? kDeltaSecondsMax : v;
}

namespace {

std::string_view Unquote(std::string_view v, bool* ok) {
  *ok = true;
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') return v.substr(1, v.size() - 2);
  if (!v.empty() && v.front() == '"') *ok = false;
  return v;
}

// Sets an optional delta-seconds directive once (first occurrence wins; invalid is ignored).
void SetDelta(std::optional<int64_t>* slot, std::string_view value, bool has_value, bool* seen,
              bool* any) {
  if (*seen) return;
  *seen = true;
  if (!has_value) return;
  bool ok;
  std::string_view v = Unquote(value, &ok);
  if (!ok) return;
  if (auto d = ParseDeltaSeconds(v)) {
    *slot = *d;
    *any = true;
  }
}

}  // namespace

CacheControl ParseCacheControl(std::string_view value) {
  CacheControl cc;
  bool seen_max_age = false, seen_s_maxage = false, seen_swr = false, seen_sie = false,
       seen_max_stale = false, seen_min_fresh = false;
  http1::ForEachListElement(value, [&](std::string_view el) {
    size_t eq = el.find('=');
    std::string_view name = http1::TrimOws(el.substr(0, eq));
    bool has_value = eq != std::string_view::npos;
    std::string_view val = has_value ? http1::TrimOws(el.substr(eq + 1)) : std::string_view();
    if (!http1::IsToken(name)) return true;
    auto is = [&](std::string_view n) { return EqualsIgnoreCase(name, n); };
    if (is("no-store")) {
      cc.no_store = cc.any = true;
    } else if (is("no-cache")) {
      cc.no_cache = cc.any = true;
    } else if (is("private")) {
      cc.is_private = cc.any = true;
    } else if (is("public")) {
      cc.is_public = cc.any = true;
    } else if (is("must-revalidate")) {
      cc.must_revalidate = cc.any = true;
    } else if (is("proxy-revalidate")) {
      cc.proxy_revalidate = cc.any = true;
    } else if (is("immutable")) {
      cc.immutable = cc.any = true;
    } else if (is("no-transform")) {
      cc.no_transform = cc.any = true;
    } else if (is("only-if-cached")) {
      cc.only_if_cached = cc.any = true;
    } else if (is("max-age")) {
      SetDelta(&cc.max_age, val, has_value, &seen_max_age, &cc.any);
    } else if (is("s-maxage")) {
      SetDelta(&cc.s_maxage, val, has_value, &seen_s_maxage, &cc.any);
    } else if (is("stale-while-revalidate")) {
      SetDelta(&cc.stale_while_revalidate, val, has_value, &seen_swr, &cc.any);
    } else if (is("stale-if-error")) {
      SetDelta(&cc.stale_if_error, val, has_value, &seen_sie, &cc.any);
    } else if (is("min-fresh")) {
      SetDelta(&cc.min_fresh, val, has_value, &seen_min_fresh, &cc.any);
    } else if (is("max-stale")) {
      if (!has_value && !seen_max_stale) {
        seen_max_stale = true;
        cc.max_stale = kDeltaSecondsMax;
        cc.any = true;
      } else {
        SetDelta(&cc.max_stale, val, has_value, &seen_max_stale, &cc.any);
      }
    }
    return true;
  });
  return cc;
}

namespace {
// A targeted field is a Structured Fields dictionary (RFC 8941): keys are lowercase. Anything
// that cannot be such a dictionary makes the field invalid, so Cache-Control applies instead.
bool ValidTargeted(std::string_view v) {
  if (http1::TrimOws(v).empty()) return false;
  bool ok = true;
  http1::ForEachListElement(v, [&](std::string_view el) {
    std::string_view key = el.substr(0, el.find('='));
    key = http1::TrimOws(key);
    if (key.empty() || !(key[0] == '*' || (key[0] >= 'a' && key[0] <= 'z'))) ok = false;
    for (char c : key) {
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' ||
            c == '*'))
        ok = false;
    }
    return ok;
  });
  return ok;
}
}  // namespace

EffectiveControl SelectResponseControl(const http1::HeaderList& response) {
  for (std::string_view name : {"strata-cache-control", "cdn-cache-control"}) {
    std::string v = response.GetCombined(name);
    if (ValidTargeted(v)) return EffectiveControl{ParseCacheControl(v), true};
  }
  return EffectiveControl{ParseCacheControl(response.GetCombined("cache-control")), false};
}

CacheControl RequestControl(const http1::MessageHead& request) {
  if (request.Count("cache-control") > 0)
    return ParseCacheControl(request.GetCombined("cache-control"));
  CacheControl cc;
  if (request.HasToken("pragma", "no-cache")) cc.no_cache = cc.any = true;
  return cc;
}

}  // namespace strata::edge::rfc9111
