// Fuzzes StreamObject with a sequence of operations decoded from the input, replayed against a
// std::map model of the live entries plus the stream's metadata and consumer groups. Entries are
// added with explicit IDs (sequence bumps, millisecond jumps, the 64-bit extremes, auto IDs) and
// fields that repeat the node's master fields or not; node limits are small, input-chosen and may
// change, so entries are spread over many delta-encoded nodes. XDEL, XTRIM by MAXLEN and MINID
// (exact, and approximate with or without LIMIT), XSETID (which may move the last ID back below
// deleted entries), ranges in both directions with early stops, and group delivery, acks,
// claims and consumer removal are all checked against the model: after every operation the
// length, first/last/max-deleted IDs and entries-added; while the stream is small (and every 16
// operations) the entries themselves in both directions, every group's PEL and consumers.
// Approximate trims must remove a prefix no larger than the exact trim would; clones must equal
// the original.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kv/types/stream.h"
#include "op_reader.h"

namespace {

using strata::fuzz::OpReader;
using strata::kv::StreamConsumer;
using strata::kv::StreamFields;
using strata::kv::StreamGroup;
using strata::kv::StreamID;
using strata::kv::StreamObject;
using strata::kv::StreamTrimArgs;

using Fields = std::vector<std::pair<std::string, std::string>>;
using Entry = std::pair<StreamID, Fields>;

Fields Copy(const StreamFields& f) {
  Fields out;
  for (auto [k, v] : f) out.emplace_back(std::string(k), std::string(v));
  return out;
}

std::vector<Entry> Range(const StreamObject& s, StreamID a, StreamID b, bool rev, size_t stop) {
  std::vector<Entry> out;
  s.Range(a, b, rev, [&](StreamID id, const StreamFields& f) {
    out.emplace_back(id, Copy(f));
    return stop == 0 || out.size() < stop;
  });
  return out;
}

struct ModelGroup {
  StreamID last_id;
  std::map<StreamID, std::string> pel;               // ID -> owner
  std::map<std::string, std::set<StreamID>> owners;  // consumer -> its pending IDs
};

struct Harness {
  explicit Harness(OpReader& r) : in(r) {}

  OpReader& in;
  size_t max_bytes = 0, max_entries = 0;
  size_t entries_cap = 0;  // the largest node_max_entries used (0: some node was unbounded)
  bool bounded = true;
  std::unique_ptr<StreamObject> s = std::make_unique<StreamObject>();

  std::map<StreamID, Fields> m;  // live entries
  std::set<StreamID> deleted;    // IDs removed by XDEL
  StreamID last_id, max_deleted;
  uint64_t entries_added = 0;
  std::map<std::string, ModelGroup> groups;
  // XSETID has moved the last ID back, so deleted entries may lie above live ones in a node. An
  // exact MINID trim then stops at the first deleted entry at or above MINID, as Redis's does.
  bool moved_back = false;

  void SetLimits() {
    static constexpr size_t kBytes[] = {0, 1, 40, 100, 200, 300, 600, 4096};
    max_bytes = kBytes[in.Byte() % (sizeof(kBytes) / sizeof(kBytes[0]))];
    max_entries = in.Byte() % 17;
    if (max_entries == 0) bounded = false;
    entries_cap = std::max(entries_cap, max_entries);
  }

  Fields MakeFields() {
    static const char* const kNames[] = {"f0", "f1", "f2", "name", "12"};
    Fields f;
    size_t nf = 1 + in.Byte() % 4;
    bool master_like = in.Byte() % 4;
    for (size_t i = 0; i < nf; i++) {
      std::string k = master_like ? kNames[i] : (in.Bit() ? kNames[in.Byte() % 5] : in.Str());
      f.emplace_back(k, in.Str());
    }
    return f;
  }

  void Append(StreamID id, const Fields& f) {
    FUZZ_CHECK(id > last_id);
    std::vector<std::string_view> fv;
    for (const auto& [k, v] : f) {
      fv.push_back(k);
      fv.push_back(v);
    }
    s->Append(id, fv, max_bytes, max_entries);
    m[id] = f;
    last_id = id;
    entries_added++;
    FUZZ_CHECK(s->Exists(id));
  }

