#include "kv/engine/object.h"

namespace strata::kv {

const char* ObjTypeName(ObjType t) {
  switch (t) {
    case ObjType::kString:
      return "string";
    case ObjType::kList:
      return "list";
    case ObjType::kSet:
      return "set";
    case ObjType::kZSet:
      return "zset";
    case ObjType::kHash:
      return "hash";
    case ObjType::kStream:
      return "stream";
    case ObjType::kModule:
      return "MBbloom--";  // the only module-like type: RedisBloom's Bloom filter
  }
  return "none";
}

}  // namespace strata::kv
