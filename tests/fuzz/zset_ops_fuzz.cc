// Fuzzes ZSet with a sequence of operations decoded from the input, replayed against a model of
// member -> score plus the (score, member) order. Scores include equal values, -0 and 0, the
// infinities and extremes; ZADD runs with NX/XX/GT/LT/INCR (an increment may give NaN); the
// listpack limits are small, input-chosen and may change, so sets cross listpack -> skiplist
// constantly, and bulk inserts grow the B+tree through leaf and inner node splits and merges.
// After every operation the length, the touched member and the encoding must agree with the model
// (conversion exactly when a new member exceeds the limits, never back). Checked as well: ranks
// and At(), score and lex range bounds (lex only when all scores are equal, where it is defined),
// forward and reverse visits with early stops, removals by rank, score and lex ranges, pops,
// ZSCAN interleaved with writes, Build (Z*STORE), and clones that must equal the original.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "kv/types/zset.h"
#include "op_reader.h"

namespace {

using strata::fuzz::OpReader;
using strata::kv::ZEntry;
using strata::kv::ZLexBound;
using strata::kv::ZLexRange;
using strata::kv::ZScoreRange;
using strata::kv::ZSet;
using Enc = ZSet::Enc;
using Pair = std::pair<double, std::string>;

constexpr double kInf = std::numeric_limits<double>::infinity();

// Reference lex bound checks, written from the ZRANGEBYLEX definition.
bool AboveMin(const std::string& m, const ZLexBound& b) {
  if (b.kind == ZLexBound::kNegInf) return true;
  if (b.kind == ZLexBound::kPosInf) return false;
  return b.excl ? m > b.value : m >= b.value;
}
bool BelowMax(const std::string& m, const ZLexBound& b) {
  if (b.kind == ZLexBound::kPosInf) return true;
  if (b.kind == ZLexBound::kNegInf) return false;
  return b.excl ? m < b.value : m <= b.value;
}

struct Harness {
  explicit Harness(OpReader& r) : in(r) {}

  OpReader& in;
  ZSet::Limits lim;
  std::unique_ptr<ZSet> z;
  std::map<std::string, double> scores;
  std::set<Pair> ordered;  // -0 and 0 compare equal, as in the set
  Enc enc = Enc::kListpack;

  bool scanning = false;
  uint64_t cursor = 0;
  std::set<std::string> stable, seen;

  double Score() {
    static constexpr double kScores[] = {0,
                                         -0.0,
                                         1,
                                         -1,
                                         0.5,
                                         2,
                                         3,
                                         kInf,
                                         -kInf,
                                         std::numeric_limits<double>::max(),
                                         -std::numeric_limits<double>::max(),
                                         std::numeric_limits<double>::denorm_min(),
                                         1e-300,
                                         9007199254740993.0};
    uint8_t b = in.Byte();
    if (b < 160) return kScores[b % (sizeof(kScores) / sizeof(kScores[0]))];
    if (b < 240) return double(int(in.Byte() % 8) - 4);
    uint64_t bits = in.U64();
    double d;
    std::memcpy(&d, &bits, sizeof d);
    return std::isnan(d) ? 0 : d;
  }

  std::string Member() {
    if (!scores.empty() && in.Byte() % 3 == 0) {
      auto it = scores.begin();
      std::advance(it, ptrdiff_t(in.Below(scores.size())));
      return it->first;
    }
    return in.Str();
  }

  void ModelAdd(const std::string& m, double s) {
    auto it = scores.find(m);
    if (it != scores.end()) ordered.erase({it->second, m});
    scores[m] = s;
    ordered.insert({s, m});
  }
  void ModelRemove(const std::string& m) {
    auto it = scores.find(m);
    if (it == scores.end()) return;
    ordered.erase({it->second, m});
    scores.erase(it);
    stable.erase(m);
  }
  std::vector<Pair> Vec() const { return {ordered.begin(), ordered.end()}; }

  void Create(size_t first_member_len) {
    enc = ZSet::EncodingFor(first_member_len, lim);
    z = std::make_unique<ZSet>(enc);
  }