  // An ID above the last one, as XADD with an explicit (or automatic) ID produces.
  bool NextId(StreamID* out) {
    if (last_id == StreamID::Max()) return false;
    StreamID id = last_id;
    switch (in.Byte() % 6) {
      case 0:
        id.Incr();
        break;
      case 1:
        if (id.seq < UINT64_MAX - 300)
          id.seq += 1 + in.Byte();
        else
          id.Incr();
        break;
      case 2:
        if (id.ms < UINT64_MAX - 4) {
          id.ms += 1 + in.Byte() % 4;
          id.seq = in.Byte() % 4;
        } else {
          id.Incr();
        }
        break;
      case 3: {
        uint64_t jump = in.U64() >> (in.Byte() % 64);
        id.ms = jump > UINT64_MAX - id.ms ? UINT64_MAX : id.ms + jump;
        id.seq = uint64_t(in.Int());
        if (id <= last_id) {
          id = last_id;
          id.Incr();
        }
        break;
      }
      case 4:
        if (id.seq < UINT64_MAX)
          id.seq = UINT64_MAX;
        else
          id.Incr();
        break;
      default: {
        uint64_t now = last_id.ms + in.Byte();
        if (now >= 128) now -= 128;
        bool ok = s->NextAutoId(now, &id);
        StreamID want = last_id;
        bool want_ok = true;
        if (now > last_id.ms)
          want = {now, 0};
        else
          want_ok = want.Incr();
        FUZZ_CHECK(ok == want_ok);
        if (!ok) return false;
        FUZZ_CHECK(id == want);
      }
    }
    *out = id;
    return true;
  }

  // An ID for a lookup, a range end or a trim bound: near the entries more often than not.
  StreamID AnyId() {
    switch (in.Byte() % 8) {
      case 0:
      case 1:
      case 2:
        if (!m.empty()) {
          auto it = m.begin();
          std::advance(it, ptrdiff_t(in.Below(m.size())));
          StreamID id = it->first;
          uint8_t b = in.Byte() % 4;
          if (b == 1) id.Incr();
          if (b == 2) id.Decr();
          return id;
        }
        break;
      case 3:
        if (!deleted.empty()) {
          auto it = deleted.begin();
          std::advance(it, ptrdiff_t(in.Below(deleted.size())));
          return *it;
        }
        break;
      case 4:
        return StreamID::Min();
      case 5:
        return StreamID::Max();
      case 6:
        return last_id;
      default:
        break;
    }
    return {in.Byte(), in.Byte()};
  }

  void CheckMeta() {
    FUZZ_CHECK(s->Length() == m.size());
    FUZZ_CHECK(s->last_id() == last_id);
    FUZZ_CHECK(s->max_deleted_id() == max_deleted);
    FUZZ_CHECK(s->entries_added() == entries_added);
    FUZZ_CHECK(s->first_id() == (m.empty() ? StreamID::Min() : m.begin()->first));
    StreamID first, last;
    FUZZ_CHECK(s->FirstId(&first) == !m.empty());
    FUZZ_CHECK(s->LastId(&last) == !m.empty());
    if (!m.empty()) FUZZ_CHECK(first == m.begin()->first && last == m.rbegin()->first);
  }

  void CheckGroups(const StreamObject& x) {
    FUZZ_CHECK(x.groups().size() == groups.size());
    for (const auto& [name, mg] : groups) {
      StreamGroup* g = x.FindGroup(name);
      FUZZ_CHECK(g != nullptr);
      FUZZ_CHECK(g->last_id == mg.last_id);
      FUZZ_CHECK(g->pel.size() == mg.pel.size());
      for (const auto& [id, owner] : mg.pel) {
        auto it = g->pel.find(id);
        FUZZ_CHECK(it != g->pel.end());
        FUZZ_CHECK(it->second.consumer && it->second.consumer->name == owner);
      }
      FUZZ_CHECK(g->consumers.size() == mg.owners.size());
      for (const auto& [cname, ids] : mg.owners) {
        StreamConsumer* c = g->FindConsumer(cname);
        FUZZ_CHECK(c != nullptr && c->pel == ids);
      }
    }
  }

  void CheckAll(const StreamObject& x, bool heavy) {
    FUZZ_CHECK(x.Length() == m.size());
    if (bounded && entries_cap) {
      for (size_t n = 0; n < x.NodeCount(); n++) FUZZ_CHECK(x.NodeEntryCount(n) <= entries_cap);
    }
    size_t live_nodes_max = 0;
    for (size_t n = 0; n < x.NodeCount(); n++) live_nodes_max += x.NodeEntryCount(n);
    FUZZ_CHECK(live_nodes_max >= m.size());
    if (!heavy) return;
    std::vector<Entry> want(m.begin(), m.end());
    FUZZ_CHECK(Range(x, StreamID::Min(), StreamID::Max(), false, 0) == want);
    std::reverse(want.begin(), want.end());
    FUZZ_CHECK(Range(x, StreamID::Min(), StreamID::Max(), true, 0) == want);
    CheckGroups(x);
  }

