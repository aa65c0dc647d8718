// Trace loading for the bench tools (policy-sim, trace-replay): one key per line (any string),
// optionally xz-compressed (by the .xz extension); blank lines, '#' comments and LIRS '*' markers
// are skipped. Keys are remapped to dense ids in order of first appearance.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace strata::bench {

struct Trace {
  std::string name;
  std::vector<uint32_t> keys;  // dense ids
  uint32_t unique = 0;
  // Object size of each key id (bytes); empty = every object weighs 1.
  std::vector<uint32_t> sizes;
  uint64_t unique_bytes = 0;  // sum of sizes over key ids
};

// Gives every key a synthetic size, log-uniform in [100 B, 1 MiB] and fixed by (key id, seed), for
// byte-weighted runs (the traces carry no sizes).
void AssignSyntheticSizes(Trace* trace, uint64_t seed);

// Returns false and sets *error on failure (unreadable file, corrupt xz, more than 2^32 keys).
bool LoadTrace(const std::string& path, Trace* out, std::string* error);

}  // namespace strata::bench