  void Add() {
    static constexpr int kFlagSets[] = {0,
                                        0,
                                        0,
                                        ZSet::kNX,
                                        ZSet::kXX,
                                        ZSet::kGT,
                                        ZSet::kLT,
                                        ZSet::kXX | ZSet::kGT,
                                        ZSet::kXX | ZSet::kLT,
                                        ZSet::kIncr,
                                        ZSet::kIncr | ZSet::kNX,
                                        ZSet::kIncr | ZSet::kXX,
                                        ZSet::kIncr | ZSet::kGT,
                                        ZSet::kIncr | ZSet::kLT};
    int flags = kFlagSets[in.Byte() % (sizeof(kFlagSets) / sizeof(kFlagSets[0]))];
    std::string m = Member();
    double s = Score();
    // The expected outcome, from ZADD's definition.
    ZSet::AddResult want;
    double want_score = s;
    auto it = scores.find(m);
    if (it != scores.end()) {
      double cur = it->second;
      if (flags & ZSet::kNX) {
        want = ZSet::AddResult::kNop;
      } else {
        if (flags & ZSet::kIncr) want_score = s + cur;
        if (std::isnan(want_score))
          want = ZSet::AddResult::kNaN;
        else if (((flags & ZSet::kLT) && want_score >= cur) ||
                 ((flags & ZSet::kGT) && want_score <= cur))
          want = ZSet::AddResult::kNop;
        else if (want_score == cur)
          want = ZSet::AddResult::kUnchanged;
        else
          want = ZSet::AddResult::kUpdated;
      }
    } else {
      want = (flags & ZSet::kXX) ? ZSet::AddResult::kNop : ZSet::AddResult::kAdded;
    }
    double got_score = std::nan("");
    ZSet::AddResult got = z->Add(s, m, flags, lim, &got_score);
    FUZZ_CHECK(got == want);
    if (got == ZSet::AddResult::kAdded || got == ZSet::AddResult::kUpdated ||
        got == ZSet::AddResult::kUnchanged)
      FUZZ_CHECK(got_score == want_score);
    if (got == ZSet::AddResult::kAdded) {
      if (enc == Enc::kListpack &&
          (scores.size() + 1 > lim.max_listpack_entries || m.size() > lim.max_listpack_value))
        enc = Enc::kSkiplist;
      ModelAdd(m, s);
    } else if (got == ZSet::AddResult::kUpdated) {
      ModelAdd(m, want_score);
    }
    CheckMember(m);
  }

  void CheckMember(const std::string& m) {
    double s;
    auto it = scores.find(m);
    bool found = z->Score(m, &s);
    FUZZ_CHECK(found == (it != scores.end()));
    if (found) FUZZ_CHECK(s == it->second);
  }

  ZScoreRange ScoreRange() {
    ZScoreRange r;
    r.min = Score();
    r.max = Score();
    uint8_t b = in.Byte();
    r.minex = b & 1;
    r.maxex = b & 2;
    return r;
  }

  // A lex bound as a client writes it, parsed by ParseLexBound; false when invalid.
  bool LexBound(std::string* storage, ZLexBound* out) {
    uint8_t b = in.Byte() % 8;
    switch (b) {
      case 0:
        *storage = "-";
        break;
      case 1:
        *storage = "+";
        break;
      case 2:
        *storage = "(" + Member();
        break;
      case 7:
        *storage = in.Str();  // mostly invalid
        break;
      default:
        *storage = "[" + Member();
        break;
    }
    bool ok = strata::kv::ParseLexBound(*storage, out);
    const std::string& s = *storage;
    bool want_ok = s == "-" || s == "+" || (!s.empty() && (s[0] == '[' || s[0] == '('));
    FUZZ_CHECK(ok == want_ok);
    if (ok && s.size() > 1) FUZZ_CHECK(out->kind == ZLexBound::kValue && out->value == s.substr(1));
    return ok;
  }

  bool EqualScores() const {
    return ordered.empty() || ordered.begin()->first == ordered.rbegin()->first;
  }

  // Visits ranks [a, b) in either direction, stopping after `stop` members (0: never), and
  // compares with the model.
  void CheckVisit(size_t a, size_t b, bool rev, size_t stop) {
    std::vector<Pair> got;
    z->Visit(a, b, rev, [&](std::string_view m, double s) {
      got.emplace_back(s, std::string(m));
      return stop == 0 || got.size() < stop;
    });
    std::vector<Pair> v = Vec();
    size_t end = std::min(b, v.size());
    std::vector<Pair> want;
    if (a < end) want.assign(v.begin() + ptrdiff_t(a), v.begin() + ptrdiff_t(end));
    if (rev) std::reverse(want.begin(), want.end());
    if (stop && want.size() > stop) want.resize(stop);
    FUZZ_CHECK(got.size() == want.size());
    for (size_t i = 0; i < got.size(); i++)
      FUZZ_CHECK(got[i].second == want[i].second && got[i].first == want[i].first);
  }

  // CheckVisit with the direction and early stop taken from the input.
  void VisitArgs(size_t a, size_t b) {
    bool rev = in.Bit();
    size_t stop = in.Byte() % 4;
    CheckVisit(a, b, rev, stop);
  }

