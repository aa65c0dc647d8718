#include "kv/commands/command_keys.h"

#include <string>
#include <unordered_map>

#include "base/strutil.h"
#include "kv/commands/registry.h"

namespace strata::kv {
namespace {

using Args = std::span<const std::string_view>;
using KeysFn = bool (*)(Args args, std::vector<size_t>* out);

// numkeys at args[pos], then that many keys.
template <size_t kPos>
bool NumKeysAt(Args args, std::vector<size_t>* out) {
  if (args.size() <= kPos) return false;
  int64_t n;
  if (!ParseInt64(args[kPos], &n) || n < 1 || n > int64_t(args.size() - kPos - 1)) return false;
  for (size_t i = 0; i < size_t(n); i++) out->push_back(kPos + 1 + i);
  return true;
}

// EVAL / FCALL: numkeys at args[2] (0 allowed), then the keys.
bool ScriptKeys(Args args, std::vector<size_t>* out) {
  if (args.size() < 3) return false;
  int64_t n;
  if (!ParseInt64(args[2], &n) || n < 0 || n > int64_t(args.size() - 3)) return false;
  for (size_t i = 0; i < size_t(n); i++) out->push_back(3 + i);
  return true;
}

// ZUNIONSTORE & co.: the destination, then numkeys at args[2] and the sources.
bool StoreThenNumKeys(Args args, std::vector<size_t>* out) {
  out->push_back(1);
  return NumKeysAt<2>(args, out);
}

// SORT key [BY p] [LIMIT o c] [GET p ...] [ASC|DESC] [ALPHA] [STORE dst]: the key and the last
// STORE destination; BY, LIMIT and GET operands are skipped so a pattern named "store" is not
// taken for the keyword.
bool SortKeys(Args args, std::vector<size_t>* out) {
  out->push_back(1);
  size_t store = 0;
  for (size_t i = 2; i < args.size(); i++) {
    if (EqualsIgnoreCase(args[i], "limit")) {
      i += 2;
    } else if (EqualsIgnoreCase(args[i], "get") || EqualsIgnoreCase(args[i], "by")) {
      i += 1;
    } else if (EqualsIgnoreCase(args[i], "store") && i + 1 < args.size()) {
      store = ++i;
    }
  }
  if (store) out->push_back(store);
  return true;
}

// XREAD / XREADGROUP ... STREAMS key [key ...] id [id ...]: the first half after STREAMS (with an
// odd count, the smaller half, as Redis's key specs give).
bool StreamsKeys(Args args, std::vector<size_t>* out) {
  size_t streams = 0;
  for (size_t i = 1; i < args.size(); i++) {
    if (EqualsIgnoreCase(args[i], "block") || EqualsIgnoreCase(args[i], "count")) {
      i++;
    } else if (EqualsIgnoreCase(args[i], "group")) {
      i += 2;
    } else if (EqualsIgnoreCase(args[i], "streams")) {
      streams = i;
      break;
    }
  }
  size_t n = streams ? args.size() - streams - 1 : 0;
  if (!streams || n < 2) return false;
  for (size_t i = 0; i < n / 2; i++) out->push_back(streams + 1 + i);
  return true;
}

// GEORADIUS[BYMEMBER] key ... [STORE|STOREDIST dst]: the key and the last destination.
bool GeoRadiusKeys(Args args, std::vector<size_t>* out) {
  out->push_back(1);
  size_t store = 0;
  for (size_t i = 5; i < args.size(); i++) {
    if ((EqualsIgnoreCase(args[i], "store") || EqualsIgnoreCase(args[i], "storedist")) &&
        i + 1 < args.size())
      store = ++i;
  }
  if (store) out->push_back(store);
  return true;
}

struct Movable {
  KeysFn keys;
  int first, last, step;  // COMMAND INFO's legacy key range
};

const std::unordered_map<std::string_view, Movable>& Table() {
  static const std::unordered_map<std::string_view, Movable> t = {
      {"sort", {SortKeys, 1, 1, 1}},
      {"eval", {ScriptKeys, 0, 0, 0}},
      {"evalsha", {ScriptKeys, 0, 0, 0}},
      {"eval_ro", {ScriptKeys, 0, 0, 0}},
      {"evalsha_ro", {ScriptKeys, 0, 0, 0}},
      {"fcall", {ScriptKeys, 0, 0, 0}},
      {"fcall_ro", {ScriptKeys, 0, 0, 0}},
      {"zunionstore", {StoreThenNumKeys, 1, 1, 1}},
      {"zinterstore", {StoreThenNumKeys, 1, 1, 1}},
      {"zdiffstore", {StoreThenNumKeys, 1, 1, 1}},
      {"zunion", {NumKeysAt<1>, 0, 0, 0}},
      {"zinter", {NumKeysAt<1>, 0, 0, 0}},
      {"zdiff", {NumKeysAt<1>, 0, 0, 0}},
      {"zintercard", {NumKeysAt<1>, 0, 0, 0}},
      {"sintercard", {NumKeysAt<1>, 0, 0, 0}},
      {"lmpop", {NumKeysAt<1>, 0, 0, 0}},
      {"zmpop", {NumKeysAt<1>, 0, 0, 0}},
      {"blmpop", {NumKeysAt<2>, 0, 0, 0}},
      {"bzmpop", {NumKeysAt<2>, 0, 0, 0}},
      {"xread", {StreamsKeys, 0, 0, 0}},
      {"xreadgroup", {StreamsKeys, 0, 0, 0}},
      {"georadius", {GeoRadiusKeys, 1, 1, 1}},
      {"georadiusbymember", {GeoRadiusKeys, 1, 1, 1}},
  };
  return t;
}

}  // namespace

bool MovableKeys(const CommandSpec& spec, int* first, int* last, int* step) {
  auto it = Table().find(spec.name);
  if (it == Table().end()) return false;
  if (first) *first = it->second.first;
  if (last) *last = it->second.last;
  if (step) *step = it->second.step;
  return true;
}

bool CommandKeys(const CommandSpec& spec, std::span<const std::string_view> args,
                 std::vector<size_t>* out) {
  auto it = Table().find(spec.name);
  if (it != Table().end()) return it->second.keys(args, out);
  CommandRegistry::KeyIndices(spec, args.size(), out);
  return true;
}

}  // namespace strata::kv
