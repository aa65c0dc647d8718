// BloomFilter: the value of a Bloom filter key (BF.RESERVE, BF.ADD, BF.EXISTS, ...), a scalable
// Bloom filter with the behaviour of RedisBloom's "MBbloom--" type.
//
// A filter is a chain of layers. Each layer is a plain Bloom filter sized for `capacity` items
// at false-positive rate `error`:
//   bits per item  b = -ln(error) / ln(2)^2      (m = ceil(capacity * b), rounded up to 64)
//   hash functions k = ceil(-ln(error) / ln(2))
// An item is hashed once with XXH3-128; its two 64-bit halves h1, h2 give the k positions
// h1 + i*h2 (i = 0..k-1), each mapped onto [0, m) by a multiply-high (Lemire's reduction), so
// every layer reuses the same hash. An item is present if some layer has all k of its bits set.
//
// Adding an item that is already (possibly) present changes nothing and reports 0. Otherwise it
// goes into the newest layer; when that layer holds `capacity` items, a scaling filter first adds
// a layer `expansion` times larger with half the error rate, so the layers' rates sum to at most
// the rate asked for (the first layer of a scaling filter already takes half of it, as
// RedisBloom does). A non-scaling filter refuses the item instead (kFull).
//
// Thread ownership: like every Object, owned by the shard thread of its entry. Pure: no I/O,
// no configuration.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kv/engine/object.h"

namespace strata::kv {

class BloomFilter final : public Object {
 public:
  static constexpr ObjType kType = ObjType::kModule;
  // The TYPE reply RedisBloom's module type gives.
  static constexpr const char* kTypeName = "MBbloom--";
  // Defaults of BF.ADD / BF.MADD / BF.INSERT on a missing key (RedisBloom's).
  static constexpr double kDefaultError = 0.01;
  static constexpr uint64_t kDefaultCapacity = 100;
  static constexpr uint32_t kDefaultExpansion = 2;
  // Each new layer's error rate is the previous one's times this.
  static constexpr double kTightening = 0.5;
  // Largest layer accepted (bits): 2^35 bits = 4 GiB.
  static constexpr uint64_t kMaxLayerBits = uint64_t(1) << 35;

  struct Layer {
    uint64_t capacity = 0;  // items this layer was sized for
    double error = 0;       // its false-positive rate
    uint32_t hashes = 0;    // k
    uint64_t bits = 0;      // m, a multiple of 64
    uint64_t items = 0;     // items added to it
    std::unique_ptr<uint64_t[]> words;
  };

  // A filter with one layer; nullptr when the parameters are out of range (capacity 0, error not
  // in (0, 1), expansion 0 for a scaling filter) or the layer would be too large.
  static std::unique_ptr<BloomFilter> Create(double error, uint64_t capacity, uint32_t expansion,
                                             bool nonscaling);

  enum class AddResult { kAdded, kExists, kFull, kTooLarge };
  AddResult Add(std::string_view item);
  bool Contains(std::string_view item) const;

  uint64_t items() const { return items_; }
  // Sum of the layers' capacities (BF.INFO Capacity).
  uint64_t TotalCapacity() const;
  size_t layer_count() const { return layers_.size(); }
  const Layer& layer(size_t i) const { return layers_[i]; }
  uint32_t expansion() const { return expansion_; }
  bool nonscaling() const { return nonscaling_; }
  // BF.INFO Size: the bytes of the bit arrays plus the bookkeeping.
  size_t InfoSize() const;

  // A self-describing byte form (persistence, DUMP) and its parser, which validates everything
  // and returns nullptr for anything malformed.
  std::string Serialize() const;
  static std::unique_ptr<BloomFilter> Parse(std::string_view data);

  // Object.
  ObjType type() const override { return kType; }
  const char* Encoding() const override { return "raw"; }
  // The number of layers: never 0, so the key is never taken for an emptied container.
  size_t Length() const override { return layers_.size(); }
  std::unique_ptr<Object> Clone() const override;
  size_t MemoryUsage() const override;
  size_t FreeEffort() const override { return layers_.size(); }

  // Layer sizing, exposed for tests.
  static double BitsPerItem(double error);
  static uint32_t HashCount(double error);

 private:
  BloomFilter() = default;
  // Appends a layer; false if it would be too large.
  bool AddLayer(uint64_t capacity, double error);

  std::vector<Layer> layers_;
  uint64_t items_ = 0;
  uint32_t expansion_ = kDefaultExpansion;
  bool nonscaling_ = false;
};

}  // namespace strata::kv
