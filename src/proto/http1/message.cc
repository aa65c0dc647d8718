#include "proto/http1/message.h"

#include "base/strutil.h"

namespace strata::http1 {

std::optional<std::string_view> MessageHead::Get(std::string_view name) const {
  for (const auto& f : fields) {
    if (EqualsIgnoreCase(View(f.name), name)) return View(f.value);
  }
  return std::nullopt;
}

size_t MessageHead::Count(std::string_view name) const {
  size_t n = 0;
  for (const auto& f : fields) n += EqualsIgnoreCase(View(f.name), name);
  return n;
}

std::string MessageHead::GetCombined(std::string_view name) const {
  std::string out;
  for (const auto& f : fields) {
    if (!EqualsIgnoreCase(View(f.name), name)) continue;
    if (!out.empty()) out += ", ";
    out += View(f.value);
  }
  return out;
}

namespace {
bool ListHasToken(std::string_view list, std::string_view token) {
  bool found = false;
  ForEachListElement(list, [&](std::string_view el) {
    if (EqualsIgnoreCase(el, token)) found = true;
    return !found;
  });
  return found;
}
}  // namespace

bool MessageHead::HasToken(std::string_view name, std::string_view token) const {
  for (const auto& f : fields) {
    if (EqualsIgnoreCase(View(f.name), name) && ListHasToken(View(f.value), token)) return true;
  }
  return false;
}

size_t HeaderList::Remove(std::string_view name) {
  size_t before = fields_.size();
  std::erase_if(fields_, [&](const Field& f) { return EqualsIgnoreCase(f.first, name); });
  return before - fields_.size();
}

void HeaderList::Set(std::string_view name, std::string_view value) {
  for (size_t i = 0; i < fields_.size(); i++) {
    if (EqualsIgnoreCase(fields_[i].first, name)) {
      fields_[i].second = std::string(value);
      // Drop any later duplicates.
      for (size_t j = fields_.size(); j-- > i + 1;) {
        if (EqualsIgnoreCase(fields_[j].first, name)) fields_.erase(fields_.begin() + j);
      }
      return;
    }
  }
  Add(name, value);
}

std::optional<std::string_view> HeaderList::Get(std::string_view name) const {
  for (const auto& f : fields_) {
    if (EqualsIgnoreCase(f.first, name)) return std::string_view(f.second);
  }
  return std::nullopt;
}

std::string HeaderList::GetCombined(std::string_view name) const {
  std::string out;
  for (const auto& f : fields_) {
    if (!EqualsIgnoreCase(f.first, name)) continue;
    if (!out.empty()) out += ", ";
    out += f.second;
  }
  return out;
}

bool HeaderList::HasToken(std::string_view name, std::string_view token) const {
  for (const auto& f : fields_) {
    if (EqualsIgnoreCase(f.first, name) && ListHasToken(f.second, token)) return true;
  }
  return false;
}

size_t HeaderList::WireSize() const {
  size_t n = 0;
  for (const auto& f : fields_) n += f.first.size() + f.second.size() + 4;
  return n;
}

HeaderList HeaderList::From(const MessageHead& head) {
  HeaderList h;
  h.fields_.reserve(head.FieldCount());
  for (size_t i = 0; i < head.FieldCount(); i++) h.Add(head.Name(i), head.Value(i));
  return h;
}

bool IsTokenChar(unsigned char c) {
  // tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" /
  //         "~" / DIGIT / ALPHA
  static const bool* table = [] {
    static bool t[256] = {};
    for (int c = '0'; c <= '9'; c++) t[c] = true;
    for (int c = 'a'; c <= 'z'; c++) t[c] = true;
    for (int c = 'A'; c <= 'Z'; c++) t[c] = true;
    for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
    return t;
  }();
  return table[c];
}

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsTokenChar(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool IsFieldValueChar(unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7f); }

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool IsHopByHop(std::string_view name) {
  static constexpr std::string_view kHop[] = {"connection",
                                              "keep-alive",
                                              "proxy-connection",
                                              "te",
                                              "trailer",
                                              "transfer-encoding",
                                              "upgrade",
                                              "proxy-authenticate",
                                              "proxy-authorization"};
  for (auto h : kHop) {
    if (EqualsIgnoreCase(name, h)) return true;
  }
  return false;
}

bool NamedInConnection(std::string_view connection, std::string_view name) {
  return ListHasToken(connection, name);
}

}  // namespace strata::http1
