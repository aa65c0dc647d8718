// CPU time figures from the kernel, for decisions that depend on how busy the machine is.
#pragma once

#include <cstdint>

namespace strata {

// Machine-wide idle and total CPU time so far, in clock ticks summed over every CPU (the first
// line of /proc/stat; idle includes iowait). Returns false if it cannot be read.
bool ReadSystemCpuTicks(uint64_t* idle, uint64_t* total);
// Clock ticks per second of those figures.
int64_t CpuTicksPerSecond();

}  // namespace strata
