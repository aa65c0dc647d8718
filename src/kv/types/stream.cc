#include "kv/types/stream.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace strata::kv {
namespace {

constexpr size_t kListpackMaxSize = size_t(1) << 30;

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(char(uint8_t(v) | 0x80));
    v >>= 7;
  }
  out->push_back(char(v));
}

uint64_t GetVarint(const uint8_t** p) {
  uint64_t v = 0;
  int shift = 0;
  while (**p & 0x80) {
    v |= uint64_t(**p & 0x7f) << shift;
    shift += 7;
    (*p)++;
  }
  v |= uint64_t(**p) << shift;
  (*p)++;
  return v;
}

void PutStr(std::string* out, std::string_view s) {
  PutVarint(out, s.size());
  out->append(s);
}

std::string_view GetStr(const uint8_t** p) {
  size_t len = size_t(GetVarint(p));
  std::string_view s(reinterpret_cast<const char*>(*p), len);
  *p += len;
  return s;
}

// Size of an integer element in Redis's listpack (encoding plus back-length byte).
size_t LpIntSize(int64_t v) {
  if (v >= 0 && v <= 127) return 2;
  if (v >= -4096 && v <= 4095) return 3;
  if (v >= INT16_MIN && v <= INT16_MAX) return 4;
  if (v >= -(1 << 23) && v < (1 << 23)) return 5;
  if (v >= INT32_MIN && v <= INT32_MAX) return 6;
  return 10;
}

// Listpack stores strings that are canonical integers as integers.
bool LpStringToInt(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() >= 21) return false;
  if (s.size() == 1 && s[0] == '0') {
    *out = 0;
    return true;
  }
  size_t i = 0;
  bool neg = false;
  if (s[0] == '-') {
    neg = true;
    i = 1;
    if (s.size() == 1) return false;
  }
  if (s[i] < '1' || s[i] > '9') return false;
  uint64_t v = 0;
  for (; i < s.size(); i++) {
    if (s[i] < '0' || s[i] > '9') return false;
    if (v > (UINT64_MAX - 9) / 10) return false;
    v = v * 10 + uint64_t(s[i] - '0');
  }
  if (neg) {
    if (v > uint64_t(INT64_MAX) + 1) return false;
    *out = int64_t(0 - v);
  } else {
    if (v > uint64_t(INT64_MAX)) return false;
    *out = int64_t(v);
  }
  return true;
}

size_t LpStrSize(std::string_view s) {
  int64_t v;
  if (LpStringToInt(s, &v)) return LpIntSize(v);
  size_t len = s.size();
  size_t entry = len + (len < 64 ? 1 : len < 4096 ? 2 : 5);
  size_t back = entry <= 127        ? 1
                : entry < 16383     ? 2
                : entry < 2097151   ? 3
                : entry < 268435455 ? 4
                                    : 5;
  return entry + back;
}

// Redis's string2ull: strict decimal, or whatever strtoull accepts in full.
bool ParseU64Like(const char* s, uint64_t* out) {
  std::string_view sv(s);
  int64_t ll;
  if (LpStringToInt(sv, &ll)) {
    if (ll < 0) return false;
    *out = uint64_t(ll);
    return true;
  }
  errno = 0;
  char* end = nullptr;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno == EINVAL || errno == ERANGE || !(*s != '\0' && *end == '\0')) return false;
  *out = v;
  return true;
}

}  // namespace

bool StreamID::Incr() {
  if (seq == UINT64_MAX) {
    if (ms == UINT64_MAX) {
      ms = seq = 0;
      return false;
    }
    ms++;
    seq = 0;
  } else {
    seq++;
  }
  return true;
}

bool StreamID::Decr() {
  if (seq == 0) {
    if (ms == 0) {
      ms = seq = UINT64_MAX;
      return false;
    }
    ms--;
    seq = UINT64_MAX;
  } else {
    seq--;
  }
  return true;
}

std::string StreamID::ToString() const { return std::to_string(ms) + "-" + std::to_string(seq); }