  void Trim(bool approx) {
    StreamTrimArgs t;
    t.approx = approx;
    bool maxlen = in.Bit();
    if (maxlen) {
      t.strategy = StreamTrimArgs::kMaxLen;
      t.maxlen = int64_t(in.Below(m.size() + 3));
    } else {
      t.strategy = StreamTrimArgs::kMinId;
      t.minid = AnyId();
    }
    if (approx) t.limit = in.Bit() ? int64_t(in.Byte() % 40) : 0;
    // What the exact trim removes: the oldest entries down to MAXLEN, or those below MINID.
    size_t exact = 0;
    if (maxlen) {
      exact = m.size() > size_t(t.maxlen) ? m.size() - size_t(t.maxlen) : 0;
    } else {
      for (auto it = m.begin(); it != m.end() && it->first < t.minid; ++it) exact++;
    }
    int64_t removed = s->Trim(t);
    FUZZ_CHECK(removed >= 0);
    if (approx || (moved_back && !maxlen)) {
      FUZZ_CHECK(size_t(removed) <= exact);
      if (t.limit) FUZZ_CHECK(removed <= t.limit);
    } else {
      FUZZ_CHECK(size_t(removed) == exact);
    }
    for (int64_t i = 0; i < removed; i++) m.erase(m.begin());
  }

  ModelGroup* PickGroup(std::string* name) {
    *name = "g" + std::to_string(in.Byte() % 3);
    auto it = groups.find(*name);
    return it == groups.end() ? nullptr : &it->second;
  }

