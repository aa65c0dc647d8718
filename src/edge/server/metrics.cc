#include "edge/server/metrics.h"

namespace strata::edge {

std::string RenderPrometheus(const std::vector<const Metrics*>& workers) {
  std::string out;
  auto sum = [&](auto field) {
    uint64_t s = 0;
    for (const Metrics* m : workers) s += (m->*field).load(std::memory_order_relaxed);
    return s;
  };
#define STRATA_RENDER(name, help)                         \
  out += "# HELP strata_edge_" #name "_total " help "\n"; \
  out += "# TYPE strata_edge_" #name "_total counter\n";  \
  out += "strata_edge_" #name "_total " + std::to_string(sum(&Metrics::name)) + "\n";
  STRATA_EDGE_COUNTERS(STRATA_RENDER)
#undef STRATA_RENDER
  out += "# HELP strata_edge_evictions_total objects evicted to stay within the memory budget\n";
  out += "# TYPE strata_edge_evictions_total counter\n";
  out += "strata_edge_evictions_total " + std::to_string(sum(&Metrics::evictions)) + "\n";
  out += "# HELP strata_edge_objects objects stored\n# TYPE strata_edge_objects gauge\n";
  out += "strata_edge_objects " + std::to_string(sum(&Metrics::objects)) + "\n";
  out += "# HELP strata_edge_stored_bytes bytes stored\n# TYPE strata_edge_stored_bytes gauge\n";
  out += "strata_edge_stored_bytes " + std::to_string(sum(&Metrics::stored_bytes)) + "\n";
  out += "# HELP strata_edge_workers worker threads\n# TYPE strata_edge_workers gauge\n";
  out += "strata_edge_workers " + std::to_string(workers.size()) + "\n";
  return out;
}

}  // namespace strata::edge