bool ParseStreamID(std::string_view s, StreamID* id, uint64_t missing_seq, bool strict,
                   bool* seq_given) {
  char buf[128];
  if (s.size() > sizeof(buf) - 1) return false;
  memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  if (strict && (buf[0] == '-' || buf[0] == '+') && buf[1] == '\0') return false;
  if (seq_given) *seq_given = true;
  if (buf[0] == '-' && buf[1] == '\0') {
    *id = StreamID::Min();
    return true;
  }
  if (buf[0] == '+' && buf[1] == '\0') {
    *id = StreamID::Max();
    return true;
  }
  uint64_t ms, seq;
  char* dot = strchr(buf, '-');
  if (dot) *dot = '\0';
  if (!ParseU64Like(buf, &ms)) return false;
  if (dot) {
    if (seq_given && dot[1] == '*' && dot[2] == '\0') {
      seq = 0;
      *seq_given = false;
    } else if (!ParseU64Like(dot + 1, &seq)) {
      return false;
    }
  } else {
    seq = missing_seq;
  }
  id->ms = ms;
  id->seq = seq;
  return true;
}

// ---- Consumer groups ----

StreamConsumer* StreamGroup::FindConsumer(std::string_view name) const {
  auto it = consumers.find(name);
  return it == consumers.end() ? nullptr : it->second.get();
}

StreamConsumer* StreamGroup::CreateConsumer(std::string_view name, int64_t now_ms) {
  auto [it, inserted] = consumers.try_emplace(std::string(name));
  if (!inserted) return nullptr;
  it->second = std::make_unique<StreamConsumer>();
  it->second->name = std::string(name);
  it->second->seen_time = now_ms;
  return it->second.get();
}

size_t StreamGroup::DeleteConsumer(std::string_view name) {
  auto it = consumers.find(name);
  if (it == consumers.end()) return 0;
  size_t n = it->second->pel.size();
  for (StreamID id : it->second->pel) pel.erase(id);
  consumers.erase(it);
  return n;
}

bool StreamGroup::Ack(StreamID id) {
  auto it = pel.find(id);
  if (it == pel.end()) return false;
  if (it->second.consumer) it->second.consumer->pel.erase(id);
  pel.erase(it);
  return true;
}

void StreamGroup::SetOwner(std::map<StreamID, StreamNack>::iterator it, StreamConsumer* c) {
  if (it->second.consumer == c) return;
  if (it->second.consumer) it->second.consumer->pel.erase(it->first);
  it->second.consumer = c;
  c->pel.insert(it->first);
}

// ---- Stream ----

StreamObject::~StreamObject() = default;

std::unique_ptr<Object> StreamObject::Clone() const {
  auto s = std::make_unique<StreamObject>();
  s->nodes_ = nodes_;
  s->length_ = length_;
  s->last_id_ = last_id_;
  s->first_id_ = first_id_;
  s->max_deleted_id_ = max_deleted_id_;
  s->entries_added_ = entries_added_;
  for (const auto& [name, g] : groups_) {
    auto ng = std::make_unique<StreamGroup>();
    ng->last_id = g->last_id;
    ng->entries_read = g->entries_read;
    for (const auto& [cname, c] : g->consumers) {
      auto nc = std::make_unique<StreamConsumer>(*c);
      ng->consumers.emplace(cname, std::move(nc));
    }
    for (const auto& [id, nack] : g->pel) {
      StreamNack n = nack;
      if (n.consumer) n.consumer = ng->FindConsumer(n.consumer->name);
      ng->pel.emplace(id, n);
    }
    s->groups_.emplace(name, std::move(ng));
  }
  return s;
}

size_t StreamObject::MemoryUsage() const {
  size_t bytes = sizeof(*this) + nodes_.capacity() * sizeof(Node);
  for (const Node& n : nodes_) {
    if (n.data.capacity() > 15) bytes += n.data.capacity() + 1;
  }
  for (const auto& [name, g] : groups_) {
    bytes += sizeof(StreamGroup) + 64 + name.size();
    bytes += g->pel.size() * (sizeof(StreamID) + sizeof(StreamNack) + 32);
    for (const auto& [cname, c] : g->consumers) {
      bytes += sizeof(StreamConsumer) + 64 + 2 * cname.size();
      bytes += c->pel.size() * (sizeof(StreamID) + 32);
    }
  }
  return bytes;
}

size_t StreamObject::FreeEffort() const {
  size_t effort = nodes_.size() + 1;
  for (const auto& [name, g] : groups_) effort += 1 + g->pel.size() * 2 + g->consumers.size();
  return effort;
}

