// StreamObject: the value of a stream key (XADD, XRANGE, consumer groups ...).
//
// Entries are kept in a vector of nodes sorted by their master ID (the ID of the first entry
// added to the node). A node is one contiguous byte buffer:
//
//   master fields:  varint nfields, then nfields x (varint len, bytes)
//   each entry:     flags byte (kDeleted, kSameFields), varint ms delta from the master ID,
//                   varint seq (delta from the master seq when the ms delta is 0, else raw),
//                   kSameFields: the values only (names are the master's), each varint len +
//                   bytes; otherwise varint nfields and nfields x (name, value)
//
// Deleting an entry only sets its kDeleted flag (as Redis does); a node whose entries are all
// deleted is dropped. New nodes start when the tail node reaches node_max_entries entries
// (live or deleted) or node_max_bytes bytes, where the byte size is the size Redis's listpack
// would have for the same node, so node boundaries (and therefore MAXLEN ~ / MINID ~ trimming)
// match Redis exactly.
//
// Consumer groups keep their pending entries list (ID -> delivery time, count, consumer) in an
// ordered map, and each consumer the set of IDs it owns.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kv/engine/object.h"

namespace strata::kv {

struct StreamID {
  uint64_t ms = 0;
  uint64_t seq = 0;

  auto operator<=>(const StreamID&) const = default;
  static constexpr StreamID Min() { return {0, 0}; }
  static constexpr StreamID Max() { return {UINT64_MAX, UINT64_MAX}; }
  bool IsZero() const { return ms == 0 && seq == 0; }
  // The next ID; false (and 0-0) past the maximum.
  bool Incr();
  // The previous ID; false (and the maximum) before 0-0.
  bool Decr();
  std::string ToString() const;
};

// Parses "<ms>[-<seq>]" (missing seq = missing_seq), "-" and "+" unless strict. With
// seq_star, "<ms>-*" is accepted and sets *seq_given to false. Returns false if invalid.
bool ParseStreamID(std::string_view s, StreamID* id, uint64_t missing_seq, bool strict,
                   bool* seq_given = nullptr);

using StreamFields = std::vector<std::pair<std::string_view, std::string_view>>;

struct StreamConsumer;

struct StreamNack {
  int64_t delivery_time = 0;
  uint64_t delivery_count = 1;
  StreamConsumer* consumer = nullptr;  // null only transiently (XCLAIM FORCE)
};

struct StreamConsumer {
  std::string name;
  int64_t seen_time = 0;
  std::set<StreamID> pel;
};

struct StreamGroup {
  static constexpr int64_t kInvalidEntriesRead = -1;
  StreamID last_id;
  int64_t entries_read = kInvalidEntriesRead;
  std::map<StreamID, StreamNack> pel;
  std::map<std::string, std::unique_ptr<StreamConsumer>, std::less<>> consumers;

  StreamConsumer* FindConsumer(std::string_view name) const;
  // Creates the consumer; nullptr if it exists.
  StreamConsumer* CreateConsumer(std::string_view name, int64_t now_ms);
  // Removes the consumer and its pending entries; returns how many it had.
  size_t DeleteConsumer(std::string_view name);
  // Removes `id` from the PEL (group and owner); false if it was not pending.
  bool Ack(StreamID id);
  // Makes `c` the owner of the pending entry at `it`.
  void SetOwner(std::map<StreamID, StreamNack>::iterator it, StreamConsumer* c);
};

struct StreamTrimArgs {
  enum Strategy { kNone, kMaxLen, kMinId } strategy = kNone;
  bool approx = false;
  int64_t limit = 0;  // 0: unlimited
  int64_t maxlen = 0;
  StreamID minid;
};

class StreamObject final : public Object {
 public:
  static constexpr ObjType kType = ObjType::kStream;

  StreamObject() = default;
  ~StreamObject() override;

  ObjType type() const override { return kType; }
  const char* Encoding() const override { return "stream"; }
  size_t Length() const override { return length_; }
  std::unique_ptr<Object> Clone() const override;
  size_t MemoryUsage() const override;
  size_t FreeEffort() const override;

  // ---- Entries ----

  // Appends an entry with `id` (> last_id(), checked by the caller) and the field/value pairs
  // fv[0], fv[1], ... Updates last ID, length and entries-added.
  void Append(StreamID id, std::span<const std::string_view> fv, size_t node_max_bytes,
              size_t node_max_entries);
  // The ID XADD * would use at time now_ms (never below the last ID); false if exhausted.
  bool NextAutoId(uint64_t now_ms, StreamID* out) const;
  // Marks the entry deleted (XDEL); true if it existed. Maintains first/max-deleted IDs.
  bool Delete(StreamID id);
  // Trims as XADD/XTRIM do; returns the number of entries removed.
  int64_t Trim(const StreamTrimArgs& args);
  bool Exists(StreamID id) const;
  // First/last live entry ID; false if the stream is empty.
  bool FirstId(StreamID* out) const;
  bool LastId(StreamID* out) const;

