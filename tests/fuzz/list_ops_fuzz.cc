// Fuzzes ListObject with a sequence of operations decoded from the input, replayed against a
// std::deque model: pushes and pops at both ends, LINDEX/LSET with indexes from either end (and
// out of range), LINSERT before/after a pivot, LREM with positive, negative and zero counts,
// LTRIM with Redis's index normalisation, range walks in both directions, multi-pops and erases.
// Elements mix canonical integers of every stored width, non-canonical numbers ("007", "-0")
// that must stay text, and strings across the 63/4095-byte length boundaries; the node fill
// (list-max-listpack-size) is small, input-chosen and may change between writes, so nodes split
// constantly. After every operation the length and node invariants (Validate) must hold and,
// while the list is small, every element must equal the model; clones must equal the original.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "kv/types/list.h"
#include "op_reader.h"

namespace {

using strata::fuzz::OpReader;
using strata::kv::ListElem;
using strata::kv::ListObject;

int FillFrom(uint8_t b) {
  static constexpr int kFills[] = {-1, -2, -3, -4, -5, -6, 0,         1,
                                   2,  3,  4,  5,  8,  16, INT32_MAX, INT32_MIN};
  return kFills[b % (sizeof(kFills) / sizeof(kFills[0]))];
}

struct Harness {
  explicit Harness(OpReader& r) : in(r) {}

  OpReader& in;
  int fill = -2;
  int depth = 0;  // list-compress-depth: 0 (off) to 3, input-chosen with the fill
  std::unique_ptr<ListObject> l = std::make_unique<ListObject>();
  std::deque<std::string> m;

  static std::vector<std::string> Contents(const ListObject& x, bool reverse) {
    std::vector<std::string> out;
    if (x.Length() == 0) return out;
    x.ForRange(reverse ? x.Length() - 1 : 0, x.Length(), reverse,
               [&](const ListElem& e) { out.push_back(e.ToString()); });
    return out;
  }

  void Compare(const ListObject& x) {
    FUZZ_CHECK(x.Length() == m.size());
    FUZZ_CHECK(x.Validate());
    FUZZ_CHECK(Contents(x, false) == std::vector<std::string>(m.begin(), m.end()));
    FUZZ_CHECK(Contents(x, true) == std::vector<std::string>(m.rbegin(), m.rend()));
  }

  // An index in [-len - 2, len + 1], or an extreme.
  int64_t AnyIndex() {
    int64_t len = int64_t(m.size());
    switch (in.Byte() % 8) {
      case 0:
        return INT64_MIN;
      case 1:
        return INT64_MAX;
      default:
        return int64_t(in.Below(size_t(2 * len + 4))) - len - 2;
    }
  }

  // A value to look for: usually one the list holds.
  std::string PickValue() {
    if (!m.empty() && in.Byte() % 4) return m[in.Below(m.size())];
    return in.Str();
  }

