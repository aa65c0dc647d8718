// HTTP/1.1 message heads as produced by the strict parser (RFC 9112), and small header helpers.
//
// A parsed head owns its raw bytes (`raw`) and refers to the request line / status line and the
// field lines by offsets into it, so a head can be moved freely and costs one allocation. Field
// names keep the case they arrived with (end-to-end headers are passed through unchanged);
// lookups are case-insensitive.
//
// `HeaderList` is the mutable, owning form used where headers are edited (stored responses,
// 304 updates) or built from scratch.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace strata::http1 {

struct Span {
  uint32_t off = 0;
  uint32_t len = 0;
};

struct FieldSpan {
  Span name;
  Span value;  // OWS-trimmed
};

// How the body of a message is delimited (RFC 9112 §6).
enum class BodyFraming : uint8_t {
  kNone,           // no body (HEAD response, 1xx/204/304, request without CL/TE)
  kContentLength,  // exactly content_length bytes
  kChunked,        // chunked transfer coding
  kUntilClose,     // response read until the connection closes
};

class MessageHead {
 public:
  std::string raw;
  std::vector<FieldSpan> fields;

  std::string_view View(Span s) const { return std::string_view(raw).substr(s.off, s.len); }
  size_t FieldCount() const { return fields.size(); }
  std::string_view Name(size_t i) const { return View(fields[i].name); }
  std::string_view Value(size_t i) const { return View(fields[i].value); }

  // First value of a field (case-insensitive name), or nullopt.
  std::optional<std::string_view> Get(std::string_view name) const;
  // Number of field lines with this name.
  size_t Count(std::string_view name) const;
  // All field lines of this name joined with ", " (RFC 9110 §5.3); empty if absent.
  std::string GetCombined(std::string_view name) const;
  // True when the comma-separated list field `name` contains `token` (case-insensitive).
  bool HasToken(std::string_view name, std::string_view token) const;
};

struct RequestHead : MessageHead {
  Span method;
  Span target;
  int version_minor = 1;  // HTTP/1.x
  BodyFraming framing = BodyFraming::kNone;
  uint64_t content_length = 0;
  bool keep_alive = true;
  bool expect_continue = false;

  std::string_view Method() const { return View(method); }
  std::string_view Target() const { return View(target); }
};

struct ResponseHead : MessageHead {
  int status = 0;
  Span reason;
  int version_minor = 1;
  BodyFraming framing = BodyFraming::kNone;
  uint64_t content_length = 0;
  bool keep_alive = true;

  std::string_view Reason() const { return View(reason); }
};

// An owning, editable header list (order preserved, duplicates allowed).
class HeaderList {
 public:
  using Field = std::pair<std::string, std::string>;

  void Add(std::string_view name, std::string_view value) {
    fields_.emplace_back(std::string(name), std::string(value));
  }
  // Removes every field with this name; returns how many were removed.
  size_t Remove(std::string_view name);
  // Replaces all fields of this name with one field.
  void Set(std::string_view name, std::string_view value);
  std::optional<std::string_view> Get(std::string_view name) const;
  std::string GetCombined(std::string_view name) const;
  bool Has(std::string_view name) const { return Get(name).has_value(); }
  bool HasToken(std::string_view name, std::string_view token) const;

  const std::vector<Field>& fields() const { return fields_; }
  std::vector<Field>& mutable_fields() { return fields_; }
  size_t size() const { return fields_.size(); }
  // Bytes the fields take when serialised ("name: value\r\n" each).
  size_t WireSize() const;

  static HeaderList From(const MessageHead& head);

 private:
  std::vector<Field> fields_;
};

// --- character classes and list helpers (RFC 9110 §5.6) ---

bool IsTokenChar(unsigned char c);
bool IsToken(std::string_view s);
// Field-value characters: VCHAR, obs-text, SP, HTAB (no CR, LF, NUL or other controls).
bool IsFieldValueChar(unsigned char c);
std::string_view TrimOws(std::string_view s);

// Calls fn(element) for every non-empty, OWS-trimmed element of a comma-separated list. Commas
// inside quoted strings do not split. Returns false if fn returns false (stops early).
template <typename Fn>
bool ForEachListElement(std::string_view list, Fn&& fn) {
  size_t start = 0;
  bool in_quote = false;
  for (size_t i = 0; i <= list.size(); i++) {
    if (i < list.size()) {
      char c = list[i];
      if (in_quote) {
        if (c == '\\' && i + 1 < list.size()) {
          i++;
        } else if (c == '"') {
          in_quote = false;
        }
        continue;
      }
      if (c == '"') {
        in_quote = true;
        continue;
      }
      if (c != ',') continue;
    }
    std::string_view el = TrimOws(list.substr(start, i - start));
    if (!el.empty() && !fn(el)) return false;
    start = i + 1;
  }
  return true;
}

// Hop-by-hop fields a proxy removes (RFC 9110 §7.6.1), plus those named in `connection`.
bool IsHopByHop(std::string_view name);
// True when `name` is listed in the Connection field value `connection`.
bool NamedInConnection(std::string_view connection, std::string_view name);

}  // namespace strata::http1
