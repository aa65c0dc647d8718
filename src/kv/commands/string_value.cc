#include "kv/commands/string_value.h"

#include <cstring>
#include <string>

namespace strata::kv {

Entry* GrowValue(CmdContext& ctx, Entry** link, size_t new_len) {
  Entry* e = *link;
  if (e->CanResizeInPlace(new_len)) {
    size_t old = e->value().size();
    e->ResizeInPlace(new_len);
    if (new_len > old) memset(e->mutable_value() + old, 0, new_len - old);
    e->flags |= Entry::kRaw;
    return e;
  }
  size_t reserve = new_len < 1024 * 1024 ? new_len * 2 : new_len + 1024 * 1024;
  std::string_view old = e->value();
  int64_t expire = e->has_expire() ? e->expire_ms() : -1;
  Entry* n = Entry::Create(e->key(), old, expire, e->has_expire_slot(), reserve);
  n->ResizeInPlace(old.size());
  // Re-create with the final length header (varint width may differ) by copying.
  if (!n->CanResizeInPlace(new_len)) {
    Entry::Destroy(n);
    std::string v(old);
    v.resize(new_len, '\0');
    n = Entry::Create(e->key(), v, expire, e->has_expire_slot());
  } else {
    n->ResizeInPlace(new_len);
    memset(n->mutable_value() + old.size(), 0, new_len - old.size());
  }
  n->flags |= Entry::kRaw;
  ctx.shard->ReplaceEntry(ctx.db, link, n);
  return n;
}

Entry* RewriteValue(CmdContext& ctx, Entry** link, std::string_view value) {
  Entry* e = *link;
  if (e->value().size() == value.size() || e->CanResizeInPlace(value.size())) {
    if (e->value().size() != value.size()) e->ResizeInPlace(value.size());
    if (!value.empty()) memmove(e->mutable_value(), value.data(), value.size());
    e->flags |= Entry::kRaw;
    return e;
  }
  Entry* n =
      Entry::Create(e->key(), value, e->has_expire() ? e->expire_ms() : -1, e->has_expire_slot());
  n->flags |= Entry::kRaw;
  ctx.shard->ReplaceEntry(ctx.db, link, n);
  return n;
}

Entry* AddRawString(CmdContext& ctx, std::string_view key, uint64_t hash, std::string_view value) {
  Entry* e = Entry::Create(key, value, -1, false);
  e->flags |= Entry::kRaw;
  ctx.shard->Add(ctx.db, e, hash, ctx.now_ms);
  return e;
}

void SetRawString(CmdContext& ctx, std::string_view key, uint64_t hash, std::string_view value) {
  Entry** link = ctx.shard->FindForWrite(ctx.db, key, hash, ctx.now_ms);
  if (!link) {
    AddRawString(ctx, key, hash, value);
    return;
  }
  Entry* e = Entry::Create(key, value, -1, (*link)->has_expire_slot());
  e->flags |= Entry::kRaw;
  ctx.shard->ReplaceEntry(ctx.db, link, e);
}

}  // namespace strata::kv
