// Keyspace notifications (notify-keyspace-events): every change to a key can be published on
// `__keyspace@<db>__:<key>` (message: the event name) and `__keyevent@<db>__:<event>` (message:
// the key), as Redis does.
//
// A command family calls Notify() at the point Redis calls notifyKeyspaceEvent(), on the shard
// thread that owns the key, after the change is made. Notify() is one relaxed load and a branch
// when the event's class is off (the default), so the calls cost nothing on the hot path. When
// it is on, the two messages go through the pub/sub fan-out (messaging/pubsub.h), so each
// subscriber sees one shard's events in the order they happened.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace strata::kv::notify {

// The event classes, with Redis's letters and bit values.
enum Class : uint32_t {
  kKeyspace = 1u << 0,  // K
  kKeyevent = 1u << 1,  // E
  kGeneric = 1u << 2,   // g: DEL, EXPIRE, RENAME, ...
  kString = 1u << 3,    // $
  kList = 1u << 4,      // l
  kSet = 1u << 5,       // s
  kHash = 1u << 6,      // h
  kZset = 1u << 7,      // z
  kExpired = 1u << 8,   // x
  kEvicted = 1u << 9,   // e
  kStream = 1u << 10,   // t
  kKeyMiss = 1u << 11,  // m (not in A)
  kLoaded = 1u << 12,   // module key loaded (no letter)
  kModule = 1u << 13,   // d
  kNew = 1u << 14,      // n (not in A)
  // A: g$lshzxetd
  kAll =
      kGeneric | kString | kList | kSet | kHash | kZset | kExpired | kEvicted | kStream | kModule,
};

// The enabled classes (the parsed notify-keyspace-events).
inline std::atomic<uint32_t> g_flags{0};

inline bool Enabled(uint32_t cls) {
  uint32_t f = g_flags.load(std::memory_order_relaxed);
  return (f & cls) && (f & (kKeyspace | kKeyevent));
}

// Parses a notify-keyspace-events string ("KEA", "Ex", ""). Returns false on an unknown letter.
bool ParseFlags(std::string_view s, uint32_t* out);
// The canonical string for flags, as CONFIG GET shows it (Redis's keyspaceEventsFlagsToString).
std::string FormatFlags(uint32_t flags);

// Publishes the event if its class is enabled. Call on the key's shard thread.
void Publish(uint32_t cls, std::string_view event, std::string_view key, int db);

inline void Notify(uint32_t cls, std::string_view event, std::string_view key, int db) {
  if (Enabled(cls)) [[unlikely]]
    Publish(cls, event, key, db);
}

// Tests: while set, every message goes to fn(channel, message), on the publishing thread, instead
// of the pub/sub fan-out. An empty fn restores the fan-out.
void SetSinkForTest(std::function<void(std::string_view channel, std::string_view message)> fn);

// A message held back by a Capture.
struct Note {
  uint32_t cls;
  std::string channel;
  std::string message;
  std::string key;  // the key it is about (its shard publishes it)
};

// While a Capture lives, the messages published on its thread are held in `notes` (keep) or
// dropped, not published: a script run that may still be undone publishes its events only once
// it commits (PublishNotes), and the undo itself publishes none.
class Capture {
 public:
  explicit Capture(bool keep_notes);
  ~Capture();
  Capture(const Capture&) = delete;
  Capture& operator=(const Capture&) = delete;

  // The Capture active on this thread, or nullptr.
  static Capture* Current();

  // Makes `c` (another thread's Capture, or nullptr for none) the active one on this thread while
  // it lives: work run on behalf of a thread that waits for it (ShardSet::SyncRun).
  class Adopt {
   public:
    explicit Adopt(Capture* c);
    ~Adopt();
    Adopt(const Adopt&) = delete;
    Adopt& operator=(const Adopt&) = delete;

   private:
    Capture* prev_;
  };

  const bool keep;
  std::vector<Note> notes;

 private:
  Capture* prev_;
};

// Publishes held messages, in order (on the thread of the shard that owns their keys).
void PublishNotes(const std::vector<Note>& notes);

}  // namespace strata::kv::notify
