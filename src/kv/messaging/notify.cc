#include "kv/messaging/notify.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "kv/messaging/pubsub.h"

namespace strata::kv::notify {
namespace {

using Sink = std::function<void(std::string_view channel, std::string_view message)>;

// The test sink: set rarely (between tests), read on every publication while set.
std::atomic<bool> g_has_sink{false};
std::mutex g_sink_mu;
std::shared_ptr<Sink> g_sink;

std::shared_ptr<Sink> CurrentSink() {
  if (!g_has_sink.load(std::memory_order_acquire)) return nullptr;
  std::lock_guard<std::mutex> l(g_sink_mu);
  return g_sink;
}

thread_local Capture* t_capture = nullptr;

void Deliver(uint32_t cls, std::string_view channel, std::string_view message,
             std::string_view key) {
  if (Capture* c = t_capture) {
    if (c->keep)
      c->notes.push_back({cls, std::string(channel), std::string(message), std::string(key)});
    return;
  }
  if (std::shared_ptr<Sink> sink = CurrentSink()) {
    (*sink)(channel, message);
    return;
  }
  pubsub::Publish(channel, message);
}

}  // namespace

bool ParseFlags(std::string_view s, uint32_t* out) {
  uint32_t flags = 0;
  for (char c : s) {
    if (c == '\0') break;  // Redis reads the value as a C string
    switch (c) {
      case 'A':
        flags |= kAll;
        break;
      case 'g':
        flags |= kGeneric;
        break;
      case '$':
        flags |= kString;
        break;
      case 'l':
        flags |= kList;
        break;
      case 's':
        flags |= kSet;
        break;
      case 'h':
        flags |= kHash;
        break;
      case 'z':
        flags |= kZset;
        break;
      case 'x':
        flags |= kExpired;
        break;
      case 'e':
        flags |= kEvicted;
        break;
      case 'K':
        flags |= kKeyspace;
        break;
      case 'E':
        flags |= kKeyevent;
        break;
      case 't':
        flags |= kStream;
        break;
      case 'm':
        flags |= kKeyMiss;
        break;
      case 'd':
        flags |= kModule;
        break;
      case 'n':
        flags |= kNew;
        break;
      default:
        return false;
    }
  }
  *out = flags;
  return true;
}

std::string FormatFlags(uint32_t flags) {
  std::string s;
  if ((flags & kAll) == kAll) {
    s += 'A';
  } else {
    static constexpr std::pair<uint32_t, char> kClasses[] = {
        {kGeneric, 'g'}, {kString, '$'}, {kList, 'l'},    {kSet, 's'},
        {kHash, 'h'},    {kZset, 'z'},   {kExpired, 'x'}, {kEvicted, 'e'},
        {kStream, 't'},  {kModule, 'd'}, {kNew, 'n'},
    };
    for (const auto& [bit, letter] : kClasses)
      if (flags & bit) s += letter;
  }
  if (flags & kKeyspace) s += 'K';
  if (flags & kKeyevent) s += 'E';
  if (flags & kKeyMiss) s += 'm';
  return s;
}

void Publish(uint32_t cls, std::string_view event, std::string_view key, int db) {
  uint32_t f = g_flags.load(std::memory_order_relaxed);
  if (!(f & cls)) return;
  std::string dbid = std::to_string(db);
  if (f & kKeyspace) {
    std::string channel;
    channel.reserve(11 + dbid.size() + 3 + key.size());
    channel.append("__keyspace@").append(dbid).append("__:").append(key);
    Deliver(cls, channel, event, key);
  }
  if (f & kKeyevent) {
    std::string channel;
    channel.reserve(11 + dbid.size() + 3 + event.size());
    channel.append("__keyevent@").append(dbid).append("__:").append(event);
    Deliver(cls, channel, key, key);
  }
}

void SetSinkForTest(Sink fn) {
  std::lock_guard<std::mutex> l(g_sink_mu);
  g_sink = fn ? std::make_shared<Sink>(std::move(fn)) : nullptr;
  g_has_sink.store(g_sink != nullptr, std::memory_order_release);
}

Capture::Capture(bool keep_notes) : keep(keep_notes), prev_(t_capture) { t_capture = this; }

Capture::~Capture() { t_capture = prev_; }

Capture* Capture::Current() { return t_capture; }

Capture::Adopt::Adopt(Capture* c) : prev_(t_capture) { t_capture = c; }

Capture::Adopt::~Adopt() { t_capture = prev_; }

void PublishNotes(const std::vector<Note>& notes) {
  for (const Note& n : notes) Deliver(n.cls, n.channel, n.message, n.key);
}

}  // namespace strata::kv::notify
