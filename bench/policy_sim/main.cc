// policy-sim: replays cache traces (one key per line, optionally .xz) through Strata's eviction
// policies at cache sizes given as fractions of each trace's unique keys, and prints hit ratios
// with Belady's OPT as the ceiling, plus a summary against LRU.
//
//   policy-sim [--policies a,b,...|all] [--sizes 0.001,0.01,0.1] [--jobs N] [--seed S]
//              [--samples N] [--ms-per-request N] [--requests-per-ms N] [--lfu-log-factor F]
//              [--lfu-decay-time M]
//              [--object-sizes] [--byte-hit-ratio] [--csv FILE] TRACE...
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "runners.h"
#include "trace.h"

namespace {

using strata::bench::SimOptions;
using strata::bench::Trace;

void Usage() {
  std::fprintf(stderr,
               "usage: policy-sim [options] TRACE...\n"
               "  --policies LIST     comma list or 'all' (default: the main policies)\n"
               "  --sizes LIST        cache sizes as fractions of unique keys (default "
               "0.001,0.01,0.1)\n"
               "  --jobs N            worker threads (default 2)\n"
               "  --seed N            seed for random choices (default 1)\n"
               "  --samples N         maxmemory-samples of the sampled policies (default 5)\n"
               "  --ms-per-request N  simulated clock step (default 1: 1000 requests/s)\n"
               "  --requests-per-ms N requests per simulated millisecond (default 1)\n"
               "  --lfu-log-factor F  (default 10)    --lfu-decay-time MIN (default 1)\n"
               "  --object-sizes      give keys synthetic sizes (log-uniform 100 B..1 MiB); sizes\n"
               "                      are then fractions of the unique keys' bytes (no OPT)\n"
               "  --byte-hit-ratio    with --object-sizes: report byte hit ratios\n"
               "  --csv FILE          also write trace,policy,size,capacity,hits,requests\n"
               "policies:");
  for (const auto& p : strata::bench::AllPolicyNames()) std::fprintf(stderr, " %s", p.c_str());
  std::fprintf(stderr, "\n");
}

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t end = s.find(',', pos);
    if (end == std::string::npos) end = s.size();
    if (end > pos) out.push_back(s.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

bool ParseNumber(const std::string& s, double* out) {
  char* end = nullptr;
  *out = std::strtod(s.c_str(), &end);
  return !s.empty() && end == s.c_str() + s.size() && std::isfinite(*out);
}

struct Task {
  size_t trace;
  size_t policy;
  size_t size;
  uint64_t capacity;
  std::optional<uint64_t> hits;
  double seconds = 0;
};

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> policies = strata::bench::DefaultPolicyNames();
  std::vector<double> sizes = {0.001, 0.01, 0.1};
  std::vector<std::string> paths;
  SimOptions options;
  int jobs = 2;
  std::string csv_path;
  bool object_sizes = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](double* out) {
      if (i + 1 >= argc || !ParseNumber(argv[i + 1], out)) {
        std::fprintf(stderr, "policy-sim: %s needs a number\n", a.c_str());
        std::exit(2);
      }
      ++i;
    };
    double v;
    if (a == "--policies" && i + 1 < argc) {
      std::string list = argv[++i];
      policies = list == "all" ? strata::bench::AllPolicyNames() : Split(list);
    } else if (a == "--sizes" && i + 1 < argc) {
      sizes.clear();
      for (const auto& s : Split(argv[++i])) {
        if (!ParseNumber(s, &v) || v <= 0 || v > 1) {
          std::fprintf(stderr, "policy-sim: bad size '%s' (a fraction in (0, 1])\n", s.c_str());
          return 2;
        }
        sizes.push_back(v);
      }
    } else if (a == "--jobs") {
      value(&v);
      jobs = std::clamp(static_cast<int>(v), 1, 64);
    } else if (a == "--seed") {
      value(&v);
      options.seed = static_cast<uint64_t>(v);
    } else if (a == "--samples") {
      value(&v);
      options.samples = std::clamp(static_cast<uint32_t>(v), 1u, 64u);
    } else if (a == "--ms-per-request") {
      value(&v);
      options.ms_per_request = static_cast<uint64_t>(std::max(v, 0.0));
    } else if (a == "--requests-per-ms") {
      value(&v);
      options.requests_per_ms = std::max<uint64_t>(1, static_cast<uint64_t>(v));
    } else if (a == "--lfu-log-factor") {
      value(&v);
      options.lfu_log_factor = std::max(v, 0.0);
    } else if (a == "--lfu-decay-time") {
      value(&v);
      options.lfu_decay_time = static_cast<uint32_t>(std::max(v, 0.0));
    } else if (a == "--frequency-exponent") {
      value(&v);
      options.frequency_exponent = std::max(v, 0.0);
    } else if (a == "--object-sizes") {
      object_sizes = true;
    } else if (a == "--byte-hit-ratio") {
      object_sizes = true;
      options.byte_hits = true;
    } else if (a == "--csv" && i + 1 < argc) {
      csv_path = argv[++i];
    } else if (a == "-h" || a == "--help") {
      Usage();
      return 0;
    } else if (!a.empty() && a[0] == '-') {
      std::fprintf(stderr, "policy-sim: unknown option %s\n", a.c_str());
      Usage();
      return 2;
    } else {
      paths.push_back(a);
    }
  }
  if (paths.empty() || policies.empty()) {
    Usage();
    return 2;
  }
  for (const auto& p : policies) {
    if (!strata::bench::IsKnownPolicy(p)) {
      std::fprintf(stderr, "policy-sim: unknown policy '%s'\n", p.c_str());
      Usage();
      return 2;
    }
  }

  auto t0 = std::chrono::steady_clock::now();
  std::vector<Trace> traces(paths.size());
  std::vector<std::vector<uint32_t>> next_use(paths.size());
  bool need_opt = std::find(policies.begin(), policies.end(), "opt") != policies.end();
  for (size_t i = 0; i < paths.size(); ++i) {
    std::string error;
    if (!strata::bench::LoadTrace(paths[i], &traces[i], &error)) {
      std::fprintf(stderr, "policy-sim: %s\n", error.c_str());
      return 1;
    }
    if (traces[i].keys.empty()) {
      std::fprintf(stderr, "policy-sim: %s has no requests\n", paths[i].c_str());
      return 1;
    }
    if (object_sizes) strata::bench::AssignSyntheticSizes(&traces[i], options.seed);
    if (need_opt && !object_sizes) next_use[i] = strata::bench::NextUse(traces[i]);
  }

  std::vector<Task> tasks;
  std::vector<std::vector<uint64_t>> caps(traces.size());
  for (size_t t = 0; t < traces.size(); ++t) {
    for (size_t s = 0; s < sizes.size(); ++s) {
      double units = object_sizes ? static_cast<double>(traces[t].unique_bytes) : traces[t].unique;
      // Round half to even, as the reference simulator does.
      uint64_t cap = std::max<uint64_t>(2, static_cast<uint64_t>(std::nearbyint(sizes[s] * units)));
      caps[t].push_back(cap);
      for (size_t p = 0; p < policies.size(); ++p) tasks.push_back(Task{t, p, s, cap});
    }
  }
  // Longest traces first so the workers finish together.
  std::vector<size_t> order(tasks.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return traces[tasks[a].trace].keys.size() > traces[tasks[b].trace].keys.size();
  });
  std::atomic<size_t> next{0};
  auto worker = [&]() {
    for (size_t i; (i = next.fetch_add(1)) < order.size();) {
      Task& task = tasks[order[i]];
      auto start = std::chrono::steady_clock::now();
      task.hits = strata::bench::Run(policies[task.policy], traces[task.trace], task.capacity,
                                     options, next_use[task.trace]);
      task.seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
  };
  std::vector<std::thread> threads;
  for (int j = 0; j < jobs; ++j) threads.emplace_back(worker);
  for (auto& th : threads) th.join();

  // hit ratio [trace][size][policy]; absent for runs without a result (OPT with sizes)
  std::vector<double> total_weight(traces.size());
  for (size_t t = 0; t < traces.size(); ++t) {
    if (options.byte_hits) {
      for (uint32_t k : traces[t].keys) total_weight[t] += traces[t].sizes[k];
    } else {
      total_weight[t] = static_cast<double>(traces[t].keys.size());
    }
  }
  std::map<std::tuple<size_t, size_t, size_t>, double> hr;
  for (const Task& task : tasks) {
    if (task.hits)
      hr[{task.trace, task.size, task.policy}] =
          static_cast<double>(*task.hits) / total_weight[task.trace];
  }
  auto cell = [&](size_t t, size_t s, size_t p) -> std::optional<double> {
    auto it = hr.find({t, s, p});
    if (it == hr.end()) return std::nullopt;
    return it->second;
  };

  for (size_t t = 0; t < traces.size(); ++t) {
    const Trace& tr = traces[t];
    std::printf("\n### %s (%zu requests, %u unique keys", tr.name.c_str(), tr.keys.size(),
                tr.unique);
    if (object_sizes) {
      std::printf(", %.1f MiB unique; %s hit ratios)\n\n",
                  static_cast<double>(tr.unique_bytes) / 1048576.0,
                  options.byte_hits ? "byte" : "object");
    } else {
      std::printf("; max hit ratio %.2f%%)\n\n",
                  100.0 * static_cast<double>(tr.keys.size() - tr.unique) /
                      static_cast<double>(tr.keys.size()));
    }
    std::printf("| policy |");
    for (size_t s = 0; s < sizes.size(); ++s)
      std::printf(" %g%% (%lu) |", sizes[s] * 100, caps[t][s]);
    std::printf("\n|---|");
    for (size_t s = 0; s < sizes.size(); ++s) std::printf("---:|");
    std::printf("\n");
    for (size_t p = 0; p < policies.size(); ++p) {
      std::printf("| %s |", policies[p].c_str());
      for (size_t s = 0; s < sizes.size(); ++s) {
        auto h = cell(t, s, p);
        if (h) {
          std::printf(" %.2f |", 100 * *h);
        } else {
          std::printf(" - |");
        }
      }
      std::printf("\n");
    }
  }

  // Summary against LRU: mean miss-ratio reduction, worst hit-ratio difference (points).
  auto lru = std::find(policies.begin(), policies.end(), "lru");
  if (lru != policies.end()) {
    size_t lp = static_cast<size_t>(lru - policies.begin());
    std::printf(
        "\n### Summary vs LRU (mean over traces: miss-ratio reduction; worst: hit-ratio "
        "points vs LRU)\n\n| policy |");
    for (double s : sizes) std::printf(" %g%% mean | %g%% worst |", s * 100, s * 100);
    std::printf("\n|---|");
    for (size_t s = 0; s < sizes.size(); ++s) std::printf("---:|---:|");
    std::printf("\n");
    for (size_t p = 0; p < policies.size(); ++p) {
      std::printf("| %s |", policies[p].c_str());
      for (size_t s = 0; s < sizes.size(); ++s) {
        double sum = 0, worst = 1e9;
        size_t n = 0;
        for (size_t t = 0; t < traces.size(); ++t) {
          auto h = cell(t, s, p), l = cell(t, s, lp);
          if (!h || !l) continue;
          sum += *l < 1 ? 100 * ((1 - *l) - (1 - *h)) / (1 - *l) : 0;
          worst = std::min(worst, 100 * (*h - *l));
          ++n;
        }
        if (n == 0) {
          std::printf(" - | - |");
        } else {
          std::printf(" %+.1f%% | %+.2f |", sum / static_cast<double>(n), worst);
        }
      }
      std::printf("\n");
    }
  }
  double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::fprintf(stderr, "# %zu runs in %.1f s with %d threads\n", tasks.size(), total, jobs);

  if (!csv_path.empty()) {
    FILE* f = std::fopen(csv_path.c_str(), "w");
    if (f == nullptr) {
      std::fprintf(stderr, "policy-sim: cannot write %s\n", csv_path.c_str());
      return 1;
    }
    std::fprintf(f, "trace,policy,size,capacity,hits,requests,seconds\n");
    for (const Task& task : tasks) {
      if (!task.hits) continue;
      std::fprintf(f, "%s,%s,%g,%lu,%lu,%zu,%.3f\n", traces[task.trace].name.c_str(),
                   policies[task.policy].c_str(), sizes[task.size], task.capacity, *task.hits,
                   traces[task.trace].keys.size(), task.seconds);
    }
    std::fclose(f);
  }
  return 0;
}
