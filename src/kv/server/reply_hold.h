// The end-of-turn step of a shard's loop, and replies held for the append-only file.
// See docs/design/persistence.md, "Writing and group commit".
//
// A connection whose replies may depend on log records not yet written (or, under appendfsync
// always, not yet fsynced) does not send them at once: it asks for the end-of-turn step of its
// reactor (Reactor::Defer, after every message of the turn has run), which
//   1. writes the records appended so far (one write(), every shard's records; no fsync),
//   2. runs what waited for that write (a shard's direct replies to another thread's client),
//   3. sends each listed connection's output, or, under always, tags the part not yet durable
//      with the log position it needs and parks the connection on its reactor's held list.
//      Under `--io uring` the sends of several connections go out with one system call
//      (io/send_batch.h): every connection queues its send, the batch is submitted, every
//      connection takes its result, and only then does each act on it (close, limits, hold).
// The fsync thread (aof/aof_sync.h) posts a release to the reactor once the log is fsynced that
// far; the release sends the output that became durable, in order, and parks what still waits.
// A connection's later output never overtakes its held output: it is tagged behind it.
//
// Threads: everything here runs on the reactor (shard loop) that owns the connection; the
// per-reactor lists live in its ShardLocal.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>

#include "kv/server/output.h"

namespace strata::io {
class SendBatch;
}

namespace strata::kv {

// Which part of a connection's output may be sent: the bytes before `allowed`, counted from the
// start of the connection's output stream. Held bytes carry the log position they need.
class OutputHold {
 public:
  // Whether some output waits for the log.
  bool active() const { return !holds_.empty(); }
  // The position the oldest held output needs (active() only).
  uint64_t next_pos() const { return holds_.front().pos; }
  // Everything in `out` (of size `size`) may go.
  void AllowAll(size_t size) { allowed_ = base_ + size; }
  // The bytes of `out` not yet allowed or held need the log durable up to `pos`.
  void Hold(size_t size, uint64_t pos);
  // The log is durable up to `synced`: the holds it covers are allowed.
  void Release(uint64_t synced);
  // How many bytes at the start of `out` (of size `size`) may be sent.
  size_t Limit(size_t size) const {
    uint64_t n = allowed_ - base_;
    return n < size ? size_t(n) : size;
  }
  // `n` bytes were removed from the front of `out`.
  void Dropped(size_t n) { base_ += n; }

 private:
  struct Held {
    uint64_t end;  // stream offset where this part ends
    uint64_t pos;  // log position it needs
  };
  std::deque<Held> holds_;  // in stream order; positions ascend
  uint64_t base_ = 0;       // stream offset of out[0]
  uint64_t allowed_ = 0;    // stream offset up to which output may be sent
};

// A client connection served by the end-of-turn step (RESP and memcached connections).
class TurnClient {
 public:
  // End-of-turn step: send the output, or hold it. `pos` is the log position the output so far
  // may depend on; `durable`, whether the log is durable that far for the fsync policy. Every
  // byte of the output was produced before the step began, so `pos` covers every record it may
  // depend on.
  void FlushAtTurnEnd(uint64_t pos, bool durable);
  // The log is durable up to `synced`: send what that allows; call HoldForLog again if some
  // output still waits.
  void ReleaseHeld(uint64_t synced);

  // FlushAtTurnEnd in three steps, for a batch of sends. The first returns the index of the send
  // it queued on `batch`, kNothingQueued when nothing may go now, or kSkipped when the client is
  // left alone this turn (closed, or a command of it still running).
  static constexpr long kNothingQueued = -1, kSkipped = -2;
  long QueueTurnFlush(uint64_t pos, bool durable, io::SendBatch& batch);
  // Once the batch is submitted: the result of the send queued, bookkeeping only.
  SendResult TakeTurnSend(ssize_t result);
  // Then what follows (with `r` from TakeTurnSend when a send was queued).
  void FinishTurnFlush(bool queued, SendResult r);

  // Sends the output now if the end-of-turn step would only have sent it (SendBatchedNow);
  // returns whether it did.
  bool SendIfOnlyBatched();

  bool in_turn_list = false;  // in this reactor's end-of-turn list
  bool in_held_list = false;  // in this reactor's held list

 protected:
  ~TurnClient() = default;
  // The connection's part. Whether it is closed (nothing more is sent).
  virtual bool TurnClosed() const = 0;
  // Whether its output must not go out at this turn's end (a command of it still running).
  virtual bool TurnFlushWaits() const { return false; }
  // Its output: the socket, the buffer, and how much of the buffer is sent already.
  struct TurnOutput {
    int fd;
    std::string* out;
    size_t* sent;
  };
  virtual TurnOutput Output() = 0;
  // What follows a send (closing after the reply, output-buffer limits).
  virtual void AfterSend(SendResult r) = 0;
  // Sends everything in the output (nothing in it waits for the log).
  void SendNow();
  // Sends what hold_ allows, then AfterSend.
  void SendAllowed();
  // The end-of-turn step's decision: lets go what may go (everything when the log is durable
  // at `pos` and nothing is held, else what the log allows), or returns false when the client is
  // left alone this turn.
  bool AllowForTurnEnd(uint64_t pos, bool durable);

  OutputHold hold_;  // output waiting for the append-only file's fsync
};

// Reactor thread: the end-of-turn step will run once this turn's messages have run.
void ScheduleTurnEnd();
// Reactor thread (the client's own): flush `c` in this turn's end-of-turn step.
void FlushAtTurnEnd(TurnClient* c);
// Reactor thread: run `fn` in this turn's end-of-turn step, right after the log write.
void RunAfterLogWrite(std::function<void()> fn);
// Reactor thread: `c` has output waiting for the log to be durable up to `pos`.
void HoldForLog(TurnClient* c, uint64_t pos);
// Reactor thread: `c` is being destroyed.
void ForgetTurnClient(TurnClient* c);
// Reactor thread, while a long script holds its turn: sends now the output of the listed clients
// that waits only to share the end-of-turn batch (nothing of it waits for the log), as Redis
// writes replies while a script is busy.
void SendBatchedNow();

}  // namespace strata::kv
