#include "kv/server/thread_packing.h"

namespace strata::kv {

bool PackingDecider::Next(ThreadPacking mode, bool packed, double busy_cores, double idle_cores) {
  if (mode != ThreadPacking::kAuto) {
    above_ = below_ = 0;
    return mode == ThreadPacking::kAlways;
  }
  if (packed) {
    below_ = 0;
    bool spare = idle_cores < 0 || idle_cores >= t_.spare_cores;
    above_ = busy_cores > t_.spread_above && spare ? above_ + 1 : 0;
    if (above_ < t_.spread_after) return true;
    above_ = 0;
    return false;
  }
  above_ = 0;
  below_ = busy_cores < t_.pack_below ? below_ + 1 : 0;
  if (below_ < t_.pack_after) return false;
  below_ = 0;
  return true;
}

PackingStats& GlobalPackingStats() {
  static PackingStats s;
  return s;
}

}  // namespace strata::kv