  void RemoveRanks(size_t a, size_t b) {
    std::vector<Pair> v = Vec();
    size_t end = std::min(b, v.size());
    size_t want = a < end ? end - a : 0;
    FUZZ_CHECK(z->RemoveRanks(a, b) == want);
    for (size_t i = a; i < end; i++) ModelRemove(v[i].second);
  }

  void Compare(const ZSet& x) {
    FUZZ_CHECK(x.Validate());
    FUZZ_CHECK(x.Length() == ordered.size());
    std::vector<ZEntry> e = x.Entries();
    FUZZ_CHECK(e.size() == ordered.size());
    size_t i = 0;
    for (const Pair& p : ordered) {
      FUZZ_CHECK(e[i].member == p.second && e[i].score == p.first);
      i++;
    }
  }

  void CheckAll(bool heavy) {
    FUZZ_CHECK(z->Length() == scores.size());
    FUZZ_CHECK(ordered.size() == scores.size());
    FUZZ_CHECK(z->enc() == enc);
    FUZZ_CHECK(std::string(z->Encoding()) == (enc == Enc::kListpack ? "listpack" : "skiplist"));
    if (heavy) Compare(*z);
  }

  void ScanStep() {
    if (!scanning) {
      scanning = true;
      cursor = 0;
      seen.clear();
      stable.clear();
      for (const auto& [m, s] : scores) stable.insert(m);
    }
    std::vector<ZEntry> out;
    cursor = z->Scan(cursor, in.Byte() % 12, &out);
    for (const ZEntry& e : out) {
      auto it = scores.find(e.member);
      FUZZ_CHECK(it != scores.end() && it->second == e.score);
      seen.insert(e.member);
    }
    if (cursor == 0) {
      for (const std::string& m : stable) FUZZ_CHECK(seen.count(m));
      scanning = false;
    }
  }

