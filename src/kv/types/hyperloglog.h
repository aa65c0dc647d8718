// HyperLogLog in Redis's string format, byte for byte, so a sketch written by redis-server counts
// the same here and the reverse.
//
//   offset 0   "HYLL"
//   offset 4   encoding: 0 dense, 1 sparse
//   offset 5   3 bytes, zero
//   offset 8   cached cardinality, 64-bit little endian; its top bit set = stale
//   offset 16  registers: 16384 6-bit counters
//
// Dense: the counters packed least significant bit first (12288 bytes, 12304 in all).
// Sparse: run-length opcodes covering the 16384 registers in order:
//   00xxxxxx           ZERO   xxxxxx+1 (1..64) registers at 0
//   01xxxxxx yyyyyyyy  XZERO  the 14-bit number xxxxxxyyyyyyyy + 1 (1..16384) registers at 0
//   1vvvvvxx           VAL    xx+1 (1..4) registers at value vvvvv+1 (1..32)
// New sketches start sparse; one becomes dense when a register exceeds 32 or the string would
// grow past hll-sparse-max-bytes. Elements are hashed with MurmurHash64A (seed 0xadc83b19): the
// low 14 bits pick the register, the run of zeros above them (+1) is the candidate value. The
// estimate is Ertl's improved estimator over the register histogram, with the same floating
// point steps as Redis so the counts agree exactly.
//
// Pure functions over the value bytes: no I/O, no keyspace. Every function tolerates corrupt
// input (strings that pass IsHll but whose sparse opcodes do not add up) without reading or
// writing outside the string, and reports it where Redis does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace strata::kv::hll {

inline constexpr int kP = 14;
inline constexpr int kRegisters = 1 << kP;  // 16384
inline constexpr int kQ = 64 - kP;          // hash bits left for the zero run
inline constexpr int kRegisterBits = 6;
inline constexpr size_t kHeaderSize = 16;
inline constexpr size_t kDenseRegisterBytes = (kRegisters * kRegisterBits + 7) / 8;  // 12288
inline constexpr size_t kDenseSize = kHeaderSize + kDenseRegisterBytes;              // 12304
inline constexpr uint8_t kEncDense = 0;
inline constexpr uint8_t kEncSparse = 1;
inline constexpr size_t kDefaultSparseMaxBytes = 3000;
inline constexpr uint64_t kHashSeed = 0xadc83b19ULL;
inline constexpr int kSparseMaxValue = 32;

// MurmurHash2, 64-bit variant, reading the input as little-endian words.
uint64_t MurmurHash64A(const void* data, size_t len, uint64_t seed);

// The register `ele` maps to (*index) and its zero-run length plus one (1..kQ+1).
uint8_t PatternLength(std::string_view ele, uint32_t* index);

// An empty sketch: sparse, one XZERO opcode, cached cardinality 0 (18 bytes).
std::string NewSparse();

// Redis's check that a string value is a HyperLogLog: long enough for the header, magic
// "HYLL", a known encoding, and exactly kDenseSize bytes when dense. (The sparse opcodes are
// only checked when they are walked.)
bool IsHll(std::string_view v);
inline bool IsDense(std::string_view v) { return uint8_t(v[4]) == kEncDense; }

// Cached cardinality (header bytes 8..15).
bool CacheValid(std::string_view v);
uint64_t CachedCardinality(std::string_view v);
void SetCachedCardinality(char* hll, uint64_t card);
void InvalidateCache(char* hll);

// Dense counters over the kDenseRegisterBytes register bytes.
uint8_t DenseGet(const uint8_t* regs, uint32_t index);
void DenseSet(uint8_t* regs, uint32_t index, uint8_t value);

// Raises register `index` of a dense sketch (in place, same length) to `count` if lower.
// Returns 1 if it changed, else 0. Does not touch the cached cardinality.
int DenseRaise(char* hll, uint32_t index, uint8_t count);

// Raises register `index` of a sketch (either encoding) to `count` if lower. A sparse string
// may change length or become dense. Returns 1 if the register changed, 0 if not, -1 if the
// sparse opcodes are corrupt (the string may then be partly updated, as in Redis). A changed
// sparse sketch has its cache invalidated; a dense one does not (the caller does it).
int Raise(std::string* hll, uint32_t index, uint8_t count, size_t sparse_max_bytes);

// Adds an element: Raise with the element's register and pattern length.
int Add(std::string* hll, std::string_view ele, size_t sparse_max_bytes);

// Converts a sparse sketch to dense (keeping the header's cached cardinality). A dense input is
// left as it is. False (and *hll unchanged) if the opcodes do not cover exactly kRegisters.
bool SparseToDense(std::string* hll);

// max[i] = max(max[i], register i) over kRegisters bytes. False if the sparse opcodes are
// corrupt (max is then partly updated).
bool MergeInto(std::string_view hll, uint8_t* max);

// Writes the registers of `max` (kRegisters bytes) into `dest`, raising each non-zero register
// as PFMERGE does: `dest` first becomes dense if `to_dense`. Invalidates the cache. False if
// `dest` is corrupt sparse.
bool StoreMerged(std::string* dest, const uint8_t* max, bool to_dense, size_t sparse_max_bytes);

// Cardinality estimate of a sketch (ignoring the cache). For sparse opcodes that do not cover
// exactly kRegisters registers, *invalid is set (the estimate is then meaningless).
uint64_t Count(std::string_view hll, bool* invalid);
// Same for kRegisters raw 8-bit registers.
uint64_t CountRaw(const uint8_t* regs);
// The estimator over a histogram of register values (64 buckets).
uint64_t Estimate(const int64_t* histo);

}  // namespace strata::kv::hll
