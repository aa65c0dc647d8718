#include "strata/write_behind.h"

#include <cstdlib>
#include <thread>

#include "base/hash.h"

namespace strata {
namespace {

constexpr const char* kConsumer = "flusher";

std::pair<uint64_t, uint64_t> SplitId(std::string_view id) {
  size_t dash = id.find('-');
  std::string ms(id.substr(0, dash));
  std::string seq = dash == std::string_view::npos ? "0" : std::string(id.substr(dash + 1));
  return {strtoull(ms.c_str(), nullptr, 10), strtoull(seq.c_str(), nullptr, 10)};
}

// The entries of one stream from an XREADGROUP reply, RESP2 ([[stream, entries]]) or RESP3
// ({stream: entries}).
const Reply* EntriesOf(const Reply& r) {
  if (r.is_nil() || r.size() == 0) return nullptr;
  if (r.type() == Reply::Type::kMap) return &r[1];
  if (r[0].is_aggregate() && r[0].size() == 2) return &r[0][1];
  return nullptr;
}

// Partition p's stream, and the lock a flusher holds it by.
std::string StreamName(const WriteBehindOptions& o, uint32_t p) {
  return o.name + ":{" + std::to_string(p) + "}";
}
std::string HoldName(const WriteBehindOptions& o, uint32_t p) {
  return StreamName(o, p) + ":flusher";
}

}  // namespace

bool StreamIdLess(std::string_view a, std::string_view b) { return SplitId(a) < SplitId(b); }

WriteBehindQueue::WriteBehindQueue(Client& client, WriteBehindOptions options)
    : client_(client), options_(std::move(options)) {
  if (options_.partitions == 0) options_.partitions = 1;
  Ensure();
}

void WriteBehindQueue::Ensure() {
  std::vector<Args> cmds;
  for (uint32_t p = 0; p < options_.partitions; p++) {
    cmds.push_back({"XGROUP", "CREATE", StreamOf(p), options_.group, "0", "MKSTREAM"});
  }
  for (const Reply& r : client_.Pipeline(std::move(cmds))) {
    if (r.is_error() && r.error_code() != "BUSYGROUP") throw ServerError(r.str());
  }
}

uint32_t WriteBehindQueue::PartitionOf(std::string_view key) const {
  return uint32_t(HashKey(key) % options_.partitions);
}

std::string WriteBehindQueue::StreamOf(uint32_t partition) const {
  return StreamName(options_, partition);
}

std::string WriteBehindQueue::Put(std::string_view key, std::string_view value) {
  return client_
      .Command({"XADD", StreamOf(PartitionOf(key)), "*", "op", "set", "k", key, "v", value})
      .take_str();
}

std::string WriteBehindQueue::Delete(std::string_view key) {
  return client_.Command({"XADD", StreamOf(PartitionOf(key)), "*", "op", "del", "k", key})
      .take_str();
}

int64_t WriteBehindQueue::Backlog() {
  std::vector<Args> cmds;
  for (uint32_t p = 0; p < options_.partitions; p++) cmds.push_back({"XLEN", StreamOf(p)});
  int64_t n = 0;
  for (const Reply& r : client_.Pipeline(std::move(cmds))) {
    if (r.is_integer()) n += r.integer();
  }
  return n;
}

WriteBehindFlusher::WriteBehindFlusher(Client& client, WriteBehindOptions options, Apply apply,
                                       std::vector<uint32_t> partitions)
    : client_(client),
      options_(std::move(options)),
      apply_(std::move(apply)),
      partitions_(std::move(partitions)) {
  if (options_.partitions == 0) options_.partitions = 1;
  if (partitions_.empty()) {
    for (uint32_t p = 0; p < options_.partitions; p++) partitions_.push_back(p);
  }
  pending_done_.assign(partitions_.size(), false);
  fences_.assign(partitions_.size(), 0);
  WriteBehindQueue(client_, options_);  // streams and groups exist
}

WriteBehindFlusher::~WriteBehindFlusher() {
  // Hand the partitions over at once rather than after the hold's TTL.
  for (size_t i = 0; i < partitions_.size(); i++) {
    if (fences_[i] == 0) continue;
    try {
      DistributedLock(client_, HoldName(options_, partitions_[i])).Release(fences_[i]);
    } catch (const Error&) {
    }
  }
}

std::vector<uint32_t> WriteBehindFlusher::Held() const {
  std::vector<uint32_t> out;
  for (size_t i = 0; i < partitions_.size(); i++) {
    if (fences_[i] != 0) out.push_back(partitions_[i]);
  }
  return out;
}

int64_t WriteBehindFlusher::Hold(size_t i) {
  DistributedLock lock(client_, HoldName(options_, partitions_[i]));
  if (fences_[i] != 0 && lock.Extend(fences_[i], options_.hold)) return fences_[i];
  // Not held (or the hold ran out and may have passed to another flusher): take it afresh. What
  // was pending must be read again, whoever had it.
  pending_done_[i] = false;
  auto token = lock.TryAcquire(options_.hold);
  fences_[i] = token.value_or(0);
  return fences_[i];
}

size_t WriteBehindFlusher::Drain(uint32_t partition, bool pending, int64_t fence) {
  const std::string stream = StreamName(options_, partition);
  Args cmd{"XREADGROUP", "GROUP", options_.group,
           kConsumer,    "COUNT", std::to_string(options_.batch)};
  std::chrono::milliseconds timeout{};
  if (!pending) {
    cmd.push_back("BLOCK");
    cmd.push_back(std::to_string(options_.block.count()));
    timeout = options_.block + client_.options().command_timeout;
  }
  cmd.push_back("STREAMS");
  cmd.push_back(stream);
  cmd.push_back(pending ? "0" : ">");
  Reply r = client_.Command(std::move(cmd), timeout);
  const Reply* entries = EntriesOf(r);
  if (entries == nullptr || entries->size() == 0) return 0;
  std::vector<WriteRecord> batch;
  std::vector<std::string> ids;
  for (const Reply& e : entries->elements()) {
    if (e.size() < 2) continue;
    ids.push_back(e[0].str());
    if (e[1].is_nil()) continue;  // deleted while pending: nothing to apply, just ack
    WriteRecord rec;
    rec.id = e[0].str();
    rec.partition = partition;
    rec.fence = fence;
    const Reply& fields = e[1];
    for (size_t i = 0; i + 1 < fields.size(); i += 2) {
      const std::string& f = fields[i].str();
      if (f == "op") {
        rec.is_delete = fields[i + 1].str() == "del";
      } else if (f == "k") {
        rec.key = fields[i + 1].str();
      } else if (f == "v") {
        rec.value = fields[i + 1].str();
      }
    }
    batch.push_back(std::move(rec));
  }
  if (!batch.empty()) apply_(partition, batch);
  Args ack{"XACK", stream, options_.group};
  Args del{"XDEL", stream};
  for (const std::string& id : ids) {
    ack.push_back(id);
    del.push_back(id);
  }
  client_.Pipeline({std::move(ack), std::move(del)});
  return batch.size();
}

size_t WriteBehindFlusher::RunOnce() {
  size_t applied = 0;
  for (size_t i = 0; i < partitions_.size(); i++) {
    const uint32_t p = partitions_[i];
    const int64_t fence = Hold(i);
    if (fence == 0) continue;  // another flusher has it
    try {
      if (!pending_done_[i]) {
        // What an earlier flusher of this partition was handed and did not acknowledge.
        size_t n;
        while ((n = Drain(p, true, fence)) > 0) applied += n;
        pending_done_[i] = true;
      }
      applied += Drain(p, false, fence);
    } catch (...) {
      // The batch stays pending; read it again first next time.
      pending_done_[i] = false;
      throw;
    }
  }
  return applied;
}

void WriteBehindFlusher::Run(const std::atomic<bool>& stop) {
  while (!stop.load(std::memory_order_relaxed)) {
    try {
      RunOnce();
      if (Held().empty()) std::this_thread::sleep_for(options_.block);  // another flusher has all
    } catch (const Error&) {
      std::this_thread::sleep_for(options_.block);
    } catch (const std::exception&) {
      std::this_thread::sleep_for(options_.block);
    }
  }
}

}  // namespace strata
