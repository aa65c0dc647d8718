// Between the keyspace's value types and the plain RdbValue form of the RDB codecs: flattening an
// entry's value (DUMP, later snapshots) and building a value from a decoded one (RESTORE, later
// loading), in the encodings the server's current limits call for. Part of strata_kv (it needs
// the types); the codecs themselves (rdb_value.h) stay free of them.
#pragma once

#include <cstddef>
#include <memory>

#include "kv/engine/entry.h"
#include "kv/engine/object.h"
#include "kv/rdb/rdb_value.h"

namespace strata::kv::rdb {

// The encoding limits new values are built with (the server's configuration).
struct BuildLimits {
  size_t hash_max_entries = 128, hash_max_value = 64;
  int list_fill = -2, list_depth = 0;
  size_t set_max_intset = 512;
  size_t zset_max_entries = 128, zset_max_value = 64;
  size_t stream_node_bytes = 4096, stream_node_entries = 100;
};

// The entry's value in plain form.
RdbValue ValueOf(const Entry* e);

// A non-string value built from `v` (consumed); nullptr for kind 0 (strings stay in the entry)
// and for a Bloom filter whose bytes do not parse (callers report bad data).
std::unique_ptr<Object> BuildObject(RdbValue* v, const BuildLimits& lim);

}  // namespace strata::kv::rdb
