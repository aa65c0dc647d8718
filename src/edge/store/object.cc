#include "edge/store/object.h"

#include <algorithm>

#include "base/strutil.h"
#include "edge/rfc9111/http_date.h"
#include "proto/http1/writer.h"

namespace strata::edge {

void CachedObject::AddListener(BodyListener* l) {
  if (std::find(listeners_.begin(), listeners_.end(), l) == listeners_.end())
    listeners_.push_back(l);
}

void CachedObject::RemoveListener(BodyListener* l) { std::erase(listeners_, l); }

void CachedObject::NotifyListeners() {
  // Listeners may remove themselves (or others) while being notified.
  std::vector<BodyListener*> copy = listeners_;
  for (BodyListener* l : copy) {
    if (std::find(listeners_.begin(), listeners_.end(), l) != listeners_.end()) l->OnBodyProgress();
  }
}

void CachedObject::ConsumedTo(uint64_t offset) {
  if (!transient || offset <= body_base) return;
  uint64_t drop = std::min<uint64_t>(offset - body_base, body.size());
  if (drop < 64 * 1024 && drop < body.size()) return;  // amortise the erase
  body.erase(0, drop);
  body_base += drop;
  if (producer && body.size() < 256 * 1024) producer->ResumeBody();
}

const std::string& CachedObject::HeadPrefix(std::string_view via_name) {
  if (head_prefix_.empty()) {
    head_prefix_.reserve(headers.WireSize() + 64);
    http1::AppendStatusLine(&head_prefix_, status, reason);
    std::string via;
    for (const auto& [n, v] : headers.fields()) {
      if (EqualsIgnoreCase(n, "via")) {
        via += via.empty() ? "" : ", ";
        via += v;
        continue;
      }
      http1::AppendField(&head_prefix_, n, v);
    }
    via += via.empty() ? "1.1 " : ", 1.1 ";
    via += via_name;
    http1::AppendField(&head_prefix_, "Via", via);
  }
  return head_prefix_;
}

void CachedObject::RefreshDerivedFields() {
  head_prefix_.clear();
  etag.reset();
  last_modified_s.reset();
  date_s.reset();
  if (auto e = headers.Get("etag")) etag = std::string(*e);
  if (auto lm = headers.Get("last-modified")) last_modified_s = rfc9111::ParseHttpDate(*lm);
  if (auto d = headers.Get("date")) date_s = rfc9111::ParseHttpDate(*d);
  tags.clear();
  for (const char* field : {"surrogate-key", "cache-tag"}) {
    std::string v = headers.GetCombined(field);
    // Surrogate-Key is space-separated, Cache-Tag comma-separated: accept both separators.
    size_t i = 0;
    while (i < v.size()) {
      while (i < v.size() && (v[i] == ' ' || v[i] == ',' || v[i] == '\t')) i++;
      size_t j = i;
      while (j < v.size() && v[j] != ' ' && v[j] != ',' && v[j] != '\t') j++;
      if (j > i) tags.emplace_back(v.substr(i, j - i));
      i = j;
    }
  }
  std::sort(tags.begin(), tags.end());
  tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
}

}  // namespace strata::edge