size_t StreamObject::LpBytes(const Node& n) {
  return n.lp_fixed + LpIntSize(int64_t(n.live)) + LpIntSize(int64_t(n.deleted));
}

size_t StreamObject::NodeFor(StreamID id) const {
  auto it = std::upper_bound(nodes_.begin(), nodes_.end(), id,
                             [](StreamID v, const Node& n) { return v < n.master; });
  if (it == nodes_.begin()) return 0;
  return size_t(it - nodes_.begin()) - 1;
}

size_t StreamObject::Decode(const Node& n, size_t off, StreamID* id, bool* deleted,
                            StreamFields* fields) {
  const uint8_t* base = reinterpret_cast<const uint8_t*>(n.data.data());
  const uint8_t* p = base + off;
  uint8_t flags = *p++;
  uint64_t msd = GetVarint(&p);
  uint64_t s = GetVarint(&p);
  id->ms = n.master.ms + msd;
  id->seq = msd == 0 ? n.master.seq + s : s;
  *deleted = flags & kDeleted;
  fields->clear();
  if (flags & kSameFields) {
    const uint8_t* m = base;
    size_t nf = size_t(GetVarint(&m));
    for (size_t i = 0; i < nf; i++) {
      std::string_view name = GetStr(&m);
      fields->emplace_back(name, GetStr(&p));
    }
  } else {
    size_t nf = size_t(GetVarint(&p));
    for (size_t i = 0; i < nf; i++) {
      std::string_view name = GetStr(&p);
      fields->emplace_back(name, GetStr(&p));
    }
  }
  return size_t(p - base);
}

size_t StreamObject::Skip(const Node& n, size_t off) {
  const uint8_t* base = reinterpret_cast<const uint8_t*>(n.data.data());
  const uint8_t* p = base + off;
  uint8_t flags = *p++;
  GetVarint(&p);
  GetVarint(&p);
  size_t strings = (flags & kSameFields) ? n.master_fields : 2 * size_t(GetVarint(&p));
  for (size_t i = 0; i < strings; i++) GetStr(&p);
  return size_t(p - base);
}

bool StreamObject::NextAutoId(uint64_t now_ms, StreamID* out) const {
  if (now_ms > last_id_.ms) {
    *out = {now_ms, 0};
    return true;
  }
  *out = last_id_;
  return out->Incr();
}

void StreamObject::Append(StreamID id, std::span<const std::string_view> fv, size_t node_max_bytes,
                          size_t node_max_entries) {
  // A stream emptied by an exact trim keeps its first node, holding deleted entries only. If
  // XSETID has since moved the last ID below that node's master ID, an entry appended to it would
  // lie below the master, where lookups (which find entries through the masters) miss it: drop
  // the deleted entries and start a new node instead.
  if (length_ == 0 && !nodes_.empty() && id < nodes_.back().master) nodes_.clear();
  size_t nf = fv.size() / 2;
  size_t total = 0;
  for (auto s : fv) total += s.size();
  bool new_node = nodes_.empty();
  if (!new_node) {
    Node& tail = nodes_.back();
    size_t max_bytes = node_max_bytes == 0 || node_max_bytes > kListpackMaxSize ? kListpackMaxSize
                                                                                : node_max_bytes;
    if (LpBytes(tail) + total >= max_bytes) {
      new_node = true;
    } else if (node_max_entries && tail.live + tail.deleted >= node_max_entries) {
      new_node = true;
    }
    if (new_node) tail.data.shrink_to_fit();
  }
  bool same = true;
  if (new_node) {
    Node n;
    n.master = id;
    PutVarint(&n.data, nf);
    size_t lp = 7 + LpIntSize(int64_t(nf)) + 2;
    for (size_t i = 0; i < nf; i++) {
      PutStr(&n.data, fv[2 * i]);
      lp += LpStrSize(fv[2 * i]);
    }
    n.lp_fixed = uint32_t(lp);
    n.first_entry = uint32_t(n.data.size());
    n.master_fields = uint32_t(nf);
    nodes_.push_back(std::move(n));
  } else {
    const Node& tail = nodes_.back();
    if (nf != tail.master_fields) {
      same = false;
    } else {
      const uint8_t* m = reinterpret_cast<const uint8_t*>(tail.data.data());
      GetVarint(&m);
      for (size_t i = 0; i < nf && same; i++) same = GetStr(&m) == fv[2 * i];
    }
  }
  Node& t = nodes_.back();
  uint64_t msd = id.ms - t.master.ms;
  t.data.push_back(char(same ? kSameFields : 0));
  PutVarint(&t.data, msd);
  PutVarint(&t.data, msd == 0 ? id.seq - t.master.seq : id.seq);
  size_t lp = 2 + LpIntSize(int64_t(msd)) + LpIntSize(int64_t(id.seq - t.master.seq));
  if (!same) {
    PutVarint(&t.data, nf);
    lp += LpIntSize(int64_t(nf));
  }
  for (size_t i = 0; i < nf; i++) {
    if (!same) {
      PutStr(&t.data, fv[2 * i]);
      lp += LpStrSize(fv[2 * i]);
    }
    PutStr(&t.data, fv[2 * i + 1]);
    lp += LpStrSize(fv[2 * i + 1]);
  }
  int64_t lp_count = int64_t(nf) + 3 + (same ? 0 : int64_t(nf) + 1);
  lp += LpIntSize(lp_count);
  t.lp_fixed += uint32_t(lp);
  t.live++;
  length_++;
  entries_added_++;
  last_id_ = id;
  if (length_ == 1) first_id_ = id;
}

