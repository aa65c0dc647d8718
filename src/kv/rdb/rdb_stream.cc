// Streams: RDB_TYPE_STREAM_LISTPACKS_2 (written and read) and RDB_TYPE_STREAM_LISTPACKS (read).
//
//   node count, then per node: its master ID (16 bytes, ms and seq big-endian) as a string and
//     its listpack as a string
//   length, last ID (ms, seq)
//   _2 only: first ID, max deleted ID (ms, seq each), entries added
//   group count, then per group: name, last ID, _2 only: entries read; PEL count and per entry
//     the raw 16-byte ID, delivery time (8 bytes little-endian ms) and delivery count; consumer
//     count and per consumer: name, seen time (8 bytes), PEL count and the raw IDs it owns
//
// A node's listpack starts with the master entry: live count, deleted count, the master field
// count and names, and a 0. Each entry is then: flags (1 deleted, 2 same fields as the master),
// ms and seq deltas from the master ID, [field count and field/value pairs | the values only],
// and lp-count, the number of listpack elements of the entry before it.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <unordered_set>

#include "base/strutil.h"
#include "kv/rdb/packed.h"
#include "kv/rdb/rdb_value.h"

namespace strata::kv::rdb {
namespace {

constexpr int64_t kFlagDeleted = 1;
constexpr int64_t kFlagSameFields = 2;
// Node limits for written streams: Redis's defaults (stream-node-max-entries 100,
// stream-node-max-bytes 4096).
constexpr size_t kNodeEntries = 100;
constexpr size_t kNodeBytes = 4096;

void AppendRawId(std::string* out, RdbStreamId id) {
  for (int i = 7; i >= 0; i--) out->push_back(char((id.ms >> (8 * i)) & 0xff));
  for (int i = 7; i >= 0; i--) out->push_back(char((id.seq >> (8 * i)) & 0xff));
}

RdbStreamId ParseRawId(std::string_view raw) {
  RdbStreamId id;
  for (int i = 0; i < 8; i++) id.ms = (id.ms << 8) | uint8_t(raw[size_t(i)]);
  for (int i = 8; i < 16; i++) id.seq = (id.seq << 8) | uint8_t(raw[size_t(i)]);
  return id;
}

bool ReadRawId(RdbReader* r, RdbStreamId* id) {
  std::string_view raw;
  if (!r->ReadBytes(16, &raw)) return false;
  *id = ParseRawId(raw);
  return true;
}

void AppendMillis(std::string* out, int64_t t) {
  for (int i = 0; i < 8; i++) out->push_back(char((uint64_t(t) >> (8 * i)) & 0xff));
}

bool ReadMillis(RdbReader* r, int64_t* t) {
  std::string_view raw;
  if (!r->ReadBytes(8, &raw)) return false;
  uint64_t u = 0;
  for (int i = 7; i >= 0; i--) u = (u << 8) | uint8_t(raw[size_t(i)]);
  *t = int64_t(u);
  return true;
}

bool ReadId(RdbReader* r, RdbStreamId* id) {
  return r->ReadLength(&id->ms) && r->ReadLength(&id->seq);
}

void AppendId(std::string* out, RdbStreamId id) {
  AppendRdbLength(out, id.ms);
  AppendRdbLength(out, id.seq);
}

bool SameNames(const std::vector<std::string>& fields, const std::vector<std::string>& master) {
  if (fields.size() != master.size() * 2) return false;
  for (size_t i = 0; i < master.size(); i++)
    if (fields[2 * i] != master[i]) return false;
  return true;
}

// One node's listpack for entries [begin, end), master ID entries[begin].id.
std::string BuildNode(const std::vector<RdbStreamEntry>& entries, size_t begin, size_t end) {
  ListpackWriter w;
  const RdbStreamEntry& first = entries[begin];
  std::vector<std::string> master;
  for (size_t i = 0; i < first.fields.size(); i += 2) master.push_back(first.fields[i]);
  w.AppendInt(int64_t(end - begin));
  w.AppendInt(0);
  w.AppendInt(int64_t(master.size()));
  for (const std::string& f : master) w.Append(f);
  w.AppendInt(0);
  for (size_t i = begin; i < end; i++) {
    const RdbStreamEntry& e = entries[i];
    bool same = SameNames(e.fields, master);
    w.AppendInt(same ? kFlagSameFields : 0);
    w.AppendInt(int64_t(e.id.ms - first.id.ms));
    w.AppendInt(int64_t(e.id.seq - first.id.seq));
    int64_t nfields = int64_t(e.fields.size() / 2);
    if (same) {
      for (size_t j = 1; j < e.fields.size(); j += 2) w.Append(e.fields[j]);
      w.AppendInt(nfields + 3);
    } else {
      w.AppendInt(nfields);
      for (const std::string& s : e.fields) w.Append(s);
      w.AppendInt(2 * nfields + 4);
    }
  }
  return w.Finish();
}

size_t EntryBytes(const RdbStreamEntry& e) {
  size_t n = 16;
  for (const std::string& s : e.fields) n += s.size() + 2;
  return n;
}

bool ToInt(const std::string& s, int64_t* v) { return ParseInt64(s, v); }

// Decodes one node; live entries are appended to out->entries.
bool DecodeNode(std::string_view key, std::string_view lp, RdbStream* out) {
  if (key.size() != 16) return false;
  RdbStreamId master = ParseRawId(key);
  std::vector<std::string> el;
  if (!ListpackDecode(lp, &el) || el.empty()) return false;
  size_t i = 0;
  auto next_int = [&](int64_t* v) { return i < el.size() && ToInt(el[i++], v); };
  int64_t live, deleted, nmaster;
  if (!next_int(&live) || !next_int(&deleted) || !next_int(&nmaster)) return false;
  if (live < 0 || deleted < 0 || nmaster < 0 || uint64_t(nmaster) > el.size() - i) return false;
  std::vector<std::string> master_fields(el.begin() + int64_t(i),
                                         el.begin() + int64_t(i + nmaster));
  i += size_t(nmaster);
  int64_t zero;
  if (!next_int(&zero) || zero != 0) return false;
  uint64_t total = uint64_t(live) + uint64_t(deleted), seen_live = 0;
  if (total > el.size()) return false;
  for (uint64_t n = 0; n < total; n++) {
    int64_t flags, dms, dseq;
    if (!next_int(&flags) || !next_int(&dms) || !next_int(&dseq)) return false;
    RdbStreamEntry e;
    e.id.ms = master.ms + uint64_t(dms);
    e.id.seq = master.seq + uint64_t(dseq);
    int64_t nfields = nmaster, expect;
    if (flags & kFlagSameFields) {
      if (uint64_t(nfields) > el.size() - i) return false;
      for (int64_t j = 0; j < nfields; j++) {
        e.fields.push_back(master_fields[size_t(j)]);
        e.fields.push_back(std::move(el[i++]));
      }
      expect = nfields + 3;
    } else {
      if (!next_int(&nfields) || nfields < 0 || uint64_t(nfields) > (el.size() - i) / 2)
        return false;
      for (int64_t j = 0; j < 2 * nfields; j++) e.fields.push_back(std::move(el[i++]));
      expect = 2 * nfields + 4;
    }
    int64_t lp_count;
    if (!next_int(&lp_count) || lp_count != expect) return false;
    if (flags & kFlagDeleted) continue;
    if (e.fields.empty()) return false;  // an entry has at least one field
    if (!out->entries.empty() && !(out->entries.back().id < e.id)) return false;
    out->entries.push_back(std::move(e));
    seen_live++;
  }
  return i == el.size() && seen_live == uint64_t(live);
}

}  // namespace

void SaveStream(std::string* out, const RdbStream& s, uint8_t type) {
  bool v2 = type == kRdbStreamListpacks2;
  out->push_back(char(v2 ? kRdbStreamListpacks2 : kRdbStreamListpacks));
  std::vector<std::pair<size_t, size_t>> nodes;
  size_t begin = 0, bytes = 0;
  for (size_t i = 0; i < s.entries.size(); i++) {
    size_t eb = EntryBytes(s.entries[i]);
    if (i > begin && (i - begin >= kNodeEntries || bytes + eb >= kNodeBytes)) {
      nodes.emplace_back(begin, i);
      begin = i;
      bytes = 0;
    }
    bytes += eb;
  }
  if (begin < s.entries.size()) nodes.emplace_back(begin, s.entries.size());
  AppendRdbLength(out, nodes.size());
  for (auto [b, e] : nodes) {
    std::string key;
    AppendRawId(&key, s.entries[b].id);
    AppendRdbString(out, key);
    AppendRdbString(out, BuildNode(s.entries, b, e));
  }
  AppendRdbLength(out, s.entries.size());
  AppendId(out, s.last_id);
  if (v2) {
    AppendId(out, s.first_id);
    AppendId(out, s.max_deleted_id);
    AppendRdbLength(out, s.entries_added);
  }
  AppendRdbLength(out, s.groups.size());
  for (const RdbStreamGroup& g : s.groups) {
    AppendRdbString(out, g.name);
    AppendId(out, g.last_id);
    // Redis writes an unknown read counter (-1) as a length: the 64-bit all-ones value.
    if (v2) AppendRdbLength(out, uint64_t(g.entries_read));
    AppendRdbLength(out, g.pel.size());
    for (const RdbStreamNack& n : g.pel) {
      AppendRawId(out, n.id);
      AppendMillis(out, n.delivery_time);
      AppendRdbLength(out, n.delivery_count);
    }
    AppendRdbLength(out, g.consumers.size());
    for (const RdbStreamConsumer& c : g.consumers) {
      AppendRdbString(out, c.name);
      AppendMillis(out, c.seen_time);
      AppendRdbLength(out, c.pel.size());
      for (RdbStreamId id : c.pel) AppendRawId(out, id);
    }
  }
}

bool LoadStream(uint8_t type, RdbReader* r, RdbValue* out) {
  RdbStream& s = out->stream;
  uint64_t nodes;
  if (!ReadCount(r, 2, &nodes)) return false;
  for (uint64_t n = 0; n < nodes; n++) {
    std::string key, lp;
    if (!r->ReadString(&key) || !r->ReadString(&lp)) return false;
    if (!DecodeNode(key, lp, &s)) return false;
  }
  uint64_t length;
  if (!r->ReadLength(&length) || !ReadId(r, &s.last_id)) return false;
  if (length != s.entries.size()) return false;
  if (!s.entries.empty() && s.last_id < s.entries.back().id) return false;
  if (type == kRdbStreamListpacks2) {
    if (!ReadId(r, &s.first_id) || !ReadId(r, &s.max_deleted_id) ||
        !r->ReadLength(&s.entries_added))
      return false;
  } else {
    s.entries_added = length;
    if (!s.entries.empty()) s.first_id = s.entries.front().id;
    s.estimate_reads = true;
  }
  uint64_t ngroups;
  if (!ReadCount(r, 3, &ngroups)) return false;
  std::unordered_set<std::string> names;
  for (uint64_t gi = 0; gi < ngroups; gi++) {
    RdbStreamGroup g;
    if (!r->ReadString(&g.name) || !ReadId(r, &g.last_id)) return false;
    if (!names.insert(g.name).second) return false;
    if (type == kRdbStreamListpacks2) {
      uint64_t er;
      if (!r->ReadLength(&er)) return false;
      g.entries_read = int64_t(er);
      if (g.entries_read < -1) return false;
    }
    uint64_t npel;
    if (!ReadCount(r, 17, &npel)) return false;
    std::map<RdbStreamId, bool> owned;  // group PEL id -> owned by a consumer
    for (uint64_t i = 0; i < npel; i++) {
      RdbStreamNack nack;
      if (!ReadRawId(r, &nack.id) || !ReadMillis(r, &nack.delivery_time) ||
          !r->ReadLength(&nack.delivery_count))
        return false;
      if (!owned.emplace(nack.id, false).second) return false;  // duplicate
      g.pel.push_back(nack);
    }
    std::sort(g.pel.begin(), g.pel.end(),
              [](const RdbStreamNack& a, const RdbStreamNack& b) { return a.id < b.id; });
    uint64_t nconsumers;
    if (!ReadCount(r, 10, &nconsumers)) return false;
    std::unordered_set<std::string> cnames;
    for (uint64_t ci = 0; ci < nconsumers; ci++) {
      RdbStreamConsumer c;
      if (!r->ReadString(&c.name) || !ReadMillis(r, &c.seen_time)) return false;
      if (!cnames.insert(c.name).second) return false;
      uint64_t cpel;
      if (!ReadCount(r, 16, &cpel)) return false;
      for (uint64_t i = 0; i < cpel; i++) {
        RdbStreamId id;
        if (!ReadRawId(r, &id)) return false;
        auto it = owned.find(id);
        // Must be in the group's PEL and owned by no one else.
        if (it == owned.end() || it->second) return false;
        it->second = true;
        c.pel.push_back(id);
      }
      g.consumers.push_back(std::move(c));
    }
    for (const auto& [id, has_owner] : owned)
      if (!has_owner) return false;  // a pending entry without a consumer
    s.groups.push_back(std::move(g));
  }
  return true;
}

}  // namespace strata::kv::rdb
