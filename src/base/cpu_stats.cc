#include "base/cpu_stats.h"

#include <unistd.h>

#include <cstdio>

namespace strata {

bool ReadSystemCpuTicks(uint64_t* idle, uint64_t* total) {
  FILE* f = fopen("/proc/stat", "r");
  if (!f) return false;
  unsigned long long v[8] = {};
  int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                 &v[4], &v[5], &v[6], &v[7]);
  fclose(f);
  if (n < 4) return false;
  *idle = v[3] + v[4];  // idle + iowait
  *total = 0;
  for (auto x : v) *total += x;
  return true;
}

int64_t CpuTicksPerSecond() {
  static const int64_t ticks = [] {
    long t = sysconf(_SC_CLK_TCK);
    return t > 0 ? int64_t(t) : int64_t(100);
  }();
  return ticks;
}

}  // namespace strata
