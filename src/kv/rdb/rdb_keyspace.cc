#include "kv/rdb/rdb_keyspace.h"

#include <cstdint>
#include <string>
#include <vector>

#include "kv/types/bloom.h"
#include "kv/types/hash.h"
#include "kv/types/list.h"
#include "kv/types/set.h"
#include "kv/types/stream.h"
#include "kv/types/zset.h"

namespace strata::kv::rdb {
namespace {

RdbStreamId ToRdb(StreamID id) { return {id.ms, id.seq}; }
StreamID FromRdb(RdbStreamId id) { return {id.ms, id.seq}; }

void FlattenStream(const StreamObject& s, RdbStream* out) {
  s.Range(StreamID::Min(), StreamID::Max(), false, [&](StreamID id, const StreamFields& f) {
    RdbStreamEntry e;
    e.id = ToRdb(id);
    for (const auto& [name, value] : f) {
      e.fields.emplace_back(name);
      e.fields.emplace_back(value);
    }
    out->entries.push_back(std::move(e));
    return true;
  });
  out->last_id = ToRdb(s.last_id());
  out->first_id = ToRdb(s.first_id());
  out->max_deleted_id = ToRdb(s.max_deleted_id());
  out->entries_added = s.entries_added();
  for (const auto& [name, g] : s.groups()) {
    RdbStreamGroup rg;
    rg.name = name;
    rg.last_id = ToRdb(g->last_id);
    rg.entries_read = g->entries_read;
    for (const auto& [id, nack] : g->pel)
      rg.pel.push_back({ToRdb(id), nack.delivery_time, nack.delivery_count});
    for (const auto& [cname, c] : g->consumers) {
      RdbStreamConsumer rc;
      rc.name = cname;
      rc.seen_time = c->seen_time;
      for (StreamID id : c->pel) rc.pel.push_back(ToRdb(id));
      rg.consumers.push_back(std::move(rc));
    }
    out->groups.push_back(std::move(rg));
  }
}

std::unique_ptr<Object> BuildStream(RdbStream* in, const BuildLimits& lim) {
  auto s = std::make_unique<StreamObject>();
  std::vector<std::string_view> fv;
  for (const RdbStreamEntry& e : in->entries) {
    fv.assign(e.fields.begin(), e.fields.end());
    s->Append(FromRdb(e.id), fv, lim.stream_node_bytes, lim.stream_node_entries);
  }
  s->set_last_id(FromRdb(in->last_id));
  s->set_max_deleted_id(FromRdb(in->max_deleted_id));
  s->set_entries_added(in->entries_added);
  for (RdbStreamGroup& rg : in->groups) {
    int64_t entries_read =
        in->estimate_reads ? s->EstimateDistance(FromRdb(rg.last_id)) : rg.entries_read;
    StreamGroup* g = s->CreateGroup(rg.name, FromRdb(rg.last_id), entries_read);
    if (!g) continue;  // names were checked unique when loading
    for (const RdbStreamNack& n : rg.pel) {
      StreamNack nack;
      nack.delivery_time = n.delivery_time;
      nack.delivery_count = n.delivery_count;
      g->pel.emplace(FromRdb(n.id), nack);
    }
    for (RdbStreamConsumer& rc : rg.consumers) {
      auto c = std::make_unique<StreamConsumer>();
      c->name = rc.name;
      c->seen_time = rc.seen_time;
      for (RdbStreamId id : rc.pel) {
        auto it = g->pel.find(FromRdb(id));
        if (it == g->pel.end()) continue;  // checked when loading
        it->second.consumer = c.get();
        c->pel.insert(FromRdb(id));
      }
      g->consumers.emplace(rc.name, std::move(c));
    }
  }
  return s;
}

}  // namespace

RdbValue ValueOf(const Entry* e) {
  RdbValue v;
  v.kind = uint8_t(e->type);
  if (!e->is_object()) {
    v.str = std::string(e->value());
    return v;
  }
  const Object* o = e->object();
  switch (e->type) {
    case ObjType::kList: {
      const auto* l = static_cast<const ListObject*>(o);
      v.elems.reserve(l->Length());
      l->ForRange(0, l->Length(), false,
                  [&](const ListElem& el) { v.elems.push_back(el.ToString()); });
      break;
    }
    case ObjType::kSet:
      v.elems = static_cast<const SetObject*>(o)->Members();
      break;
    case ObjType::kZSet:
      v.packed = static_cast<const ZSet*>(o)->is_listpack();
      for (ZEntry& z : static_cast<const ZSet*>(o)->Entries())
        v.scored.emplace_back(std::move(z.member), z.score);
      break;
    case ObjType::kHash:
      v.packed = static_cast<const HashObject*>(o)->packed();
      static_cast<const HashObject*>(o)->ForEach(
          [&](std::string_view f, std::string_view val) { v.pairs.emplace_back(f, val); });
      break;
    case ObjType::kStream:
      FlattenStream(*static_cast<const StreamObject*>(o), &v.stream);
      break;
    case ObjType::kModule:
      v.str = static_cast<const BloomFilter*>(o)->Serialize();
      break;
    case ObjType::kString:
      break;
  }
  return v;
}

std::unique_ptr<Object> BuildObject(RdbValue* v, const BuildLimits& lim) {
  switch (v->kind) {
    case 1: {
      auto l = std::make_unique<ListObject>();
      for (const std::string& s : v->elems)
        l->Push(ListObject::kTail, s, lim.list_fill, lim.list_depth);
      return l;
    }
    case 2: {
      auto s = std::make_unique<SetObject>();
      for (const std::string& m : v->elems) s->Add(m, lim.set_max_intset);
      return s;
    }
    case 3: {
      std::vector<ZEntry> entries;
      entries.reserve(v->scored.size());
      for (auto& [m, d] : v->scored) entries.push_back({std::move(m), d});
      ZSet::Limits zl;
      zl.max_listpack_entries = lim.zset_max_entries;
      zl.max_listpack_value = v->packed ? SIZE_MAX : lim.zset_max_value;
      return ZSet::Build(std::move(entries), zl);
    }
    case 4: {
      auto h = std::make_unique<HashObject>();
      HashObject::Limits hl;
      hl.max_entries = lim.hash_max_entries;
      hl.max_value = v->packed ? SIZE_MAX : lim.hash_max_value;
      for (const auto& [f, val] : v->pairs) h->Set(f, val, hl);
      return h;
    }
    case 5:
      return BloomFilter::Parse(v->str);  // nullptr for malformed bytes
    case 6:
      return BuildStream(&v->stream, lim);
  }
  return nullptr;
}

}  // namespace strata::kv::rdb