  void Run() {
    lim.max_listpack_entries = in.Byte() % 17;
    lim.max_listpack_value = in.Byte() % 65;
    // ZADD creates the set in the encoding its first member calls for.
    Create(in.Byte() % 80);
    for (size_t step = 0; !in.done(); step++) {
      uint8_t op = in.Byte() % 20;
      size_t len = scores.size();
      switch (op) {
        case 0:
        case 1:
        case 2:
          Add();
          break;
        case 3: {
          std::string m = Member();
          bool had = scores.count(m);
          FUZZ_CHECK(z->Remove(m) == had);
          ModelRemove(m);
          CheckMember(m);
          break;
        }
        case 4: {
          // ZRANK / ZREVRANK / ZSCORE
          std::string m = Member();
          size_t rank;
          double s;
          auto it = scores.find(m);
          bool found = z->Rank(m, &rank, &s);
          FUZZ_CHECK(found == (it != scores.end()));
          if (found) {
            FUZZ_CHECK(s == it->second);
            size_t want = size_t(std::distance(ordered.begin(), ordered.find({it->second, m})));
            FUZZ_CHECK(rank == want);
            auto at = z->At(rank);
            FUZZ_CHECK(at.first == m && at.second == s);
          }
          break;
        }
        case 5: {
          // ZCOUNT / ZRANGEBYSCORE bounds, then the range itself.
          ZScoreRange r = ScoreRange();
          size_t below = 0, upto = 0;
          for (const Pair& p : ordered) {
            if (r.minex ? p.first <= r.min : p.first < r.min) below++;
            if (r.maxex ? p.first < r.max : p.first <= r.max) upto++;
          }
          size_t lo = z->CountBelowMin(r), hi = z->CountUpToMax(r);
          FUZZ_CHECK(lo == below && hi == upto);
          VisitArgs(lo, hi);
          break;
        }
        case 6: {
          // ZLEXCOUNT / ZRANGEBYLEX: defined when every score is equal.
          std::string smin, smax;
          ZLexRange r;
          if (!LexBound(&smin, &r.min) || !LexBound(&smax, &r.max)) break;
          size_t lo = z->CountBelowMin(r), hi = z->CountUpToMax(r);
          FUZZ_CHECK(lo <= len && hi <= len);
          if (!EqualScores()) break;
          size_t below = 0, upto = 0;
          for (const Pair& p : ordered) {
            if (!AboveMin(p.second, r.min)) below++;
            if (BelowMax(p.second, r.max)) upto++;
          }
          FUZZ_CHECK(lo == below && hi == upto);
          VisitArgs(lo, hi);
          break;
        }
        case 7: {
          // ZRANGE by rank, either way, with an early stop.
          size_t a = in.Below(len + 2), b = a + in.Below(len + 3);
          VisitArgs(a, b);
          break;
        }
        case 8: {
          // ZREMRANGEBYRANK
          size_t a = in.Below(len + 2), b = a + in.Below(len + 3);
          RemoveRanks(a, b);
          break;
        }
        case 9: {
          // ZREMRANGEBYSCORE
          ZScoreRange r = ScoreRange();
          size_t lo = z->CountBelowMin(r), hi = z->CountUpToMax(r);
          if (hi > lo) RemoveRanks(lo, hi);
          for (const Pair& p : ordered) {
            bool inside = !(r.minex ? p.first <= r.min : p.first < r.min) &&
                          (r.maxex ? p.first < r.max : p.first <= r.max);
            FUZZ_CHECK(!inside);
          }
          break;
        }
        case 10: {
          // ZREMRANGEBYLEX on equal scores.
          if (!EqualScores()) break;
          std::string smin, smax;
          ZLexRange r;
          if (!LexBound(&smin, &r.min) || !LexBound(&smax, &r.max)) break;
          size_t lo = z->CountBelowMin(r), hi = z->CountUpToMax(r);
          if (hi > lo) RemoveRanks(lo, hi);
          for (const Pair& p : ordered)
            FUZZ_CHECK(!(AboveMin(p.second, r.min) && BelowMax(p.second, r.max)));
          break;
        }
        case 11: {
          // ZPOPMIN / ZPOPMAX
          size_t count = in.Below(len + 3);
          bool max = in.Bit();
          std::vector<ZEntry> popped = max ? z->PopMax(count) : z->PopMin(count);
          std::vector<Pair> v = Vec();
          FUZZ_CHECK(popped.size() == std::min(count, v.size()));
          for (size_t i = 0; i < popped.size(); i++) {
            const Pair& want = max ? v[v.size() - 1 - i] : v[i];
            FUZZ_CHECK(popped[i].member == want.second && popped[i].score == want.first);
            ModelRemove(want.second);
          }
          break;
        }
        case 12:
          ScanStep();
          break;
        case 13:
          // The configured limits change at run time; existing sets keep their encoding.
          lim.max_listpack_entries = in.Byte() % 17;
          lim.max_listpack_value = in.Byte() % 65;
          break;
        case 14: {
          std::unique_ptr<strata::kv::Object> c = z->Clone();
          auto* copy = static_cast<ZSet*>(c.get());
          FUZZ_CHECK(copy->enc() == enc);
          Compare(*copy);
          (void)copy->MemoryUsage();
          if (in.Bit()) {
            c.release();
            z.reset(copy);
          }
          break;
        }
        case 15: {
          // Z*STORE: a set built from scratch takes the encoding its contents call for.
          std::vector<ZEntry> entries = z->Entries();
          std::reverse(entries.begin(), entries.end());
          bool small = entries.size() <= lim.max_listpack_entries;
          for (const ZEntry& e : entries)
            small = small && e.member.size() <= lim.max_listpack_value;
          z = ZSet::Build(std::move(entries), lim);
          enc = small ? Enc::kListpack : Enc::kSkiplist;
          scanning = false;
          break;
        }
        case 16:
          z->ConvertToSkiplist();
          enc = Enc::kSkiplist;
          break;
        case 17: {
          // Many members at once: leaves and inner nodes of the tree split, and merge again
          // when the same members are removed.
          size_t n = 1 + in.Below(2000);
          std::string prefix = std::to_string(in.Byte() % 4) + ":";
          uint8_t pattern = in.Byte() % 4;
          bool del = in.Bit();
          for (size_t i = 0; i < n; i++) {
            std::string m = prefix + std::to_string(i);
            if (del) {
              bool had = scores.count(m);
              FUZZ_CHECK(z->Remove(m) == had);
              ModelRemove(m);
              continue;
            }
            double s = pattern == 0   ? double(i)
                       : pattern == 1 ? -double(i)
                       : pattern == 2 ? 1.0
                                      : double((i * 7919) % 257);
            double ns;
            bool had = scores.count(m);
            ZSet::AddResult r = z->Add(s, m, 0, lim, &ns);
            if (!had) {
              FUZZ_CHECK(r == ZSet::AddResult::kAdded);
              if (enc == Enc::kListpack && (scores.size() + 1 > lim.max_listpack_entries ||
                                            m.size() > lim.max_listpack_value))
                enc = Enc::kSkiplist;
            }
            ModelAdd(m, s);
          }
          break;
        }
        case 18:
          FUZZ_CHECK(z->MemoryUsage() > 0);
          FUZZ_CHECK(z->FreeEffort() >= (enc == Enc::kListpack ? 1 : len));
          break;
        default:
          CheckMember(Member());
          break;
      }
      CheckAll(scores.size() <= 128 || step % 32 == 0);
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