  // Calls fn(id, fields) for live entries with start <= id <= end, ascending (or descending
  // with rev), until fn returns false. The fields point into the stream and are valid until it
  // is modified.
  template <typename F>
  void Range(StreamID start, StreamID end, bool rev, F&& fn) const {
    if (start > end || nodes_.empty()) return;
    StreamFields fields;
    StreamID id;
    if (!rev) {
      for (size_t n = NodeFor(start); n < nodes_.size(); n++) {
        const Node& node = nodes_[n];
        if (node.master > end) return;
        size_t off = node.first_entry, end_off = node.data.size();
        while (off < end_off) {
          bool deleted;
          off = Decode(node, off, &id, &deleted, &fields);
          if (deleted || id < start) continue;
          if (id > end) return;
          if (!fn(id, static_cast<const StreamFields&>(fields))) return;
        }
      }
    } else {
      std::vector<uint32_t> offs;
      for (size_t n = NodeFor(end) + 1; n-- > 0;) {
        const Node& node = nodes_[n];
        offs.clear();
        for (size_t off = node.first_entry; off < node.data.size();) {
          offs.push_back(uint32_t(off));
          off = Skip(node, off);
        }
        for (size_t i = offs.size(); i-- > 0;) {
          bool deleted;
          Decode(node, offs[i], &id, &deleted, &fields);
          if (deleted || id > end) continue;
          if (id < start) return;
          if (!fn(id, static_cast<const StreamFields&>(fields))) return;
        }
      }
    }
  }

  // ---- Metadata ----

  StreamID last_id() const { return last_id_; }
  void set_last_id(StreamID id) { last_id_ = id; }
  StreamID first_id() const { return first_id_; }
  StreamID max_deleted_id() const { return max_deleted_id_; }
  void set_max_deleted_id(StreamID id) { max_deleted_id_ = id; }
  uint64_t entries_added() const { return entries_added_; }
  void set_entries_added(uint64_t n) { entries_added_ = n; }
  // Number of nodes (XINFO radix-tree-keys).
  size_t NodeCount() const { return nodes_.size(); }

  // ---- Consumer groups ----

  const std::map<std::string, std::unique_ptr<StreamGroup>, std::less<>>& groups() const {
    return groups_;
  }
  StreamGroup* FindGroup(std::string_view name) const;
  // nullptr if a group of that name exists.
  StreamGroup* CreateGroup(std::string_view name, StreamID last_id, int64_t entries_read);
  bool DestroyGroup(std::string_view name);

  // Whether [start, end] may hold a deleted entry (Redis's tombstone test).
  bool RangeHasTombstones(StreamID start, StreamID end) const;
  // The read counter of `id` (its distance from the first entry ever added), or
  // StreamGroup::kInvalidEntriesRead when it cannot be known.
  int64_t EstimateDistance(StreamID id) const;
  // The group's lag (entries not yet delivered); false when it cannot be known.
  bool Lag(const StreamGroup& g, int64_t* out) const;
  // Records that `id` (> g.last_id) was delivered to the group: advances last ID and counter.
  void AdvanceGroup(StreamGroup* g, StreamID id) const;

  // Delivers to consumer c the entries after the group's last ID (XREADGROUP ">"), at most
  // `count` (0: all): for each, fn(id, fields) is called after the group's last ID moved and,
  // unless noack, the entry became pending for c. Returns the number delivered.
  template <typename F>
  size_t DeliverNew(StreamGroup* g, StreamConsumer* c, size_t count, bool noack, int64_t now_ms,
                    F&& fn) {
    StreamID start = g->last_id;
    if (!start.Incr()) return 0;
    size_t n = 0;
    Range(start, StreamID::Max(), false, [&](StreamID id, const StreamFields& f) {
      if (id > g->last_id) AdvanceGroup(g, id);
      if (!noack) AddPending(g, c, id, now_ms);
      fn(id, f);
      n++;
      return !(count && n == count);
    });
    return n;
  }
  // Makes `id` pending for c with a fresh delivery (as a read delivers it).
  void AddPending(StreamGroup* g, StreamConsumer* c, StreamID id, int64_t now_ms);

  // Bytes Redis's listpack for node i would take (tests).
  size_t NodeListpackBytes(size_t i) const { return LpBytes(nodes_[i]); }
  size_t NodeEntryCount(size_t i) const { return nodes_[i].live + nodes_[i].deleted; }

 private:
  static constexpr uint8_t kDeleted = 1;
  static constexpr uint8_t kSameFields = 2;

  struct Node {
    StreamID master;
    uint32_t live = 0;
    uint32_t deleted = 0;
    uint32_t lp_fixed = 0;     // Redis listpack bytes, less the live/deleted counters
    uint32_t first_entry = 0;  // offset of the first entry (after the master fields)
    uint32_t master_fields = 0;
    std::string data;
  };

  static size_t LpBytes(const Node& n);
  // Index of the node that would hold `id` (the last with master <= id; 0 if none).
  size_t NodeFor(StreamID id) const;
  // Decodes the entry at `off`; returns the offset of the next one.
  static size_t Decode(const Node& n, size_t off, StreamID* id, bool* deleted,
                       StreamFields* fields);
  static size_t Skip(const Node& n, size_t off);
  // Marks the entry at node n, offset off deleted (it must be live); drops emptied nodes.
  // Returns true if the node was dropped.
  bool MarkDeleted(size_t n, size_t off);
  void RefreshFirstId();

  std::vector<Node> nodes_;
  uint64_t length_ = 0;
  StreamID last_id_;
  StreamID first_id_;
  StreamID max_deleted_id_;
  uint64_t entries_added_ = 0;
  std::map<std::string, std::unique_ptr<StreamGroup>, std::less<>> groups_;
};

}  // namespace strata::kv