bool StreamObject::MarkDeleted(size_t n, size_t off) {
  Node& node = nodes_[n];
  node.data[off] = char(uint8_t(node.data[off]) | kDeleted);
  node.live--;
  node.deleted++;
  length_--;
  if (node.live == 0) {
    nodes_.erase(nodes_.begin() + ptrdiff_t(n));
    return true;
  }
  return false;
}

void StreamObject::RefreshFirstId() {
  if (length_ == 0) {
    first_id_ = StreamID::Min();
  } else if (!FirstId(&first_id_)) {
    first_id_ = StreamID::Max();
  }
}

bool StreamObject::Delete(StreamID id) {
  if (nodes_.empty()) return false;
  size_t n = NodeFor(id);
  const Node& node = nodes_[n];
  StreamFields fields;
  StreamID cur;
  for (size_t off = node.first_entry; off < node.data.size();) {
    bool deleted;
    size_t next = Decode(node, off, &cur, &deleted, &fields);
    // Deleted entries are skipped, not compared: once XSETID has moved the last ID back, a
    // deleted entry may precede live ones with lower IDs, or with its own ID.
    if (!deleted && cur > id) return false;
    if (!deleted && cur == id) {
      MarkDeleted(n, off);
      if (id > max_deleted_id_) max_deleted_id_ = id;
      if (length_ == 0)
        first_id_ = StreamID::Min();
      else if (id == first_id_)
        RefreshFirstId();
      return true;
    }
    off = next;
  }
  return false;
}

bool StreamObject::Exists(StreamID id) const {
  bool found = false;
  Range(id, id, false, [&](StreamID, const StreamFields&) {
    found = true;
    return false;
  });
  return found;
}

bool StreamObject::FirstId(StreamID* out) const {
  bool found = false;
  Range(StreamID::Min(), StreamID::Max(), false, [&](StreamID id, const StreamFields&) {
    *out = id;
    found = true;
    return false;
  });
  return found;
}

bool StreamObject::LastId(StreamID* out) const {
  bool found = false;
  Range(StreamID::Min(), StreamID::Max(), true, [&](StreamID id, const StreamFields&) {
    *out = id;
    found = true;
    return false;
  });
  return found;
}

