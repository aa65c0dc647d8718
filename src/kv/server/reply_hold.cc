#include "kv/server/reply_hold.h"

#include <algorithm>

#include "io/reactor.h"
#include "io/send_batch.h"
#include "kv/aof/aof_log.h"
#include "kv/server/shard_local.h"

namespace strata::kv {

void OutputHold::Hold(size_t size, uint64_t pos) {
  uint64_t end = base_ + size;
  uint64_t from = holds_.empty() ? allowed_ : holds_.back().end;
  if (end <= from) return;
  if (!holds_.empty()) {
    // Positions ascend along the stream: a later part never needs less than an earlier one.
    if (pos <= holds_.back().pos) {
      holds_.back().end = end;
      return;
    }
  }
  holds_.push_back(Held{end, pos});
}

void OutputHold::Release(uint64_t synced) {
  while (!holds_.empty() && holds_.front().pos <= synced) {
    allowed_ = holds_.front().end;
    holds_.pop_front();
  }
}

namespace {

void RegisterRelease(ShardLocal& local);

// Posted by the fsync thread once the log is durable up to the least position a held
// connection of this reactor needs.
void ReleaseHeldClients() {
  ShardLocal& local = Local();
  local.held_release_due = false;
  uint64_t synced = aof::SyncedPosition();
  std::vector<TurnClient*> list;
  list.swap(local.held);
  local.held_min = UINT64_MAX;
  local.releasing = true;
  for (TurnClient* c : list) {
    c->in_held_list = false;
    c->ReleaseHeld(synced);  // parks itself again if some output still waits
  }
  local.releasing = false;
  if (!local.held.empty()) RegisterRelease(local);
}

void RegisterRelease(ShardLocal& local) {
  if (local.held_release_due) return;
  io::Reactor* r = io::Reactor::Current();
  if (!r) return;
  local.held_release_due = true;
  aof::WhenDurable(local.held_min, r, [] { ReleaseHeldClients(); });
}

// Step 3 with one system call for every client's send. Nothing runs between a client's queueing
// and its result but the other clients' queueing and results, so the bytes queued stay put.
void SendAll(const std::vector<TurnClient*>& list, uint64_t pos, bool durable,
             io::SendBatch& batch) {
  thread_local std::vector<long> index;
  thread_local std::vector<SendResult> result;
  index.resize(list.size());
  result.resize(list.size());
  for (size_t i = 0; i < list.size(); i++) {
    list[i]->in_turn_list = false;
    index[i] = list[i]->QueueTurnFlush(pos, durable, batch);
  }
  batch.Submit();
  for (size_t i = 0; i < list.size(); i++)
    if (index[i] >= 0) result[i] = list[i]->TakeTurnSend(batch.Result(size_t(index[i])));
  batch.Clear();
  // Acting on a result may close a client, or add output to another (which then joins the
  // next step): every result is taken before.
  for (size_t i = 0; i < list.size(); i++)
    if (index[i] != TurnClient::kSkipped) list[i]->FinishTurnFlush(index[i] >= 0, result[i]);
}

void TurnEnd() {
  ShardLocal& local = Local();
  local.turn_end_scheduled = false;
  // 1. The log first (Redis's beforeSleep writes its AOF buffer before it sends replies).
  uint64_t pos = 0;
  bool durable = true;
  if (aof::Enabled()) durable = aof::CommitForReplies(&pos);
  // 2. What waited for that write.
  if (!local.after_log_write.empty()) {
    std::vector<std::function<void()>> after;
    after.swap(local.after_log_write);
    for (auto& fn : after) fn();
  }
  // 3. The connections' output.
  if (!local.turn_clients.empty()) {
    thread_local std::vector<TurnClient*> list;  // keeps its capacity from turn to turn
    list.swap(local.turn_clients);
    io::SendBatch* batch = list.size() > 1 ? io::SendBatch::ForThisThread() : nullptr;
    if (batch) {
      SendAll(list, pos, durable, *batch);
    } else {
      for (TurnClient* c : list) {
        c->in_turn_list = false;
        c->FlushAtTurnEnd(pos, durable);
      }
    }
    list.clear();
  }
}

}  // namespace

void ScheduleTurnEnd() {
  ShardLocal& local = Local();
  if (local.turn_end_scheduled) return;
  io::Reactor* r = io::Reactor::Current();
  if (!r) return;  // no loop (start-up replay): the next commit carries the records
  local.turn_end_scheduled = true;
  r->Defer([] { TurnEnd(); });
}

bool TurnClient::AllowForTurnEnd(uint64_t pos, bool durable) {
  if (TurnClosed() || TurnFlushWaits()) return false;
  if (durable && !hold_.active()) {
    hold_.AllowAll(Output().out->size());
  } else {
    hold_.Hold(Output().out->size(), pos);
    hold_.Release(aof::SyncedPosition());
  }
  return true;
}

void TurnClient::FlushAtTurnEnd(uint64_t pos, bool durable) {
  if (!AllowForTurnEnd(pos, durable)) return;
  SendAllowed();
  if (!TurnClosed() && hold_.active()) HoldForLog(this, hold_.next_pos());
}

void TurnClient::SendNow() {
  hold_.AllowAll(Output().out->size());
  SendAllowed();
}

void TurnClient::SendAllowed() {
  if (TurnClosed()) return;
  TurnOutput o = Output();
  AfterSend(SendOutput(o.fd, o.out, o.sent, &hold_));
}

long TurnClient::QueueTurnFlush(uint64_t pos, bool durable, io::SendBatch& batch) {
  if (!AllowForTurnEnd(pos, durable)) return kSkipped;
  TurnOutput o = Output();
  long i = QueueOutput(batch, o.fd, *o.out, *o.sent, &hold_);
  return i >= 0 ? i : kNothingQueued;
}

SendResult TurnClient::TakeTurnSend(ssize_t result) {
  TurnOutput o = Output();
  return FinishOutput(result, o.fd, o.out, o.sent, &hold_);
}

void TurnClient::FinishTurnFlush(bool queued, SendResult r) {
  if (TurnClosed()) return;
  if (queued)
    AfterSend(r);
  else
    SendAllowed();  // nothing to send: the same follow-up, without a system call
  if (!TurnClosed() && hold_.active()) HoldForLog(this, hold_.next_pos());
}

bool TurnClient::SendIfOnlyBatched() {
  if (TurnClosed() || TurnFlushWaits() || hold_.active()) return false;
  SendNow();
  return true;
}

void TurnClient::ReleaseHeld(uint64_t synced) {
  if (TurnClosed()) return;
  hold_.Release(synced);
  SendAllowed();
  if (!TurnClosed() && hold_.active()) HoldForLog(this, hold_.next_pos());
}

void FlushAtTurnEnd(TurnClient* c) {
  if (c->in_turn_list) return;
  c->in_turn_list = true;
  Local().turn_clients.push_back(c);
  ScheduleTurnEnd();
}

void RunAfterLogWrite(std::function<void()> fn) {
  Local().after_log_write.push_back(std::move(fn));
  ScheduleTurnEnd();
}

void HoldForLog(TurnClient* c, uint64_t pos) {
  ShardLocal& local = Local();
  if (!c->in_held_list) {
    c->in_held_list = true;
    local.held.push_back(c);
  }
  local.held_min = std::min(local.held_min, pos);
  aof::WantDurable(pos);  // the fsync thread starts at once, even before the release below
  if (!local.releasing) RegisterRelease(local);
}

void SendBatchedNow() {
  if (aof::RepliesMustWait()) return;  // then every listed reply needs the log written first
  ShardLocal& local = Local();
  if (local.turn_clients.empty()) return;
  std::vector<TurnClient*> list, keep;
  list.swap(local.turn_clients);
  for (TurnClient* c : list) {
    if (c->SendIfOnlyBatched())
      c->in_turn_list = false;
    else
      keep.push_back(c);
  }
  local.turn_clients.insert(local.turn_clients.end(), keep.begin(), keep.end());
}

void ForgetTurnClient(TurnClient* c) {
  ShardLocal& local = Local();
  if (c->in_turn_list) std::erase(local.turn_clients, c);
  if (c->in_held_list) std::erase(local.held, c);
  c->in_turn_list = c->in_held_list = false;
}

}  // namespace strata::kv
