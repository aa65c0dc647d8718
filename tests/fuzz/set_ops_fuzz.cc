// Fuzzes SetObject with a sequence of operations decoded from the input, replayed against a
// std::set model. Members mix canonical integers of every width (so the intset widens from 16 to
// 32 to 64 bits), non-canonical numbers ("007", "-0", "+5") that must be kept as strings, and
// text; max_intset is small, input-chosen and may change, so sets cross intset -> int table and
// intset/int table -> string table constantly. After every operation the length, the touched
// member and the encoding must agree with the model (conversions happen exactly when Redis's
// rules say and never go back); full walks must list every member once (intsets in ascending
// order); SSCAN cursors, interleaved with writes, must return every member present for the
// whole scan; SRANDMEMBER/SPOP must return members; clones must equal the original.
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "kv/types/set.h"
#include "op_reader.h"

namespace {

using strata::fuzz::OpReader;
using strata::kv::SetObject;
using Enc = SetObject::Enc;

// Whether s is an integer in the one form that reads back identically (what an intset keeps).
bool Canonical(const std::string& s, int64_t* v) {
  if (s.empty() || s.size() > 20) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && end == s.data() + s.size() && std::to_string(*v) == s;
}

struct Harness {
  explicit Harness(OpReader& r) : in(r) {}

  OpReader& in;
  size_t max_intset = 0;
  std::unique_ptr<SetObject> s = std::make_unique<SetObject>();
  std::set<std::string> model;
  Enc enc = Enc::kIntSet;
  std::mt19937_64 rng;

  bool scanning = false;
  uint64_t cursor = 0;
  std::set<std::string> stable, seen;

  void Add(const std::string& m) {
    int64_t v;
    bool is_int = Canonical(m, &v);
    bool added = model.insert(m).second;
    FUZZ_CHECK(s->Add(m, max_intset) == added);
    if (enc != Enc::kStrTable && !is_int) {
      enc = Enc::kStrTable;
    } else if (enc == Enc::kIntSet && added && model.size() > max_intset) {
      enc = Enc::kIntTable;
    }
    FUZZ_CHECK(s->Contains(m));
  }

  void Remove(const std::string& m) {
    bool had = model.erase(m) == 1;
    FUZZ_CHECK(s->Remove(m) == had);
    stable.erase(m);
    FUZZ_CHECK(!s->Contains(m));
  }

  std::string PickMember() {
    if (!model.empty() && in.Byte() % 4) {
      auto it = model.begin();
      std::advance(it, ptrdiff_t(in.Below(model.size())));
      return *it;
    }
    return in.Str();
  }

  void Compare(const SetObject& x) {
    FUZZ_CHECK(x.Length() == model.size());
    std::set<std::string> got;
    bool first = true;
    int64_t prev = 0;
    x.ForEach([&](std::string_view m) {
      FUZZ_CHECK(got.emplace(m).second);
      if (x.enc() == Enc::kIntSet) {
        int64_t v;
        FUZZ_CHECK(Canonical(std::string(m), &v));
        FUZZ_CHECK(first || v > prev);
        first = false;
        prev = v;
      }
    });
    FUZZ_CHECK(got == model);
    std::vector<std::string> members = x.Members();
    FUZZ_CHECK(std::set<std::string>(members.begin(), members.end()) == model);
    FUZZ_CHECK(members.size() == model.size());
  }

  void CheckAll(bool heavy) {
    FUZZ_CHECK(s->Length() == model.size());
    FUZZ_CHECK(s->enc() == enc);
    FUZZ_CHECK(std::string(s->Encoding()) == (enc == Enc::kIntSet ? "intset" : "hashtable"));
    if (heavy) Compare(*s);
  }

  void ScanStep() {
    if (!scanning) {
      scanning = true;
      cursor = 0;
      seen.clear();
      stable = model;
    }
    cursor = s->Scan(cursor, in.Byte() % 12, [&](std::string_view m) {
      FUZZ_CHECK(model.count(std::string(m)));
      seen.emplace(m);
    });
    if (cursor == 0) {
      for (const std::string& m : stable) FUZZ_CHECK(seen.count(m));
      scanning = false;
    }
  }

  void Run() {
    max_intset = in.Byte() % 17;
    rng.seed(in.Byte());
    for (size_t step = 0; !in.done(); step++) {
      switch (in.Byte() % 12) {
        case 0:
        case 1:
        case 2:
          Add(in.Byte() % 4 ? in.Str() : std::to_string(in.Int()));
          break;
        case 3:
          Remove(PickMember());
          break;
        case 4: {
          std::string m = PickMember();
          FUZZ_CHECK(s->Contains(m) == (model.count(m) == 1));
          break;
        }
        case 5:
          if (!model.empty()) FUZZ_CHECK(model.count(s->RandomMember(rng)));
          break;
        case 6:
          if (!model.empty()) {
            std::string m = s->PopRandom(rng);
            FUZZ_CHECK(model.erase(m) == 1);
            stable.erase(m);
            FUZZ_CHECK(!s->Contains(m));
          }
          break;
        case 7:
          ScanStep();
          break;
        case 8: {
          std::unique_ptr<strata::kv::Object> c = s->Clone();
          auto* copy = static_cast<SetObject*>(c.get());
          FUZZ_CHECK(copy->enc() == enc);
          Compare(*copy);
          (void)copy->MemoryUsage();
          if (in.Bit()) {
            c.release();
            s.reset(copy);
          }
          break;
        }
        case 9:
          // set-max-intset-entries changes at run time; existing sets keep their encoding.
          max_intset = in.Byte() % 17;
          break;
        case 10: {
          // Many members at once, so the tables grow (and, removed again, shrink).
          size_t n = 1 + in.Below(400);
          int64_t base = in.Int();
          int64_t stride = int64_t(in.Byte() % 5) - 2;
          if (stride == 0) stride = 70000;
          bool del = in.Bit();
          for (size_t i = 0; i < n; i++) {
            std::string m = std::to_string(int64_t(uint64_t(base) + uint64_t(stride) * i));
            del ? Remove(m) : Add(m);
          }
          break;
        }
        default:
          FUZZ_CHECK(s->MemoryUsage() > 0);
          FUZZ_CHECK(s->FreeEffort() >= 1 || model.empty());
          break;
      }
      CheckAll(model.size() <= 64 || step % 16 == 0);
    }
    CheckAll(true);
    while (scanning) ScanStep();
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  OpReader in(data, size);
  Harness(in).Run();
  return 0;
}
