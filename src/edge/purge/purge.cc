#include "edge/purge/purge.h"

#include <atomic>
#include <memory>

#include "base/strutil.h"
#include "edge/fsm/context.h"

namespace strata::edge {

bool ValidTag(std::string_view tag) {
  if (tag.empty() || tag.size() > 256) return false;
  for (char c : tag) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == ',') return false;
  }
  return true;
}

bool CheckBearer(std::string_view auth, const std::vector<std::string>& tokens) {
  if (tokens.empty()) return false;
  if (auth.size() < 7 || !EqualsIgnoreCase(auth.substr(0, 7), "bearer ")) return false;
  std::string_view given = auth.substr(7);
  while (!given.empty() && given.front() == ' ') given.remove_prefix(1);
  bool ok = false;
  for (const auto& t : tokens) {
    if (t.size() != given.size()) continue;
    unsigned char diff = 0;
    for (size_t i = 0; i < t.size(); i++) diff |= static_cast<unsigned char>(t[i] ^ given[i]);
    ok |= diff == 0;
  }
  return ok;
}

size_t ApplyPurge(WorkerContext* w, const PurgeSpec& spec) {
  int64_t now = w->NowWallMs();
  size_t n = 0;
  switch (spec.kind) {
    case PurgeSpec::Kind::kUrl:
      n = w->store.PurgeKey(spec.value, spec.soft, now);
      w->inflight.ClearHitForPass(spec.value);
      break;
    case PurgeSpec::Kind::kTag:
      n = w->store.PurgeTag(spec.value, spec.soft, now);
      break;
    case PurgeSpec::Kind::kAll:
      n = w->store.PurgeAll(spec.soft, now);
      break;
  }
  w->metrics.Inc(w->metrics.purges, n);
  w->PublishStoreStats();
  return n;
}

void BroadcastPurge(const std::vector<WorkerContext*>& workers, PurgeSpec spec,
                    io::Reactor* reply_on, std::function<void(size_t)> done) {
  struct Gather {
    std::atomic<size_t> remaining;
    std::atomic<size_t> total{0};
    io::Reactor* reply_on;
    std::function<void(size_t)> done;
  };
  auto g = std::make_shared<Gather>();
  g->remaining = workers.size();
  g->reply_on = reply_on;
  g->done = std::move(done);
  if (workers.empty()) {
    reply_on->Post([g] { g->done(0); });
    return;
  }
  for (WorkerContext* w : workers) {
    w->reactor.Post([w, spec, g] {
      g->total += ApplyPurge(w, spec);
      if (--g->remaining == 0) g->reply_on->Post([g] { g->done(g->total.load()); });
    });
  }
}

bool PercentDecode(std::string_view in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); i++) {
    char c = in[i];
    if (c == '+') {
      out->push_back(' ');
    } else if (c == '%') {
      if (i + 2 >= in.size()) return false;
      auto hex = [](char h) -> int {
        if (h >= '0' && h <= '9') return h - '0';
        if (h >= 'a' && h <= 'f') return h - 'a' + 10;
        if (h >= 'A' && h <= 'F') return h - 'A' + 10;
        return -1;
      };
      int a = hex(in[i + 1]), b = hex(in[i + 2]);
      if (a < 0 || b < 0) return false;
      out->push_back(char(a * 16 + b));
      i += 2;
    } else {
      out->push_back(c);
    }
  }
  return true;
}

}  // namespace strata::edge
