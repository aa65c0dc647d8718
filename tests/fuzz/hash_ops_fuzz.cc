// Fuzzes HashObject with a sequence of operations decoded from the input, replayed against a
// std::map model (plus the insertion order the packed form keeps). After every operation the
// length, the touched field and the encoding must agree with the model; the packed form must
// convert to the table exactly when a field or value is longer than max_value or the hash grows
// past max_entries, and never back. Full walks compare every pair (in insertion order while
// packed); HSCAN cursors, interleaved with writes, must return every field present for the whole
// scan; random pairs must exist; clones must equal the original and stay usable.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "kv/types/hash.h"
#include "op_reader.h"

namespace {

using strata::fuzz::OpReader;
using strata::kv::HashObject;

struct Harness {
  explicit Harness(OpReader& r) : in(r) {}

  OpReader& in;
  HashObject::Limits lim;
  std::unique_ptr<HashObject> h = std::make_unique<HashObject>();
  std::map<std::string, std::string> model;
  std::vector<std::string> order;  // fields in insertion order (the packed walk order)
  bool packed = true;
  std::mt19937_64 rng;

  // An HSCAN in progress: the fields present since it started, and those it returned.
  bool scanning = false;
  uint64_t cursor = 0;
  std::set<std::string> stable, seen;

  void Set(const std::string& f, const std::string& v) {
    bool too_long = f.size() > lim.max_value || v.size() > lim.max_value;
    bool added = h->Set(f, v, lim);
    FUZZ_CHECK(added == (model.count(f) == 0));
    if (added) order.push_back(f);
    model[f] = v;
    if (packed && (too_long || model.size() > lim.max_entries)) packed = false;
    std::string_view got;
    FUZZ_CHECK(h->Get(f, &got) && got == v);
  }

  void Delete(const std::string& f) {
    bool had = model.erase(f) == 1;
    FUZZ_CHECK(h->Delete(f) == had);
    if (had) order.erase(std::find(order.begin(), order.end(), f));
    stable.erase(f);
    FUZZ_CHECK(!h->Exists(f));
  }

  // A field for a lookup or delete: usually one the hash holds.
  std::string PickField() {
    if (!model.empty() && in.Byte() % 4) {
      auto it = model.begin();
      std::advance(it, ptrdiff_t(in.Below(model.size())));
      return it->first;
    }
    return in.Str();
  }

  // Every pair, without duplicates, equal to the model; in insertion order while packed.
  static void Compare(const HashObject& x, const std::map<std::string, std::string>& m,
                      const std::vector<std::string>* ord) {
    std::map<std::string, std::string> got;
    std::vector<std::string> walk;
    x.ForEach([&](std::string_view f, std::string_view v) {
      FUZZ_CHECK(got.emplace(std::string(f), std::string(v)).second);
      walk.emplace_back(f);
    });
    FUZZ_CHECK(got == m);
    if (ord) FUZZ_CHECK(walk == *ord);
    FUZZ_CHECK(x.Length() == m.size());
  }

  void CheckAll(bool heavy) {
    FUZZ_CHECK(h->Length() == model.size());
    FUZZ_CHECK(h->packed() == packed);
    FUZZ_CHECK(std::string(h->Encoding()) == (packed ? "listpack" : "hashtable"));
    FUZZ_CHECK(order.size() == model.size());
    if (packed) FUZZ_CHECK(h->BucketCount() == 0 && !h->Rehashing());
    if (heavy || packed) Compare(*h, model, packed ? &order : nullptr);
  }

  void ScanStep() {
    if (!scanning) {
      scanning = true;
      cursor = 0;
      seen.clear();
      stable.clear();
      for (const auto& [f, v] : model) stable.insert(f);
    }
    cursor = h->Scan(cursor, [&](std::string_view f, std::string_view v) {
      auto it = model.find(std::string(f));
      FUZZ_CHECK(it != model.end() && it->second == v);
      seen.emplace(f);
    });
    if (cursor == 0) {
      for (const std::string& f : stable) FUZZ_CHECK(seen.count(f));
      scanning = false;
    }
  }

  void Run() {
    lim.max_entries = in.Byte() % 17;
    lim.max_value = in.Byte() % 65;
    rng.seed(in.Byte());
    for (size_t step = 0; !in.done(); step++) {
      switch (in.Byte() % 12) {
        case 0:
        case 1:
        case 2: {
          std::string f = in.Byte() % 3 ? PickField() : in.Str();
          Set(f, in.Str());
          break;
        }
        case 3:
          Delete(PickField());
          break;
        case 4: {
          std::string f = PickField();
          std::string_view v;
          bool found = h->Get(f, &v);
          auto it = model.find(f);
          FUZZ_CHECK(found == (it != model.end()));
          if (found) FUZZ_CHECK(v == it->second);
          break;
        }
        case 5:
          ScanStep();
          break;
        case 6:
          if (!model.empty()) {
            auto [f, v] = h->RandomPair(rng);
            auto it = model.find(std::string(f));
            FUZZ_CHECK(it != model.end() && it->second == v);
          }
          break;
        case 7: {
          std::unique_ptr<strata::kv::Object> c = h->Clone();
          auto* copy = static_cast<HashObject*>(c.get());
          FUZZ_CHECK(copy->packed() == packed);
          Compare(*copy, model, packed ? &order : nullptr);
          (void)copy->MemoryUsage();
          if (in.Bit()) {
            c.release();
            h.reset(copy);
          }
          break;
        }
        case 8: {
          // Explicit conversions, as the write commands do before they change anything.
          if (in.Bit()) {
            h->ConvertToTable();
            packed = false;
          } else {
            std::string s = in.Str();
            h->ConvertIfTooLong(s, lim);
            if (s.size() > lim.max_value) packed = false;
          }
          break;
        }
        case 9:
          // The configured limits change at run time; existing hashes keep their encoding.
          lim.max_entries = in.Byte() % 17;
          lim.max_value = in.Byte() % 65;
          break;
        case 10: {
          // Many fields at once, so the table grows (and, deleted again, shrinks) through
          // incremental resizes.
          size_t n = 1 + in.Below(300);
          std::string prefix = std::to_string(in.Byte() % 4);
          bool del = in.Bit();
          std::string v = in.Str();
          for (size_t i = 0; i < n; i++) {
            std::string f = prefix + ":" + std::to_string(i);
            del ? Delete(f) : Set(f, v + std::to_string(i % 7));
          }
          break;
        }
        default: {
          size_t mem = h->MemoryUsage();
          FUZZ_CHECK(mem > 0);
          FUZZ_CHECK(h->FreeEffort() >= 1 || model.empty());
          (void)h->BucketCount();
          (void)h->Rehashing();
          break;
        }
      }
      CheckAll(model.size() <= 64 || step % 16 == 0);
    }
    CheckAll(true);
    if (scanning) {
      // Finish the scan without further writes.
      while (scanning) ScanStep();
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  OpReader in(data, size);
  Harness(in).Run();
  return 0;
}