  void Run() {
    SetLimits();
    for (size_t step = 0; !in.done(); step++) {
      bool heavy = false;
      switch (in.Byte() % 20) {
        case 0:
        case 1:
        case 2:
        case 3: {
          StreamID id;
          if (NextId(&id)) Append(id, MakeFields());
          break;
        }
        case 4: {
          // XDEL
          StreamID id = AnyId();
          bool live = m.erase(id) == 1;
          FUZZ_CHECK(s->Delete(id) == live);
          if (live) {
            deleted.insert(id);
            if (id > max_deleted) max_deleted = id;
          }
          FUZZ_CHECK(!s->Exists(id));
          break;
        }
        case 5:
        case 6:
          Trim(false);
          break;
        case 7:
          Trim(true);
          break;
        case 8: {
          // XRANGE / XREVRANGE with COUNT
          StreamID a = AnyId();
          StreamID b = AnyId();
          bool rev = in.Bit();
          size_t stop = in.Byte() % 5;
          std::vector<Entry> want;
          if (a <= b) {
            for (auto it = m.lower_bound(a); it != m.end() && it->first <= b; ++it)
              want.emplace_back(it->first, it->second);
          }
          if (rev) std::reverse(want.begin(), want.end());
          if (stop && want.size() > stop) want.resize(stop);
          FUZZ_CHECK(Range(*s, a, b, rev, stop) == want);
          break;
        }
        case 9: {
          StreamID id = AnyId();
          FUZZ_CHECK(s->Exists(id) == (m.count(id) == 1));
          break;
        }
        case 10: {
          // XSETID: any ID not below the last live entry (anything on an empty stream).
          StreamID id;
          switch (in.Byte() % 4) {
            case 0:
              id = m.empty() ? AnyId() : m.rbegin()->first;
              break;
            case 1:
              id = last_id;
              id.Incr();
              break;
            default:
              id = AnyId();
          }
          if (!m.empty() && id < m.rbegin()->first) id = m.rbegin()->first;
          if (id < last_id) moved_back = true;
          s->set_last_id(id);
          last_id = id;
          if (in.Byte() % 4 == 0) {
            entries_added = m.size() + in.Byte() % 4;
            s->set_entries_added(entries_added);
          }
          if (in.Byte() % 4 == 0) {
            StreamID md{id.ms / 2, in.Byte()};
            if (md > id) md = id;
            if (!md.IsZero()) {
              s->set_max_deleted_id(md);
              max_deleted = md;
            }
          }
          break;
        }
        case 11: {
          std::unique_ptr<strata::kv::Object> c = s->Clone();
          auto* copy = static_cast<StreamObject*>(c.get());
          CheckAll(*copy, true);
          FUZZ_CHECK(copy->NodeCount() == s->NodeCount());
          FUZZ_CHECK(copy->last_id() == last_id && copy->first_id() == s->first_id());
          FUZZ_CHECK(copy->max_deleted_id() == max_deleted);
          FUZZ_CHECK(copy->entries_added() == entries_added);
          (void)copy->MemoryUsage();
          if (in.Bit()) {
            c.release();
            s.reset(copy);
          }
          break;
        }
        case 12:
          // stream-node-max-bytes / -entries change at run time.
          SetLimits();
          break;
        case 13: {
          // Many entries at once, spread over many nodes.
          size_t n = 1 + in.Below(300);
          Fields f = MakeFields();
          for (size_t i = 0; i < n && last_id != StreamID::Max(); i++) {
            StreamID id = last_id;
            id.Incr();
            if (i % 3 == 0 && id.ms < UINT64_MAX) id = {id.ms + 1, 0};
            f[0].second = std::to_string(i);
            Append(id, f);
          }
          heavy = true;
          break;
        }
        case 14: {
          // XGROUP CREATE at $, 0 or an entry.
          std::string name;
          ModelGroup* mg = PickGroup(&name);
          StreamID id = in.Bit() ? last_id : AnyId();
          int64_t entries_read = in.Bit() ? StreamGroup::kInvalidEntriesRead : in.Byte();
          StreamGroup* g = s->CreateGroup(name, id, entries_read);
          FUZZ_CHECK((g != nullptr) == (mg == nullptr));
          if (g) groups[name].last_id = id;
          break;
        }
        case 15: {
          // XREADGROUP ... > : new entries for a consumer (created on first use).
          std::string name;
          ModelGroup* mg = PickGroup(&name);
          if (!mg) break;
          StreamGroup* g = s->FindGroup(name);
          std::string cname = "c" + std::to_string(in.Byte() % 3);
          StreamConsumer* c = g->FindConsumer(cname);
          if (!c) {
            c = g->CreateConsumer(cname, 1);
            FUZZ_CHECK(c != nullptr);
            mg->owners[cname];
          }
          size_t count = in.Byte() % 5;
          bool noack = in.Byte() % 4 == 0;
          std::vector<StreamID> got;
          size_t n = s->DeliverNew(g, c, count, noack, 5, [&](StreamID id, const StreamFields& f) {
            FUZZ_CHECK(m.count(id) && m[id] == Copy(f));
            got.push_back(id);
          });
          std::vector<StreamID> want;
          for (auto it = m.upper_bound(mg->last_id); it != m.end(); ++it) {
            if (count && want.size() == count) break;
            want.push_back(it->first);
          }
          FUZZ_CHECK(n == want.size() && got == want);
          for (StreamID id : want) {
            mg->last_id = id;
            if (noack) continue;
            auto it = mg->pel.find(id);
            if (it != mg->pel.end()) mg->owners[it->second].erase(id);
            mg->pel[id] = cname;
            mg->owners[cname].insert(id);
          }
          int64_t lag;
          (void)s->Lag(*g, &lag);
          break;
        }
        case 16: {
          // XACK, or XCLAIM of a pending entry by another consumer.
          std::string name;
          ModelGroup* mg = PickGroup(&name);
          if (!mg) break;
          StreamGroup* g = s->FindGroup(name);
          StreamID id = AnyId();
          if (!mg->pel.empty() && in.Bit()) {
            auto it = mg->pel.begin();
            std::advance(it, ptrdiff_t(in.Below(mg->pel.size())));
            id = it->first;
          }
          auto it = mg->pel.find(id);
          if (in.Bit()) {
            FUZZ_CHECK(g->Ack(id) == (it != mg->pel.end()));
            if (it != mg->pel.end()) {
              mg->owners[it->second].erase(id);
              mg->pel.erase(it);
            }
          } else if (it != mg->pel.end() || m.count(id)) {
            std::string cname = "c" + std::to_string(in.Byte() % 3);
            StreamConsumer* c = g->FindConsumer(cname);
            if (!c) {
              c = g->CreateConsumer(cname, 1);
              mg->owners[cname];
            }
            s->AddPending(g, c, id, 7);
            if (it != mg->pel.end()) mg->owners[it->second].erase(id);
            mg->pel[id] = cname;
            mg->owners[cname].insert(id);
          }
          break;
        }
        case 17: {
          // XGROUP DELCONSUMER / DESTROY
          std::string name;
          ModelGroup* mg = PickGroup(&name);
          if (in.Bit()) {
            FUZZ_CHECK(s->DestroyGroup(name) == (mg != nullptr));
            groups.erase(name);
            break;
          }
          if (!mg) break;
          std::string cname = "c" + std::to_string(in.Byte() % 3);
          auto it = mg->owners.find(cname);
          size_t want = it == mg->owners.end() ? 0 : it->second.size();
          FUZZ_CHECK(s->FindGroup(name)->DeleteConsumer(cname) == want);
          if (it != mg->owners.end()) {
            for (StreamID id : it->second) mg->pel.erase(id);
            mg->owners.erase(it);
          }
          break;
        }
        case 18: {
          FUZZ_CHECK(s->MemoryUsage() > 0);
          FUZZ_CHECK(s->FreeEffort() >= 1);
          (void)s->EstimateDistance(AnyId());
          StreamID a = AnyId();
          (void)s->RangeHasTombstones(a, AnyId());
          for (size_t n = 0; n < s->NodeCount(); n++) (void)s->NodeListpackBytes(n);
          break;
        }
        default:
          heavy = true;
          break;
      }
      CheckMeta();
      CheckAll(*s, heavy || m.size() <= 64 || step % 16 == 0);
    }
    CheckMeta();
    CheckAll(*s, true);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  OpReader in(data, size);
  Harness(in).Run();
  return 0;
}