int64_t StreamObject::Trim(const StreamTrimArgs& args) {
  if (args.strategy == StreamTrimArgs::kNone) return 0;
  int64_t deleted = 0;
  StreamFields fields;
  while (!nodes_.empty()) {
    if (args.strategy == StreamTrimArgs::kMaxLen && int64_t(length_) <= args.maxlen) break;
    Node& node = nodes_.front();
    int64_t entries = node.live;
    if (args.limit && deleted + entries > args.limit) break;
    bool remove;
    if (args.strategy == StreamTrimArgs::kMaxLen) {
      remove = int64_t(length_) - entries >= args.maxlen;
    } else {
      // The node's last entry, deleted or not.
      StreamID last;
      bool del;
      size_t off = node.first_entry, prev = off;
      while (off < node.data.size()) {
        prev = off;
        off = Skip(node, off);
      }
      Decode(node, prev, &last, &del, &fields);
      remove = last < args.minid;
    }
    if (remove) {
      length_ -= uint64_t(entries);
      deleted += entries;
      nodes_.erase(nodes_.begin());
      continue;
    }
    if (args.approx) break;
    // Mark entries deleted from the start of this node (it stays, even if emptied, as in
    // Redis).
    for (size_t off = node.first_entry; off < node.data.size();) {
      StreamID id;
      bool del;
      size_t next = Decode(node, off, &id, &del, &fields);
      bool stop = args.strategy == StreamTrimArgs::kMaxLen ? int64_t(length_) <= args.maxlen
                                                           : id >= args.minid;
      if (stop) break;
      if (!del) {
        node.data[off] = char(uint8_t(node.data[off]) | kDeleted);
        node.live--;
        node.deleted++;
        length_--;
        deleted++;
      }
      off = next;
    }
    break;
  }
  if (length_ == 0)
    first_id_ = StreamID::Min();
  else if (deleted)
    RefreshFirstId();
  return deleted;
}

// ---- Groups ----

StreamGroup* StreamObject::FindGroup(std::string_view name) const {
  auto it = groups_.find(name);
  return it == groups_.end() ? nullptr : it->second.get();
}

StreamGroup* StreamObject::CreateGroup(std::string_view name, StreamID last_id,
                                       int64_t entries_read) {
  auto [it, inserted] = groups_.try_emplace(std::string(name));
  if (!inserted) return nullptr;
  it->second = std::make_unique<StreamGroup>();
  it->second->last_id = last_id;
  it->second->entries_read = entries_read;
  return it->second.get();
}

bool StreamObject::DestroyGroup(std::string_view name) {
  auto it = groups_.find(name);
  if (it == groups_.end()) return false;
  groups_.erase(it);
  return true;
}

bool StreamObject::RangeHasTombstones(StreamID start, StreamID end) const {
  if (length_ == 0 || max_deleted_id_.IsZero()) return false;
  if (first_id_ > max_deleted_id_) return false;
  return start <= max_deleted_id_ && max_deleted_id_ <= end;
}

int64_t StreamObject::EstimateDistance(StreamID id) const {
  if (!entries_added_) return 0;
  if (!length_ && id <= last_id_) return int64_t(entries_added_);
  if (id == last_id_) return int64_t(entries_added_);
  if (id > last_id_) return StreamGroup::kInvalidEntriesRead;
  if (max_deleted_id_.IsZero() || max_deleted_id_ < first_id_) {
    if (id < first_id_) return int64_t(entries_added_ - length_);
    if (id == first_id_) return int64_t(entries_added_ - length_ + 1);
  }
  return StreamGroup::kInvalidEntriesRead;
}

bool StreamObject::Lag(const StreamGroup& g, int64_t* out) const {
  if (!entries_added_) {
    *out = 0;
    return true;
  }
  if (g.entries_read != StreamGroup::kInvalidEntriesRead &&
      !RangeHasTombstones(g.last_id, StreamID::Max())) {
    *out = int64_t(entries_added_) - g.entries_read;
    return true;
  }
  int64_t read = EstimateDistance(g.last_id);
  if (read == StreamGroup::kInvalidEntriesRead) return false;
  *out = int64_t(entries_added_) - read;
  return true;
}

void StreamObject::AdvanceGroup(StreamGroup* g, StreamID id) const {
  if (g->entries_read != StreamGroup::kInvalidEntriesRead &&
      !RangeHasTombstones(id, StreamID::Max())) {
    g->entries_read++;
  } else if (entries_added_) {
    g->entries_read = EstimateDistance(id);
  }
  g->last_id = id;
}

void StreamObject::AddPending(StreamGroup* g, StreamConsumer* c, StreamID id, int64_t now_ms) {
  auto [it, inserted] = g->pel.try_emplace(id);
  if (inserted) it->second.consumer = nullptr;
  g->SetOwner(it, c);
  it->second.delivery_time = now_ms;
  it->second.delivery_count = 1;
}

}  // namespace strata::kv
