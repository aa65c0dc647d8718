// LATENCY: the latency monitor's samples (kv/server/latency_monitor.h). LATEST, HISTORY, RESET and
// HELP answer as Redis 7.0; DOCTOR and GRAPH are human-readable reports in Redis's spirit.
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <string>

#include "base/clock.h"
#include "kv/commands/family_util.h"
#include "kv/commands/registry.h"
#include "kv/commands/subcommand.h"
#include "kv/server/config.h"
#include "kv/server/connection.h"
#include "kv/server/latency_monitor.h"

namespace strata::kv {
namespace {

std::string Format(const char* fmt, auto... args) {
  char buf[512];
  snprintf(buf, sizeof(buf), fmt, args...);
  return buf;
}

// "12s", "3m", "2h", "1d": how long ago `time_s` was.
std::string Ago(int64_t time_s) {
  int64_t e = UnixMillis() / 1000 - time_s;
  if (e < 60) return std::to_string(e) + "s";
  if (e < 3600) return std::to_string(e / 60) + "m";
  if (e < 86400) return std::to_string(e / 3600) + "h";
  return std::to_string(e / 86400) + "d";
}

std::string DoctorReport() {
  int64_t threshold = GlobalConfig().latency_monitor_threshold.load(std::memory_order_relaxed);
  auto events = LatencyMonitor::Get().Snapshot();
  if (threshold <= 0 && events.empty()) {
    return "Latency monitoring is disabled in this strata-server instance. Set a threshold with "
           "\"CONFIG SET latency-monitor-threshold <milliseconds>\" to enable it; events slower "
           "than the threshold are then recorded and analysed here.\n";
  }
  if (events.empty()) {
    return Format("No latency spike at or above the threshold (%" PRId64
                  " ms) was observed since monitoring started. Nothing to worry about.\n",
                  threshold);
  }
  std::string r = "Latency report for this strata-server instance.\n\n";
  int n = 0;
  bool commands = false;
  for (const auto& [name, ts] : events) {
    auto h = ts.History();
    if (h.empty()) continue;
    int64_t sum = 0;
    for (const auto& s : h) sum += s.ms;
    double avg = double(sum) / double(h.size());
    double dev = 0;
    for (const auto& s : h) dev += s.ms > avg ? s.ms - avg : avg - s.ms;
    dev /= double(h.size());
    int64_t period =
        h.size() > 1 ? (h.back().time_s - h.front().time_s) / int64_t(h.size() - 1) : 0;
    r += Format("%d. %s: %zu latency spikes (average %.0fms, mean deviation %.0fms, period %" PRId64
                " sec). Worst all time event %" PRId64 "ms.\n",
                ++n, name.c_str(), h.size(), avg, dev, period, ts.max_ms);
    commands |= name == "command" || name == "fast-command";
  }
  r += "\nAdvice:\n";
  if (commands) {
    r += "- Slow commands were recorded. Check SLOWLOG GET for them: commands of O(N) or worse on "
         "large values (KEYS, SORT, SMEMBERS, LRANGE of big lists, ...) block the shard thread "
         "that runs them and delay every client of that shard.\n";
    r += "- \"fast-command\" spikes mean O(1) or O(log N) commands were slow: the process was "
         "probably not given the CPU (a busy or oversubscribed host, swapping, a noisy "
         "neighbour).\n";
  }
  r += Format("- The threshold is %" PRId64
              " ms. Raise it with CONFIG SET latency-monitor-threshold if these spikes are "
              "expected, and LATENCY RESET to start afresh.\n",
              threshold);
  return r;
}

std::string Graph(const std::string& name, const LatencySeries& ts) {
  auto h = ts.History();
  int64_t lo = 0, hi = 0;
  for (size_t i = 0; i < h.size(); i++) {
    if (i == 0 || h[i].ms < lo) lo = h[i].ms;
    if (i == 0 || h[i].ms > hi) hi = h[i].ms;
  }
  std::string g =
      Format("%s - high %" PRId64 " ms, low %" PRId64 " ms (all time high %" PRId64 " ms)\n",
             name.c_str(), hi, lo, ts.max_ms);
  g += std::string(80, '-') + "\n";
  // One line per sample: how long ago, its latency, and a bar scaled to the highest.
  for (const auto& s : h) {
    int width = hi > 0 ? int(s.ms * 60 / hi) : 0;
    g += Format("%5s %6" PRId64 " ms |", Ago(s.time_s).c_str(), s.ms) +
         std::string(size_t(std::max(width, 1)), '#') + "\n";
  }
  return g;
}

void CmdLatency(CmdContext& ctx) {
  const SubcommandSpec* sub = ResolveSubcommand(ctx);
  if (!sub) return;
  std::string_view name = sub->name;
  if (ctx.conn) ctx.conn->state().last_subcmd = std::string("latency|") + sub->name;
  if (name == "latest") {
    auto events = LatencyMonitor::Get().Snapshot();
    ctx.rb->ArrayHeader(events.size());
    for (const auto& [event, ts] : events) {
      const LatencySample& last = ts.Latest();
      ctx.rb->ArrayHeader(4);
      ctx.rb->Bulk(event);
      ctx.rb->Integer(last.time_s);
      ctx.rb->Integer(last.ms);
      ctx.rb->Integer(ts.max_ms);
    }
  } else if (name == "history") {
    auto events = LatencyMonitor::Get().Snapshot();
    auto it = events.find(std::string(ctx.args[2]));
    if (it == events.end()) {
      ctx.rb->ArrayHeader(0);
      return;
    }
    auto h = it->second.History();
    ctx.rb->ArrayHeader(h.size());
    for (const auto& s : h) {
      ctx.rb->ArrayHeader(2);
      ctx.rb->Integer(s.time_s);
      ctx.rb->Integer(s.ms);
    }
  } else if (name == "reset") {
    std::vector<std::string> names(ctx.args.begin() + 2, ctx.args.end());
    ctx.rb->Integer(LatencyMonitor::Get().Reset(names));
  } else if (name == "doctor") {
    ctx.rb->Verbatim(DoctorReport());
  } else if (name == "graph") {
    auto events = LatencyMonitor::Get().Snapshot();
    auto it = events.find(std::string(ctx.args[2]));
    if (it == events.end()) {
      ctx.rb->Error("ERR No samples available for event '" + std::string(ctx.args[2]) + "'");
      return;
    }
    ctx.rb->Verbatim(Graph(it->first, it->second));
  } else if (name == "help") {
    ReplyHelp(ctx, "LATENCY",
              {"DOCTOR", "    Return a human readable latency analysis report.", "GRAPH <event>",
               "    Return an ASCII latency graph for the <event> class.", "HISTORY <event>",
               "    Return time-latency samples for the <event> class.", "LATEST",
               "    Return the latest latency samples for all events.", "RESET [<event> ...]",
               "    Reset latency data of one or more <event> classes.",
               "    (default: reset all data for all event classes)"});
  }
}

}  // namespace

void RegisterLatencyFamily(CommandRegistry& r) {
  using namespace cmd;
  const uint32_t kAdm = kAdmin | kNoScript | kLoading | kStale;
  r.Add({"latency", -2, 0, 0, 0, 0, CmdLatency, nullptr, "server",
         "A container for latency diagnostics commands.", "2.8.13", "Depends on subcommand."});
  RegisterSubcommands(
      "latency",
      {
          {"doctor", 2, kAdm, "Return a human readable latency analysis report.", "2.8.13"},
          {"graph", 3, kAdm, "Return a latency graph for the event.", "2.8.13"},
          {"history", 3, kAdm, "Return timestamp-latency samples for the event.", "2.8.13"},
          {"latest", 2, kAdm, "Return the latest latency samples for all events.", "2.8.13"},
          {"reset", -2, kAdm, "Reset latency data for one or more events.", "2.8.13"},
          {"help", 2, kLoading | kStale, "Show helpful text about the different subcommands.",
           "2.8.13"},
      });
}

}  // namespace strata::kv
