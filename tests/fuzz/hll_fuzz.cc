// Fuzzes the HyperLogLog loader and validator with arbitrary value bytes, as a client can store
// with SET: whatever IsHll accepts must count, merge, convert and take additions without reading
// or writing outside the string, and every result must stay a sketch IsHll accepts.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "kv/types/hyperloglog.h"

namespace hll = strata::kv::hll;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  // The first byte picks the sparse limit and whether the body is given a valid header.
  uint8_t mode = data[0];
  std::string v(reinterpret_cast<const char*>(data + 1), size - 1);
  if (mode & 1) {
    std::string h = hll::NewSparse().substr(0, hll::kHeaderSize);
    if (mode & 2) h[4] = char(hll::kEncDense);
    v = h + v;
    if (mode & 2) v.resize(hll::kDenseSize, '\0');
  }
  if (!hll::IsHll(v)) return 0;
  size_t sparse_max = (mode & 4) ? 32 : hll::kDefaultSparseMaxBytes;

  bool invalid = false;
  hll::Count(v, &invalid);
  if (hll::CacheValid(v)) (void)hll::CachedCardinality(v);
  std::vector<uint8_t> max(hll::kRegisters, 0);
  bool merged = hll::MergeInto(v, max.data());
  (void)hll::CountRaw(max.data());

  std::string dense = v;
  if (hll::SparseToDense(&dense) && dense.size() != hll::kDenseSize) __builtin_trap();

  std::string added = v;
  for (int i = 0; i < 16; i++) {
    int r = hll::Add(&added, std::string(1, char(i)) + v.substr(0, 8), sparse_max);
    if (r < -1 || r > 1) __builtin_trap();
    if (!hll::IsHll(added)) __builtin_trap();
    if (r < 0) break;
  }
  if (merged) {
    std::string dest = v;
    if (hll::StoreMerged(&dest, max.data(), mode & 8, sparse_max) && !hll::IsHll(dest))
      __builtin_trap();
  }
  return 0;
}
