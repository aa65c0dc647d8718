// Redis's compact blob encodings as they appear inside RDB values: listpack (read and written),
// ziplist, zipmap and intset (read only; Redis 7.0 still loads them from older RDB files and
// DUMP payloads).
//
// Every decoder checks the whole blob before trusting it (as Redis's deep sanitization does):
// the header's byte count matches the blob, every entry lies inside it, the terminator is where
// it belongs, the entry count matches the header, and back-links (ziplist prevlen, listpack
// backlen) agree with the entry before. A failed check returns false; nothing is read past the
// blob. Integers come back as their decimal text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace strata::kv::rdb {

// ---- listpack ----

// Decodes every element of a listpack into `out` (appended).
bool ListpackDecode(std::string_view lp, std::vector<std::string>* out);

// Builds a listpack, choosing the smallest encoding for each element as Redis does (canonical
// decimal integers become integers).
class ListpackWriter {
 public:
  ListpackWriter();
  void Append(std::string_view s);
  void AppendInt(int64_t v);
  size_t count() const { return count_; }
  size_t bytes() const { return buf_.size() + 1; }
  // The finished listpack (header patched, terminator added).
  std::string Finish();

 private:
  void AppendBacklen(size_t len);
  std::string buf_;
  size_t count_ = 0;
};

// ---- ziplist (pre-7.0 small lists, hashes, zsets) ----

bool ZiplistDecode(std::string_view zl, std::vector<std::string>* out);

// ---- zipmap (pre-2.6 small hashes): field, value, field, value ... ----

bool ZipmapDecode(std::string_view zm, std::vector<std::string>* out);

// ---- intset: sorted, distinct integers of one width ----

bool IntsetDecode(std::string_view is, std::vector<int64_t>* out);

}  // namespace strata::kv::rdb