  void Run() {
    fill = FillFrom(in.Byte());
    depth = in.Byte() % 4;
    for (size_t step = 0; !in.done(); step++) {
      switch (in.Byte() % 16) {
        case 0:
        case 1:
        case 2: {
          std::string v = in.Str();
          bool head = in.Bit();
          l->Push(head ? ListObject::kHead : ListObject::kTail, v, fill, depth);
          head ? m.push_front(v) : m.push_back(v);
          break;
        }
        case 3: {
          bool head = in.Bit();
          bool want_value = in.Bit();
          std::string v;
          bool got = l->Pop(head ? ListObject::kHead : ListObject::kTail, want_value ? &v : nullptr,
                            depth);
          FUZZ_CHECK(got == !m.empty());
          if (got) {
            if (want_value) FUZZ_CHECK(v == (head ? m.front() : m.back()));
            head ? m.pop_front() : m.pop_back();
          }
          break;
        }
        case 4: {
          // LINDEX
          int64_t idx = AnyIndex();
          int64_t len = int64_t(m.size());
          ListElem e;
          std::string text;
          bool in_range = idx >= -len && idx < len;
          FUZZ_CHECK(l->Index(idx, &e, &text) == in_range);
          if (in_range) FUZZ_CHECK(e.ToString() == m[size_t(idx < 0 ? idx + len : idx)]);
          break;
        }
        case 5: {
          // LSET
          int64_t idx = AnyIndex();
          int64_t len = int64_t(m.size());
          std::string v = in.Str();
          bool in_range = idx >= -len && idx < len;
          FUZZ_CHECK(l->Set(idx, v, fill, depth) == in_range);
          if (in_range) m[size_t(idx < 0 ? idx + len : idx)] = v;
          break;
        }
        case 6: {
          // LINSERT
          std::string pivot = PickValue();
          std::string v = in.Str();
          bool after = in.Bit();
          auto it = std::find(m.begin(), m.end(), pivot);
          FUZZ_CHECK(l->Insert(pivot, after, v, fill, depth) == (it != m.end()));
          if (it != m.end()) m.insert(after ? it + 1 : it, v);
          break;
        }
        case 7: {
          // LREM
          std::string v = PickValue();
          static constexpr int64_t kCounts[] = {0, 1, 2, 3, -1, -2, -3, INT64_MIN, INT64_MAX};
          int64_t count = kCounts[in.Byte() % (sizeof(kCounts) / sizeof(kCounts[0]))];
          size_t want = 0;
          if (count >= 0) {
            for (auto it = m.begin(); it != m.end();) {
              if (*it == v && (count == 0 || want < uint64_t(count))) {
                it = m.erase(it);
                want++;
              } else {
                ++it;
              }
            }
          } else {
            uint64_t limit = uint64_t(-(count + 1)) + 1;
            for (size_t i = m.size(); i-- > 0;) {
              if (m[i] == v && want < limit) {
                m.erase(m.begin() + ptrdiff_t(i));
                want++;
              }
            }
          }
          FUZZ_CHECK(l->Remove(count, v, depth) == want);
          break;
        }
        case 8: {
          // LTRIM start end, normalised as the command does.
          int64_t len = int64_t(m.size());
          int64_t start = AnyIndex(), end = AnyIndex();
          if (start < 0) start += len;
          if (end < 0) end += len;
          if (start < 0) start = 0;
          if (end < 0) end = 0;
          if (end >= len) end = len - 1;
          if (start <= end) {
            l->Keep(size_t(start), size_t(end - start + 1), depth);
            m = std::deque<std::string>(m.begin() + start, m.begin() + end + 1);
          } else {
            l->Keep(0, 0, depth);
            m.clear();
          }
          break;
        }
        case 9: {
          // A walk from any position, either way (LRANGE, LPOS, ...).
          if (m.empty()) break;
          size_t start = in.Below(m.size()), n = in.Below(m.size() + 2);
          bool reverse = in.Bit();
          std::vector<std::string> got, want;
          l->ForRange(start, n, reverse, [&](const ListElem& e) { got.push_back(e.ToString()); });
          for (size_t i = 0; i < n; i++) {
            if (reverse ? i > start : start + i >= m.size()) break;
            want.push_back(m[reverse ? start - i : start + i]);
          }
          FUZZ_CHECK(got == want);
          break;
        }
        case 10: {
          // LPOP/RPOP with a count.
          size_t n = in.Below(m.size() + 3);
          bool head = in.Bit();
          std::vector<std::string> got, want;
          size_t popped = l->PopMany(head ? ListObject::kHead : ListObject::kTail, n, depth,
                                     [&](const ListElem& e) { got.push_back(e.ToString()); });
          for (size_t i = 0; i < n && !m.empty(); i++) {
            want.push_back(head ? m.front() : m.back());
            head ? m.pop_front() : m.pop_back();
          }
          FUZZ_CHECK(popped == want.size());
          FUZZ_CHECK(got == want);
          break;
        }
        case 11: {
          // Erase a run from the middle.
          if (m.empty()) break;
          size_t start = in.Below(m.size());
          size_t n = in.Below(m.size() - start + 1);
          l->Erase(start, n, depth);
          m.erase(m.begin() + ptrdiff_t(start), m.begin() + ptrdiff_t(start + n));
          break;
        }
        case 12: {
          std::unique_ptr<strata::kv::Object> c = l->Clone();
          auto* copy = static_cast<ListObject*>(c.get());
          Compare(*copy);
          FUZZ_CHECK(copy->NodeCount() == l->NodeCount());
          (void)copy->MemoryUsage();
          if (in.Bit()) {
            c.release();
            l.reset(copy);
          }
          break;
        }
        case 13:
          // list-max-listpack-size changes at run time.
          fill = FillFrom(in.Byte());
          depth = in.Byte() % 4;
          break;
        case 14: {
          // Many elements at once, so a list spans several nodes.
          size_t n = 1 + in.Below(300);
          bool head = in.Bit();
          std::string v = in.Str();
          bool numbers = in.Bit();
          for (size_t i = 0; i < n; i++) {
            std::string e = numbers ? std::to_string(int64_t(i) * 1000 - 5000) : v;
            l->Push(head ? ListObject::kHead : ListObject::kTail, e, fill, depth);
            head ? m.push_front(e) : m.push_back(e);
          }
          break;
        }
        default: {
          FUZZ_CHECK(l->MemoryUsage() > 0);
          FUZZ_CHECK(l->FreeEffort() == l->NodeCount());
          // Element views compare as the stored encoding says.
          if (!m.empty()) {
            size_t i = in.Below(m.size());
            ListElem e;
            std::string text;
            FUZZ_CHECK(l->Index(int64_t(i), &e, &text));
            strata::kv::ListNeedle needle(m[i]);
            FUZZ_CHECK(needle.Matches(e));
            char buf[24];
            FUZZ_CHECK(e.View(buf) == m[i]);
          }
          break;
        }
      }
      FUZZ_CHECK(l->Length() == m.size());
      FUZZ_CHECK(l->NodeCount() <= m.size());
      FUZZ_CHECK((l->NodeCount() == 0) == m.empty());
      if (m.size() <= 64 || step % 16 == 0) {
        Compare(*l);
      } else {
        FUZZ_CHECK(l->Validate());
      }
    }
    Compare(*l);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  OpReader in(data, size);
  Harness(in).Run();
  return 0;
}
