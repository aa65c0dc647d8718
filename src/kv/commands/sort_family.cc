// SORT and SORT_RO: sort a list, set or sorted set, optionally by weights or hash fields looked
// up through a BY pattern, with GET patterns, LIMIT and STORE.
//
// The source, the keys its patterns name and the STORE destination may all live on different
// shards, so both commands always run as a coordinator: the source and the destination are
// locked; the source's elements are copied out on its shard; the pattern keys are read on
// their shards (one hop per shard for BY, one for GET, without locks); the sort itself runs on
// the coordinator; a STORE builds its list on the destination's shard.
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "kv/commands/family_util.h"
#include "kv/commands/multi_util.h"
#include "kv/commands/registry.h"
#include "kv/server/config.h"
#include "kv/tx/multi_key.h"
#include "kv/types/hash.h"
#include "kv/types/list.h"
#include "kv/types/set.h"
#include "kv/types/sort.h"
#include "kv/types/zset.h"

namespace strata::kv {
namespace {

struct SortArgs {
  bool desc = false;
  bool alpha = false;
  bool dontsort = false;
  int64_t limit_start = 0;
  int64_t limit_count = -1;
  size_t by = 0;  // argument index of the BY pattern, 0 = none
  std::vector<size_t> gets;
  size_t store = 0;  // argument index of the destination, 0 = none
};

// Options start at args[2]; replies the error and returns false on a bad option.
bool ParseSort(CmdContext& ctx, bool readonly, SortArgs* a) {
  for (size_t j = 2; j < ctx.args.size(); j++) {
    std::string_view opt = ctx.args[j];
    size_t left = ctx.args.size() - j - 1;
    if (ArgIs(opt, "asc")) {
      a->desc = false;
    } else if (ArgIs(opt, "desc")) {
      a->desc = true;
    } else if (ArgIs(opt, "alpha")) {
      a->alpha = true;
    } else if (ArgIs(opt, "limit") && left >= 2) {
      if (!ArgInt(ctx, j + 1, &a->limit_start) || !ArgInt(ctx, j + 2, &a->limit_count))
        return false;
      j += 2;
    } else if (!readonly && ArgIs(opt, "store") && left >= 1) {
      a->store = ++j;
    } else if (ArgIs(opt, "by") && left >= 1) {
      a->by = ++j;
      // Once a BY without '*' is seen, nothing is sorted (even if another BY follows).
      if (SortByDisablesSorting(ctx.args[j])) a->dontsort = true;
    } else if (ArgIs(opt, "get") && left >= 1) {
      a->gets.push_back(++j);
    } else {
      ctx.rb->Error(kErrSyntax);
      return false;
    }
  }
  return true;
}

enum class SourceKind { kMissing, kList, kSet, kZSet, kWrongType };

// Copies the elements to sort out of the source on its shard. With `dontsort` on a list or a
// sorted set only the LIMIT window is copied, in the container's order (reversed for DESC), and
// *w becomes the whole copy. A set is always copied whole.
SourceKind LoadSource(Shard& s, const CmdContext& ctx, SortArgs* a, std::vector<SortItem>* items,
                      SortWindow* w) {
  std::string_view key = ctx.args[1];
  Entry* e = s.FindForRead(ctx.db, key, KeyHash(key), ctx.now_ms);
  if (!e) {
    *w = SortLimitWindow(a->limit_start, a->limit_count, 0);
    return SourceKind::kMissing;
  }
  SourceKind kind;
  switch (e->type) {
    case ObjType::kList:
      kind = SourceKind::kList;
      break;
    case ObjType::kZSet:
      kind = SourceKind::kZSet;
      break;
    case ObjType::kSet:
      kind = SourceKind::kSet;
      break;
    default:
      return SourceKind::kWrongType;
  }
  if (kind == SourceKind::kSet && a->dontsort && a->store) {
    // A set has no order of its own: a stored result is sorted ALPHA on the members instead.
    a->dontsort = false;
    a->alpha = true;
    a->by = 0;
  }
  size_t len = e->object()->Length();
  *w = SortLimitWindow(a->limit_start, a->limit_count, len);
  auto add = [items](std::string_view v) { items->push_back(SortItem{std::string(v)}); };
  if (kind == SourceKind::kList) {
    const ListObject* l = e->object_as<ListObject>();
    auto push = [&add](const ListElem& el) {
      char buf[24];
      add(el.View(buf));
    };
    if (a->dontsort) {
      size_t n = w->size();
      items->reserve(n);
      if (n) {
        size_t from = a->desc ? len - 1 - size_t(w->start) : size_t(w->start);
        l->ForRange(from, n, a->desc, push);
      }
      *w = SortWindow{0, int64_t(n) - 1};
    } else {
      items->reserve(len);
      l->ForRange(0, len, false, push);
    }
  } else if (kind == SourceKind::kSet) {
    // In the set's own iteration order; LIMIT then applies to that order when not sorting.
    items->reserve(len);
    e->object_as<SetObject>()->ForEach(add);
  } else {
    ZSet* z = e->object_as<ZSet>();
    // SORT leaves a sorted set in its skiplist form, as the reference server does.
    if (z->is_listpack()) z->ConvertToSkiplist();
    auto visit = [&add](std::string_view m, double) {
      add(m);
      return true;
    };
    if (a->dontsort) {
      size_t n = w->size();
      items->reserve(n);
      if (n) {
        if (a->desc)
          z->Visit(len - size_t(w->start) - n, len - size_t(w->start), true, visit);
        else
          z->Visit(size_t(w->start), size_t(w->start) + n, false, visit);
      }
      *w = SortWindow{0, int64_t(n) - 1};
    } else {
      items->reserve(len);
      z->Visit(0, len, false, visit);
    }
  }
  return kind;
}

// One pattern lookup: a string key, or a hash field when `field` is set.
struct Lookup {
  std::string key;
  const std::string* field = nullptr;
  std::optional<std::string> value;
};

// Reads every lookup on its key's shard, one hop per shard involved.
Task<void> FetchLookups(const CmdContext& ctx, std::vector<Lookup>* lookups) {
  ShardSet& set = Shards();
  std::vector<std::vector<size_t>> by_shard(set.size());
  for (size_t i = 0; i < lookups->size(); i++)
    by_shard[set.ShardOf(HashKey((*lookups)[i].key))].push_back(i);
  for (uint32_t sh = 0; sh < by_shard.size(); sh++) {
    if (by_shard[sh].empty()) continue;
    const std::vector<size_t>* idx = &by_shard[sh];
    co_await set.Hop(sh, [&ctx, lookups, idx](Shard& s) {
      for (size_t i : *idx) {
        Lookup& l = (*lookups)[i];
        Entry* e = s.FindForRead(ctx.db, l.key, KeyHash(l.key), ctx.now_ms);
        if (!e) continue;
        if (l.field) {
          std::string_view v;
          if (e->type == ObjType::kHash && e->object_as<HashObject>()->Get(*l.field, &v))
            l.value.emplace(v);
        } else if (e->type == ObjType::kString) {
          l.value.emplace(e->value());
        }
      }
    });
  }
}

// Reads the BY weights of every item; false if one of them is not a number (numeric sort).
Task<bool> LoadWeights(const CmdContext& ctx, const SortArgs& a, std::vector<SortItem>* items) {
  bool ok = true;
  if (a.by) {
    SortPattern p = SortPattern::Parse(ctx.args[a.by]);
    std::vector<Lookup> lookups(items->size());
    for (size_t i = 0; i < items->size(); i++) {
      lookups[i].key = p.KeyFor((*items)[i].elem);
      if (p.kind() == SortPattern::Kind::kField) lookups[i].field = &p.field();
    }
    co_await FetchLookups(ctx, &lookups);
    for (size_t i = 0; i < items->size(); i++) {
      SortItem& it = (*items)[i];
      if (!lookups[i].value) continue;
      if (a.alpha) {
        it.cmp = std::move(*lookups[i].value);
        it.has_cmp = true;
      } else if (!SortWeight(*lookups[i].value, &it.score)) {
        ok = false;
      }
    }
  } else if (!a.alpha) {
    for (SortItem& it : *items)
      if (!SortWeight(it.elem, &it.score)) ok = false;
  }
  co_return ok;
}

Task<void> SortGeneric(CmdContext& ctx, bool readonly) {
  if (!readonly && GlobalConfig().maxmemory.load(std::memory_order_relaxed) &&
      !ctx.shard->EnsureMemory()) {
    ctx.rb->Error(kErrOom);
    co_return;
  }
  SortArgs a;
  if (!ParseSort(ctx, readonly, &a)) co_return;

  std::vector<size_t> locked{1};
  if (a.store && ctx.args[a.store] != ctx.args[1]) locked.push_back(a.store);
  MultiKeyTx tx(ctx, locked);
  co_await tx.Lock();

  std::vector<SortItem> items;
  SortWindow w;
  SourceKind kind = SourceKind::kMissing;
  co_await Shards().Hop(Shards().ShardOf(KeyHash(ctx.args[1])),
                        [&](Shard& s) { kind = LoadSource(s, ctx, &a, &items, &w); });
  if (kind == SourceKind::kWrongType) {
    co_await tx.Unlock();
    ctx.rb->Error(kErrWrongType);
    co_return;
  }

  bool numbers_ok = true;
  if (!a.dontsort) {
    numbers_ok = co_await LoadWeights(ctx, a, &items);
    if (numbers_ok) {
      SortOrder order{a.desc, a.alpha, a.by != 0, a.store != 0};
      SortItems(&items, order);
    }
  }
  if (!numbers_ok) {
    co_await tx.Unlock();
    ctx.rb->Error("ERR One or more scores can't be converted into double");
    co_return;
  }

  // The window's elements, then what the GET patterns give for each of them, in reply order.
  size_t n = w.size();
  size_t first = n ? size_t(w.start) : 0;
  std::vector<SortPattern> gets;
  for (size_t g : a.gets) gets.push_back(SortPattern::Parse(ctx.args[g]));
  std::vector<Lookup> lookups;
  std::vector<std::optional<std::string>> out;  // GET results (empty without GET)
  if (!gets.empty()) {
    std::vector<size_t> slot(n * gets.size(), SIZE_MAX);
    for (size_t i = 0; i < n; i++) {
      for (size_t g = 0; g < gets.size(); g++) {
        if (!gets[g].resolves()) continue;
        slot[i * gets.size() + g] = lookups.size();
        Lookup l;
        l.key = gets[g].KeyFor(items[first + i].elem);
        if (gets[g].kind() == SortPattern::Kind::kField) l.field = &gets[g].field();
        lookups.push_back(std::move(l));
      }
    }
    co_await FetchLookups(ctx, &lookups);
    out.resize(n * gets.size());
    for (size_t i = 0; i < n; i++) {
      for (size_t g = 0; g < gets.size(); g++) {
        size_t k = i * gets.size() + g;
        if (gets[g].kind() == SortPattern::Kind::kSelf)
          out[k] = items[first + i].elem;
        else if (slot[k] != SIZE_MAX)
          out[k] = std::move(lookups[slot[k]].value);
      }
    }
  }

  if (!a.store) {
    co_await tx.Unlock();
    if (gets.empty()) {
      ctx.rb->ArrayHeader(n);
      for (size_t i = 0; i < n; i++) ctx.rb->Bulk(items[first + i].elem);
    } else {
      ctx.rb->ArrayHeader(out.size());
      for (const auto& v : out) {
        if (v)
          ctx.rb->Bulk(*v);
        else
          ctx.rb->Null();
      }
    }
    co_return;
  }

  // STORE: the result replaces the destination as a list (a missing GET value is stored as an
  // empty string); an empty result deletes it.
  size_t count = gets.empty() ? n : out.size();
  co_await Shards().Hop(Shards().ShardOf(KeyHash(ctx.args[a.store])), [&](Shard& s) {
    std::string_view dst = ctx.args[a.store];
    if (count == 0) {
      DeleteKeyAndNotify(s, ctx.db, dst, ctx.now_ms);
      return;
    }
    auto l = std::make_unique<ListObject>();
    int fill = GlobalConfig().list_max_listpack_size.load(std::memory_order_relaxed);
    int depth = GlobalConfig().list_compress_depth.load(std::memory_order_relaxed);
    if (gets.empty()) {
      for (size_t i = 0; i < n; i++) l->Push(ListObject::kTail, items[first + i].elem, fill, depth);
    } else {
      for (const auto& v : out)
        l->Push(ListObject::kTail, v ? std::string_view(*v) : "", fill, depth);
    }
    StoreObject(s, ctx.db, dst, std::move(l), ctx.now_ms);
    Notify(ctx.db, notify::kList, "sortstore", dst);
    s.SignalKeyReady(ctx.db, dst);
  });
  co_await tx.Unlock();
  ctx.rb->Integer(int64_t(count));
}

Task<void> MultiSort(CmdContext& ctx) { co_await SortGeneric(ctx, false); }
Task<void> MultiSortRo(CmdContext& ctx) { co_await SortGeneric(ctx, true); }

}  // namespace

void RegisterSortFamily(CommandRegistry& r) {
  using namespace cmd;
  // The source is the first key; BY/GET patterns and STORE name more keys, so the commands
  // always run as coordinators (no single-shard handler) and lock what they write themselves.
  r.Add({"sort", -2, kWrite | kDenyOom, 1, 1, 1, nullptr, MultiSort, "generic",
         "Sorts the elements in a list, a set, or a sorted set, optionally storing the result.",
         "1.0.0",
         "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the "
         "number of returned elements. When the elements are not sorted, complexity is O(N)."});
  r.Add({"sort_ro", -2, kReadOnly, 1, 1, 1, nullptr, MultiSortRo, "generic",
         "Returns the sorted elements of a list, a set, or a sorted set.", "7.0.0",
         "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the "
         "number of returned elements. When the elements are not sorted, complexity is O(N)."});
}

}  // namespace strata::kv
