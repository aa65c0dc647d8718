#include "edge/rfc9111/conditional.h"

#include "base/strutil.h"
#include "edge/rfc9111/http_date.h"

namespace strata::edge::rfc9111 {
namespace {
bool IsWeak(std::string_view t) { return t.size() >= 2 && t[0] == 'W' && t[1] == '/'; }
std::string_view Opaque(std::string_view t) { return IsWeak(t) ? t.substr(2) : t; }
bool ValidTag(std::string_view t) {
  t = Opaque(t);
  return t.size() >= 2 && t.front() == '"' && t.back() == '"';
}
}  // namespace

bool WeakMatch(std::string_view a, std::string_view b) {
  return ValidTag(a) && ValidTag(b) && Opaque(a) == Opaque(b);
}

bool StrongMatch(std::string_view a, std::string_view b) {
  return ValidTag(a) && ValidTag(b) && !IsWeak(a) && !IsWeak(b) && a == b;
}

bool EtagListMatches(std::string_view list, std::string_view etag, bool weak) {
  if (http1::TrimOws(list) == "*") return true;
  bool match = false;
  http1::ForEachListElement(list, [&](std::string_view el) {
    match = weak ? WeakMatch(el, etag) : StrongMatch(el, etag);
    return !match;
  });
  return match;
}

Precondition EvaluatePreconditions(std::string_view method, const http1::MessageHead& req,
                                   const StoredValidators& v) {
  bool get_or_head = method == "GET" || method == "HEAD";
  std::optional<int64_t> modified = v.last_modified_s ? v.last_modified_s : v.date_s;
  if (req.Count("if-match") > 0) {
    if (!v.etag || !EtagListMatches(req.GetCombined("if-match"), *v.etag, false))
      return Precondition::kFailed;
  } else if (auto ius = req.Get("if-unmodified-since")) {
    auto t = ParseHttpDate(*ius);
    if (t && (!v.last_modified_s || *v.last_modified_s > *t)) return Precondition::kFailed;
  }
  if (req.Count("if-none-match") > 0) {
    if (v.etag && EtagListMatches(req.GetCombined("if-none-match"), *v.etag, true))
      return get_or_head ? Precondition::kNotModified : Precondition::kFailed;
    if (http1::TrimOws(req.GetCombined("if-none-match")) == "*")
      return get_or_head ? Precondition::kNotModified : Precondition::kFailed;
    return Precondition::kNone;
  }
  if (get_or_head) {
    if (auto ims = req.Get("if-modified-since")) {
      auto t = ParseHttpDate(*ims);
      if (t && modified && *modified <= *t) return Precondition::kNotModified;
    }
  }
  return Precondition::kNone;
}

bool IfRangeMatches(const http1::MessageHead& req, const StoredValidators& v) {
  auto ir = req.Get("if-range");
  if (!ir) return true;
  std::string_view val = *ir;
  if (!val.empty() && (val[0] == '"' || IsWeak(val))) return v.etag && StrongMatch(val, *v.etag);
  auto t = ParseHttpDate(val);
  return t && v.last_modified_s && *t == *v.last_modified_s;
}

bool AddValidators(const http1::HeaderList& stored, http1::HeaderList* out) {
  bool any = false;
  if (auto etag = stored.Get("etag")) {
    out->Set("If-None-Match", *etag);
    any = true;
  }
  if (auto lm = stored.Get("last-modified")) {
    out->Set("If-Modified-Since", *lm);
    any = true;
  }
  return any;
}

void ApplyNotModified(const http1::MessageHead& nm, http1::HeaderList* stored) {
  // Collect names first so that several lines of one field replace the stored lines together.
  std::vector<std::string_view> replaced;
  for (size_t i = 0; i < nm.FieldCount(); i++) {
    std::string_view name = nm.Name(i);
    if (EqualsIgnoreCase(name, "content-length") || http1::IsHopByHop(name)) continue;
    if (http1::NamedInConnection(nm.GetCombined("connection"), name)) continue;
    bool seen = false;
    for (auto r : replaced) seen |= EqualsIgnoreCase(r, name);
    if (!seen) {
      stored->Remove(name);
      replaced.push_back(name);
    }
    stored->Add(name, nm.Value(i));
  }
}

bool IsNotModifiedField(std::string_view name) {
  for (std::string_view n : {"cache-control", "content-location", "date", "etag", "expires", "vary",
                             "last-modified", "cdn-cache-control"}) {
    if (EqualsIgnoreCase(name, n)) return true;
  }
  return false;
}

}  // namespace strata::edge::rfc9111
