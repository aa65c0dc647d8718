#include "kv/types/hyperloglog.h"

#include <bit>
#include <cmath>
#include <cstring>

namespace strata::kv::hll {
namespace {

constexpr uint8_t kMagic[4] = {'H', 'Y', 'L', 'L'};
constexpr int kZeroMaxLen = 64;
constexpr int kXZeroMaxLen = 16384;
constexpr int kValMaxLen = 4;
// 0.5 / ln(2): the estimator's alpha as the number of registers tends to infinity.
constexpr double kAlphaInf = 0.721347520444481703680;

// ---- Sparse opcodes ----

enum class OpKind { kZero, kXZero, kVal };

struct SparseOp {
  OpKind kind;
  int len;    // registers covered
  int value;  // VAL only
  size_t bytes;
};

// Decodes the opcode at p. An XZERO cut short by the end of the string reads its second byte
// as 0, as Redis reads the NUL that terminates its strings.
SparseOp ReadOp(const uint8_t* p, const uint8_t* end) {
  uint8_t b = *p;
  if ((b & 0xc0) == 0) return {OpKind::kZero, (b & 0x3f) + 1, 0, 1};
  if ((b & 0xc0) == 0x40) {
    uint8_t lo = p + 1 < end ? p[1] : 0;
    return {OpKind::kXZero, (((b & 0x3f) << 8) | lo) + 1, 0, 2};
  }
  return {OpKind::kVal, (b & 0x3) + 1, ((b >> 2) & 0x1f) + 1, 1};
}

bool IsValByte(uint8_t b) { return b & 0x80; }
uint8_t ValByte(int value, int len) { return uint8_t(0x80 | ((value - 1) << 2) | (len - 1)); }

// Appends a run of `len` zero registers as ZERO or XZERO.
uint8_t* PutZeros(uint8_t* out, int len) {
  if (len > kZeroMaxLen) {
    out[0] = uint8_t(0x40 | ((len - 1) >> 8));
    out[1] = uint8_t((len - 1) & 0xff);
    return out + 2;
  }
  out[0] = uint8_t(len - 1);
  return out + 1;
}

uint8_t* Registers(std::string* s) { return reinterpret_cast<uint8_t*>(s->data()) + kHeaderSize; }
const uint8_t* Registers(std::string_view s) {
  return reinterpret_cast<const uint8_t*>(s.data()) + kHeaderSize;
}

// Joins adjacent VAL opcodes of equal value where the run fits one opcode, looking at no more
// than five opcodes from `from`. Returns the new opcode byte count.
size_t MergeAdjacentVals(uint8_t* ops, size_t n, size_t from) {
  size_t q = from;
  for (int steps = 5; q < n && steps > 0; steps--) {
    uint8_t b = ops[q];
    if ((b & 0xc0) == 0x40) {
      q += 2;
      continue;
    }
    if ((b & 0xc0) == 0) {
      q++;
      continue;
    }
    if (q + 1 < n && IsValByte(ops[q + 1])) {
      SparseOp a = ReadOp(ops + q, ops + n), c = ReadOp(ops + q + 1, ops + n);
      if (a.value == c.value && a.len + c.len <= kValMaxLen) {
        ops[q + 1] = ValByte(a.value, a.len + c.len);
        memmove(ops + q, ops + q + 1, n - q - 1);
        n--;
        continue;  // the merged opcode may merge again with the next one
      }
    }
    q++;
  }
  return n;
}

int SparseRaise(std::string* s, uint32_t index, uint8_t count, size_t sparse_max_bytes) {
  if (count > kSparseMaxValue) return -2;  // needs dense
  const size_t n = s->size() - kHeaderSize;
  const uint8_t* ops = Registers(s);
  const uint8_t* end = ops + n;

  // Find the opcode covering `index`.
  size_t pos = 0, prev = SIZE_MAX;
  int64_t first = 0, span = 0;
  while (pos < n) {
    SparseOp op = ReadOp(ops + pos, end);
    span = op.len;
    if (int64_t(index) <= first + span - 1) break;
    prev = pos;
    pos += op.bytes;
    first += span;
  }
  if (span == 0 || pos >= n) return -1;
  SparseOp cur = ReadOp(ops + pos, end);

  if (cur.kind == OpKind::kVal && cur.value >= count) return 0;
  if ((cur.kind == OpKind::kVal || cur.kind == OpKind::kZero) && cur.len == 1) {
    Registers(s)[pos] = ValByte(count, 1);
  } else {
    // Split the opcode into (run before) VAL(count) (run after).
    uint8_t seq[5], *w = seq;
    int64_t last = first + span - 1;
    int before = int(index - first), after = int(last - index);
    if (cur.kind == OpKind::kVal) {
      if (before) *w++ = ValByte(cur.value, before);
      *w++ = ValByte(count, 1);
      if (after) *w++ = ValByte(cur.value, after);
    } else {
      if (before) w = PutZeros(w, before);
      *w++ = ValByte(count, 1);
      if (after) w = PutZeros(w, after);
    }
    size_t seqlen = size_t(w - seq);
    int64_t delta = int64_t(seqlen) - int64_t(cur.kind == OpKind::kXZero ? 2 : 1);
    if (delta > 0 && s->size() + size_t(delta) > sparse_max_bytes) return -2;
    size_t next = pos + cur.bytes;
    std::string out;
    out.reserve(s->size() + seqlen);
    out.append(*s, 0, kHeaderSize + pos);
    out.append(reinterpret_cast<const char*>(seq), seqlen);
    if (next < n) out.append(*s, kHeaderSize + next, n - next);
    // An XZERO cut short by the end of the string counted two bytes where one was present: the
    // new length follows the two-byte count, so the last written byte falls off.
    out.resize(size_t(int64_t(s->size()) + delta));
    *s = std::move(out);
  }
  size_t new_n =
      MergeAdjacentVals(Registers(s), s->size() - kHeaderSize, prev == SIZE_MAX ? 0 : prev);
  s->resize(kHeaderSize + new_n);
  InvalidateCache(s->data());
  return 1;
}

void SparseHistogram(const uint8_t* ops, size_t n, int64_t* histo, bool* invalid) {
  const uint8_t* end = ops + n;
  int64_t idx = 0;
  for (const uint8_t* p = ops; p < end;) {
    SparseOp op = ReadOp(p, end);
    if (idx + op.len > kRegisters) {
      idx = -1;  // runs past the last register
      break;
    }
    idx += op.len;
    histo[op.value] += op.len;  // value 0 for ZERO/XZERO
    p += op.bytes;
  }
  if (idx != kRegisters && invalid) *invalid = true;
}

void DenseHistogram(const uint8_t* regs, int64_t* histo) {
  // Four registers in every three bytes.
  for (size_t i = 0; i < kDenseRegisterBytes; i += 3) {
    uint32_t w = uint32_t(regs[i]) | uint32_t(regs[i + 1]) << 8 | uint32_t(regs[i + 2]) << 16;
    histo[w & 63]++;
    histo[(w >> 6) & 63]++;
    histo[(w >> 12) & 63]++;
    histo[(w >> 18) & 63]++;
  }
}

// Ertl's sigma and tau ("New cardinality estimation algorithms for HyperLogLog sketches").
double Sigma(double x) {
  if (x == 1.) return INFINITY;
  double y = 1, z = x, prev;
  do {
    x *= x;
    prev = z;
    z += x * y;
    y += y;
  } while (prev != z);
  return z;
}

double Tau(double x) {
  if (x == 0. || x == 1.) return 0.;
  double y = 1.0, z = 1 - x, prev;
  do {
    x = sqrt(x);
    prev = z;
    y *= 0.5;
    z -= pow(1 - x, 2) * y;
  } while (prev != z);
  return z / 3;
}

}  // namespace

uint64_t MurmurHash64A(const void* data, size_t len, uint64_t seed) {
  constexpr uint64_t m = 0xc6a4a7935bd1e995ULL;
  constexpr int r = 47;
  const uint8_t* p = static_cast<const uint8_t*>(data);
  // The length enters the seed as a 32-bit int would (elements are far below 2 GB).
  uint64_t h = seed ^ (uint64_t(int64_t(int32_t(uint32_t(len)))) * m);
  size_t words = len / 8;
  for (size_t i = 0; i < words; i++, p += 8) {
    uint64_t k = 0;
    for (int b = 7; b >= 0; b--) k = (k << 8) | p[b];
    k *= m;
    k ^= k >> r;
    k *= m;
    h ^= k;
    h *= m;
  }
  size_t rest = len & 7;
  if (rest) {
    for (size_t b = rest; b-- > 0;) h ^= uint64_t(p[b]) << (8 * b);
    h *= m;
  }
  h ^= h >> r;
  h *= m;
  h ^= h >> r;
  return h;
}

uint8_t PatternLength(std::string_view ele, uint32_t* index) {
  uint64_t h = MurmurHash64A(ele.data(), ele.size(), kHashSeed);
  *index = uint32_t(h & (kRegisters - 1));
  h >>= kP;
  h |= uint64_t(1) << kQ;  // bounds the run at kQ zeros
  return uint8_t(std::countr_zero(h) + 1);
}

std::string NewSparse() {
  std::string s(kHeaderSize, '\0');
  memcpy(s.data(), kMagic, 4);
  s[4] = char(kEncSparse);
  for (int left = kRegisters; left > 0; left -= kXZeroMaxLen) {
    uint8_t op[2];
    PutZeros(op, left < kXZeroMaxLen ? left : kXZeroMaxLen);
    s.append(reinterpret_cast<const char*>(op), 2);
  }
  return s;
}

bool IsHll(std::string_view v) {
  if (v.size() < kHeaderSize || memcmp(v.data(), kMagic, 4) != 0) return false;
  uint8_t enc = uint8_t(v[4]);
  if (enc > kEncSparse) return false;
  return enc != kEncDense || v.size() == kDenseSize;
}

bool CacheValid(std::string_view v) { return (uint8_t(v[15]) & 0x80) == 0; }

uint64_t CachedCardinality(std::string_view v) {
  uint64_t c = 0;
  for (int i = 7; i >= 0; i--) c = (c << 8) | uint8_t(v[8 + size_t(i)]);
  return c;
}

void SetCachedCardinality(char* hll, uint64_t card) {
  for (int i = 0; i < 8; i++) hll[8 + i] = char(uint8_t(card >> (8 * i)));
}

void InvalidateCache(char* hll) { hll[15] = char(uint8_t(hll[15]) | 0x80); }

uint8_t DenseGet(const uint8_t* regs, uint32_t index) {
  size_t bit = size_t(index) * kRegisterBits;
  size_t byte = bit / 8, shift = bit & 7;
  unsigned v = regs[byte] >> shift;
  if (shift > 8 - kRegisterBits) v |= unsigned(regs[byte + 1]) << (8 - shift);
  return uint8_t(v & 63);
}

void DenseSet(uint8_t* regs, uint32_t index, uint8_t value) {
  size_t bit = size_t(index) * kRegisterBits;
  size_t byte = bit / 8, shift = bit & 7;
  regs[byte] = uint8_t((regs[byte] & ~(63u << shift)) | (unsigned(value) << shift));
  if (shift > 8 - kRegisterBits) {
    unsigned hi = 8 - unsigned(shift);
    regs[byte + 1] = uint8_t((regs[byte + 1] & ~(63u >> hi)) | (unsigned(value) >> hi));
  }
}

int DenseRaise(char* hll, uint32_t index, uint8_t count) {
  uint8_t* regs = reinterpret_cast<uint8_t*>(hll) + kHeaderSize;
  if (count <= DenseGet(regs, index)) return 0;
  DenseSet(regs, index, count);
  return 1;
}

int Raise(std::string* hll, uint32_t index, uint8_t count, size_t sparse_max_bytes) {
  if (IsDense(*hll)) return DenseRaise(hll->data(), index, count);
  int r = SparseRaise(hll, index, count, sparse_max_bytes);
  if (r != -2) return r;
  if (!SparseToDense(hll)) return -1;
  return DenseRaise(hll->data(), index, count);
}

int Add(std::string* hll, std::string_view ele, size_t sparse_max_bytes) {
  uint32_t index;
  uint8_t count = PatternLength(ele, &index);
  return Raise(hll, index, count, sparse_max_bytes);
}

bool SparseToDense(std::string* hll) {
  if (IsDense(*hll)) return true;
  std::string dense(kDenseSize, '\0');
  memcpy(dense.data(), hll->data(), kHeaderSize);
  dense[4] = char(kEncDense);
  uint8_t* regs = Registers(&dense);
  const uint8_t* p = Registers(std::string_view(*hll));
  const uint8_t* end = p + (hll->size() - kHeaderSize);
  int64_t idx = 0;
  while (p < end) {
    SparseOp op = ReadOp(p, end);
    if (idx + op.len > kRegisters) return false;  // runs past the last register
    if (op.kind == OpKind::kVal) {
      for (int i = 0; i < op.len; i++) DenseSet(regs, uint32_t(idx++), uint8_t(op.value));
    } else {
      idx += op.len;
    }
    p += op.bytes;
  }
  if (idx != kRegisters) return false;
  *hll = std::move(dense);
  return true;
}

bool MergeInto(std::string_view hll, uint8_t* max) {
  if (IsDense(hll)) {
    const uint8_t* regs = Registers(hll);
    for (uint32_t i = 0; i < uint32_t(kRegisters); i++) {
      uint8_t v = DenseGet(regs, i);
      if (v > max[i]) max[i] = v;
    }
    return true;
  }
  const uint8_t* p = Registers(hll);
  const uint8_t* end = p + (hll.size() - kHeaderSize);
  int64_t idx = 0;
  while (p < end) {
    SparseOp op = ReadOp(p, end);
    if (idx + op.len > kRegisters) return false;  // runs past the last register
    if (op.kind == OpKind::kVal) {
      for (int i = 0; i < op.len; i++, idx++)
        if (op.value > max[idx]) max[idx] = uint8_t(op.value);
    } else {
      idx += op.len;
    }
    p += op.bytes;
  }
  return idx == kRegisters;
}

bool StoreMerged(std::string* dest, const uint8_t* max, bool to_dense, size_t sparse_max_bytes) {
  if (to_dense && !SparseToDense(dest)) return false;
  for (uint32_t i = 0; i < uint32_t(kRegisters); i++) {
    if (max[i] == 0) continue;
    // As Redis, a failure here (impossible for a sketch MergeInto accepted) is not reported.
    Raise(dest, i, max[i], sparse_max_bytes);
  }
  InvalidateCache(dest->data());
  return true;
}

uint64_t Estimate(const int64_t* histo) {
  const double m = kRegisters;
  double z = m * Tau((m - double(histo[kQ + 1])) / m);
  for (int j = kQ; j >= 1; --j) {
    z += double(histo[j]);
    z *= 0.5;
  }
  z += m * Sigma(double(histo[0]) / m);
  double e = double(std::llround(static_cast<long double>(kAlphaInf * m * m / z)));
  return uint64_t(e);
}

uint64_t Count(std::string_view hll, bool* invalid) {
  int64_t histo[64] = {0};
  if (IsDense(hll))
    DenseHistogram(Registers(hll), histo);
  else
    SparseHistogram(Registers(hll), hll.size() - kHeaderSize, histo, invalid);
  return Estimate(histo);
}

uint64_t CountRaw(const uint8_t* regs) {
  int64_t histo[64] = {0};
  for (int i = 0; i < kRegisters; i++) histo[regs[i] & 63]++;
  return Estimate(histo);
}

}  // namespace strata::kv::hll
