// GEO commands on sorted sets: GEOADD, GEOPOS, GEODIST, GEOHASH, GEOSEARCH[STORE] and the
// GEORADIUS family. Points are stored with their 52-bit geohash as score (types/geohash.h);
// searches scan the score ranges of the cells covering the shape, as Redis, so results and
// their order match.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "base/strutil.h"
#include "kv/commands/family_util.h"
#include "kv/commands/registry.h"
#include "kv/commands/zset_util.h"
#include "kv/server/shard_set.h"
#include "kv/tx/multi_key.h"
#include "kv/types/geohash.h"

namespace strata::kv {
namespace {

std::string InvalidPair(double lon, double lat) {
  char buf[256];
  snprintf(buf, sizeof buf, "ERR invalid longitude,latitude pair %f,%f", lon, lat);
  return buf;
}

// Longitude and latitude arguments; an error text on failure.
bool ParseLonLat(std::string_view a, std::string_view b, double* lon, double* lat,
                 std::string* err) {
  if (!ParseDouble(a, lon) || !ParseDouble(b, lat)) {
    *err = kErrNotFloat;
    return false;
  }
  if (!geo::ValidLonLat(*lon, *lat)) {
    *err = InvalidPair(*lon, *lat);
    return false;
  }
  return true;
}

// Meters per unit, or -1 with the error.
double ParseUnit(std::string_view u, std::string* err) {
  if (ArgIs(u, "m")) return 1;
  if (ArgIs(u, "km")) return 1000;
  if (ArgIs(u, "ft")) return 0.3048;
  if (ArgIs(u, "mi")) return 1609.34;
  *err = "ERR unsupported unit provided. please use M, KM, FT, MI";
  return -1;
}

bool ParseRadius(std::string_view v, std::string_view unit, geo::Shape* s, std::string* err) {
  double d;
  if (!ParseDouble(v, &d)) {
    *err = "ERR need numeric radius";
    return false;
  }
  if (d < 0) {
    *err = "ERR radius cannot be negative";
    return false;
  }
  s->radius = d;
  double conv = ParseUnit(unit, err);
  if (conv < 0) return false;
  s->conversion = conv;
  return true;
}

bool ParseBox(std::string_view wv, std::string_view hv, std::string_view unit, geo::Shape* s,
              std::string* err) {
  double w, h;
  if (!ParseDouble(wv, &w)) {
    *err = "ERR need numeric width";
    return false;
  }
  if (!ParseDouble(hv, &h)) {
    *err = "ERR need numeric height";
    return false;
  }
  if (h < 0 || w < 0) {
    *err = "ERR height or width cannot be negative";
    return false;
  }
  s->width = w;
  s->height = h;
  double conv = ParseUnit(unit, err);
  if (conv < 0) return false;
  s->conversion = conv;
  return true;
}

bool MemberLonLat(const ZSet* z, std::string_view m, double* lon, double* lat) {
  double score;
  if (!z || !z->Score(m, &score)) return false;
  return geo::DecodeScore(score, lon, lat);
}

// ---- GEOADD key [NX|XX] [CH] longitude latitude member [...] ----

void CmdGeoAdd(CmdContext& ctx) {
  auto& a = ctx.args;
  bool nx = false, xx = false, ch = false;
  size_t longidx = 2;
  for (; longidx < a.size(); longidx++) {
    if (ArgIs(a[longidx], "nx"))
      nx = true;
    else if (ArgIs(a[longidx], "xx"))
      xx = true;
    else if (ArgIs(a[longidx], "ch"))
      ch = true;
    else
      break;
  }
  if ((a.size() - longidx) % 3 || (xx && nx)) return ctx.rb->Error(kErrSyntax);
  size_t elements = (a.size() - longidx) / 3;
  if (elements == 0) return ctx.rb->Error(kErrSyntax);
  std::vector<std::pair<double, std::string_view>> pairs;
  for (size_t i = 0; i < elements; i++) {
    double lon, lat;
    std::string err;
    if (!ParseLonLat(a[longidx + i * 3], a[longidx + i * 3 + 1], &lon, &lat, &err))
      return ctx.rb->Error(err);
    pairs.emplace_back(double(geo::EncodeScore(lon, lat)), a[longidx + i * 3 + 2]);
  }
  int flags = (nx ? ZSet::kNX : 0) | (xx ? ZSet::kXX : 0);
  ZAddPairs(ctx, a[1], flags, ch, pairs);
}

// ---- GEOPOS / GEODIST / GEOHASH ----

void CmdGeoPos(CmdContext& ctx) {
  bool failed;
  ZSet* z = ReadObject<ZSet>(ctx, ctx.args[1], &failed);
  if (failed) return;
  ctx.rb->ArrayHeader(ctx.args.size() - 2);
  for (size_t j = 2; j < ctx.args.size(); j++) {
    double lon, lat;
    if (!MemberLonLat(z, ctx.args[j], &lon, &lat)) {
      ctx.rb->NullArray();
      continue;
    }
    ctx.rb->ArrayHeader(2);
    ctx.rb->DoubleText(LongDoubleToString(lon));
    ctx.rb->DoubleText(LongDoubleToString(lat));
  }
}

void CmdGeoDist(CmdContext& ctx) {
  double to_meter = 1;
  if (ctx.args.size() == 5) {
    std::string err;
    to_meter = ParseUnit(ctx.args[4], &err);
    if (to_meter < 0) return ctx.rb->Error(err);
  } else if (ctx.args.size() > 5) {
    return ctx.rb->Error(kErrSyntax);
  }
  bool failed;
  ZSet* z = ReadObject<ZSet>(ctx, ctx.args[1], &failed);
  if (failed) return;
  if (!z) return ctx.rb->Null();
  double lon1, lat1, lon2, lat2;
  if (!MemberLonLat(z, ctx.args[2], &lon1, &lat1) || !MemberLonLat(z, ctx.args[3], &lon2, &lat2))
    return ctx.rb->Null();
  ctx.rb->Bulk(geo::FormatDistance(geo::Distance(lon1, lat1, lon2, lat2) / to_meter));
}

void CmdGeoHash(CmdContext& ctx) {
  bool failed;
  ZSet* z = ReadObject<ZSet>(ctx, ctx.args[1], &failed);
  if (failed) return;
  ctx.rb->ArrayHeader(ctx.args.size() - 2);
  for (size_t j = 2; j < ctx.args.size(); j++) {
    double score;
    std::string h;
    if (z && z->Score(ctx.args[j], &score)) h = geo::HashString(score);
    if (h.empty())
      ctx.rb->Null();
    else
      ctx.rb->Bulk(h);
  }
}

// ---- Searches ----

enum : int {
  kByCoords = 1,  // GEORADIUS: center given as longitude latitude
  kByMember = 2,  // GEORADIUSBYMEMBER
  kNoStore = 4,   // the _RO forms
  kSearch = 8,    // GEOSEARCH syntax
  kSearchStore = 16,
};

struct GeoPoint {
  std::string member;
  double lon, lat, dist, score;
};

struct GeoOutcome {
  std::string error;
  bool has_store = false;
  size_t store_idx = 0;
  bool storedist = false;
  bool withdist = false, withhash = false, withcoords = false;
  std::vector<GeoPoint> points;  // what to reply or store, in order; dist in the query's unit
};

// The whole of a search on the source key's shard: lookups, option parsing (in Redis's order,
// which interleaves them) and the scan.
GeoOutcome RunGeoSearch(Shard& sh, const CmdContext& ctx, size_t src_idx, int flags) {
  GeoOutcome out;
  auto& a = ctx.args;
  Typed<ZSet> t = FindObject<ZSet>(sh, ctx.db, a[src_idx], ctx.now_ms, Access::kRead);
  if (t.wrongtype) {
    out.error = kErrWrongType;
    return out;
  }
  const ZSet* z = t.obj;
  geo::Shape shape;
  size_t base = 0;
  std::string& err = out.error;
  if (flags & kByCoords) {
    base = 6;
    if (!ParseLonLat(a[2], a[3], &shape.lon, &shape.lat, &err)) return out;
    if (!ParseRadius(a[4], a[5], &shape, &err)) return out;
  } else if ((flags & kByMember) && !z) {
    base = 5;
  } else if (flags & kByMember) {
    base = 5;
    if (!MemberLonLat(z, a[2], &shape.lon, &shape.lat)) {
      err = "ERR could not decode requested zset member";
      return out;
    }
    if (!ParseRadius(a[3], a[4], &shape, &err)) return out;
  } else {
    base = 2;
    if (flags & kSearchStore) {
      base = 3;
      out.has_store = true;
      out.store_idx = 1;
    }
  }
  bool frommember = false, fromloc = false, byradius = false, bybox = false, any = false;
  enum { kNone, kAsc, kDesc } sort = kNone;
  int64_t count = 0;
  if (a.size() > base) {
    size_t remaining = a.size() - base;
    for (size_t i = 0; i < remaining; i++) {
      std::string_view arg = a[base + i];
      if (ArgIs(arg, "withdist")) {
        out.withdist = true;
      } else if (ArgIs(arg, "withhash")) {
        out.withhash = true;
      } else if (ArgIs(arg, "withcoord")) {
        out.withcoords = true;
      } else if (ArgIs(arg, "any")) {
        any = true;
      } else if (ArgIs(arg, "asc")) {
        sort = kAsc;
      } else if (ArgIs(arg, "desc")) {
        sort = kDesc;
      } else if (ArgIs(arg, "count") && i + 1 < remaining) {
        if (!ParseInt64(a[base + i + 1], &count)) {
          err = kErrNotInt;
          return out;
        }
        if (count <= 0) {
          err = "ERR COUNT must be > 0";
          return out;
        }
        i++;
      } else if ((ArgIs(arg, "store") || ArgIs(arg, "storedist")) && i + 1 < remaining &&
                 !(flags & kNoStore) && !(flags & kSearch)) {
        out.has_store = true;
        out.store_idx = base + i + 1;
        out.storedist = ArgIs(arg, "storedist");
        i++;
      } else if (ArgIs(arg, "storedist") && (flags & kSearch) && (flags & kSearchStore)) {
        out.storedist = true;
      } else if (ArgIs(arg, "frommember") && i + 1 < remaining && (flags & kSearch) && !fromloc) {
        if (z && !MemberLonLat(z, a[base + i + 1], &shape.lon, &shape.lat)) {
          err = "ERR could not decode requested zset member";
          return out;
        }
        frommember = true;
        i++;
      } else if (ArgIs(arg, "fromlonlat") && i + 2 < remaining && (flags & kSearch) &&
                 !frommember) {
        if (!ParseLonLat(a[base + i + 1], a[base + i + 2], &shape.lon, &shape.lat, &err))
          return out;
        fromloc = true;
        i += 2;
      } else if (ArgIs(arg, "byradius") && i + 2 < remaining && (flags & kSearch) && !bybox) {
        if (!ParseRadius(a[base + i + 1], a[base + i + 2], &shape, &err)) return out;
        shape.box = false;
        byradius = true;
        i += 2;
      } else if (ArgIs(arg, "bybox") && i + 3 < remaining && (flags & kSearch) && !byradius) {
        if (!ParseBox(a[base + i + 1], a[base + i + 2], a[base + i + 3], &shape, &err)) return out;
        shape.box = true;
        bybox = true;
        i += 3;
      } else {
        err = kErrSyntax;
        return out;
      }
    }
  }
  if (out.has_store && (out.withdist || out.withhash || out.withcoords)) {
    err = std::string("ERR ") +
          ((flags & kSearchStore) ? "GEOSEARCHSTORE" : "STORE option in GEORADIUS") +
          " is not compatible with WITHDIST, WITHHASH and WITHCOORD options";
    return out;
  }
  if ((flags & kSearch) && !(frommember || fromloc)) {
    err = "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for " + std::string(a[0]);
    return out;
  }
  if ((flags & kSearch) && !(byradius || bybox)) {
    err = "ERR exactly one of BYRADIUS and BYBOX can be specified for " + std::string(a[0]);
    return out;
  }
  if (any && !count) {
    err = "ERR the ANY argument requires COUNT argument";
    return out;
  }
  if (!z) return out;
  if (count != 0 && sort == kNone && !any) sort = kAsc;

  // Scan the covering cells' score ranges.
  geo::Cover cover = geo::CoverShape(&shape);
  size_t limit = any ? size_t(count) : 0;
  std::vector<GeoPoint>& pts = out.points;
  int last = 0;
  for (int i = 0; i < 9; i++) {
    const geo::Bits& cell = cover.cells[i];
    if (cell.zero()) continue;
    if (last && cell.bits == cover.cells[last].bits && cell.step == cover.cells[last].step)
      continue;
    if (!pts.empty() && limit && pts.size() >= limit) break;
    uint64_t min, max;
    geo::CellScores(cell, &min, &max);
    ZScoreRange r{double(min), double(max), false, true};
    size_t lo = z->CountBelowMin(r), hi = z->CountUpToMax(r);
    if (hi > lo) {
      z->Visit(lo, hi, false, [&](std::string_view m, double score) {
        double lon, lat, dist = 0;
        if (geo::WithinShape(shape, score, &lon, &lat, &dist))
          pts.push_back({std::string(m), lon, lat, dist, score});
        return !(!pts.empty() && limit && pts.size() >= limit);
      });
    }
    last = i;
  }
  size_t returned = (count == 0 || pts.size() < size_t(count)) ? pts.size() : size_t(count);
  if (sort != kNone) {
    auto by = [&](const GeoPoint& x, const GeoPoint& y) {
      return sort == kAsc ? x.dist < y.dist : x.dist > y.dist;
    };
    if (returned == pts.size())
      std::stable_sort(pts.begin(), pts.end(), by);
    else
      std::partial_sort(pts.begin(), pts.begin() + long(returned), pts.end(), by);
  }
  pts.resize(returned);
  for (GeoPoint& p : pts) p.dist /= shape.conversion;
  return out;
}

// The event of a stored result: GEOSEARCHSTORE's, or GEORADIUS[BYMEMBER] ... STORE's.
const char* StoreEvent(int flags) {
  return (flags & kSearch) ? "geosearchstore" : "georadiusstore";
}

// The destination's contents for STORE / STOREDIST / GEOSEARCHSTORE.
std::vector<ZEntry> StoreEntries(const GeoOutcome& o) {
  std::vector<ZEntry> v;
  v.reserve(o.points.size());
  for (const GeoPoint& p : o.points) v.push_back({p.member, o.storedist ? p.dist : p.score});
  return v;
}

void ReplyGeo(resp::ReplyBuilder* rb, const GeoOutcome& o) {
  if (!o.error.empty()) return rb->Error(o.error);
  if (o.has_store) return rb->Integer(int64_t(o.points.size()));
  size_t opts = size_t(o.withdist) + size_t(o.withhash) + size_t(o.withcoords);
  rb->ArrayHeader(o.points.size());
  for (const GeoPoint& p : o.points) {
    if (opts) rb->ArrayHeader(opts + 1);
    rb->Bulk(p.member);
    if (o.withdist) rb->Bulk(geo::FormatDistance(p.dist));
    if (o.withhash) rb->Integer(int64_t(p.score));
    if (o.withcoords) {
      rb->ArrayHeader(2);
      rb->DoubleText(LongDoubleToString(p.lon));
      rb->DoubleText(LongDoubleToString(p.lat));
    }
  }
}

void GeoSearchLocal(CmdContext& ctx, size_t src_idx, int flags) {
  GeoOutcome o = RunGeoSearch(*ctx.shard, ctx, src_idx, flags);
  if (o.error.empty() && o.has_store)
    StoreZSet(*ctx.shard, ctx.db, ctx.args[o.store_idx], StoreEntries(o), ctx.now_ms,
              StoreEvent(flags));
  ReplyGeo(ctx.rb, o);
}

// Across shards: every argument from the source key on is locked (the store key's position is
// only known once the options are parsed, on the source's shard).
Task<void> GeoSearchAcross(CmdContext& ctx, size_t src_idx, int flags) {
  std::vector<size_t> keys;
  for (size_t i = 1; i < ctx.args.size(); i++) keys.push_back(i);
  MultiKeyTx tx(ctx, keys);
  co_await tx.Lock();
  GeoOutcome o;
  co_await Shards().Hop(Shards().ShardOf(KeyHash(ctx.args[src_idx])),
                        [&](Shard& s) { o = RunGeoSearch(s, ctx, src_idx, flags); });
  if (o.error.empty() && o.has_store) {
    std::string_view dst = ctx.args[o.store_idx];
    co_await Shards().Hop(Shards().ShardOf(KeyHash(dst)), [&](Shard& s) {
      StoreZSet(s, ctx.db, dst, StoreEntries(o), ctx.now_ms, StoreEvent(flags));
    });
  }
  co_await tx.Unlock();
  ReplyGeo(ctx.rb, o);
}

void CmdGeoRadius(CmdContext& ctx) { GeoSearchLocal(ctx, 1, kByCoords); }
void CmdGeoRadiusRo(CmdContext& ctx) { GeoSearchLocal(ctx, 1, kByCoords | kNoStore); }
void CmdGeoRadiusByMember(CmdContext& ctx) { GeoSearchLocal(ctx, 1, kByMember); }
void CmdGeoRadiusByMemberRo(CmdContext& ctx) { GeoSearchLocal(ctx, 1, kByMember | kNoStore); }
void CmdGeoSearch(CmdContext& ctx) { GeoSearchLocal(ctx, 1, kSearch); }
void CmdGeoSearchStore(CmdContext& ctx) { GeoSearchLocal(ctx, 2, kSearch | kSearchStore); }
Task<void> MultiGeoRadius(CmdContext& ctx) { return GeoSearchAcross(ctx, 1, kByCoords); }
Task<void> MultiGeoRadiusByMember(CmdContext& ctx) { return GeoSearchAcross(ctx, 1, kByMember); }
Task<void> MultiGeoSearchStore(CmdContext& ctx) {
  return GeoSearchAcross(ctx, 2, kSearch | kSearchStore);
}

}  // namespace

void RegisterGeoCommands(CommandRegistry& r) {
  using namespace cmd;
  const uint32_t W = kWrite | kDenyOom;
  const char* g = "geo";
  const char* search_cx =
      "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area "
      "around the shape provided as the filter and M is the number of items inside the shape";
  r.Add({"geoadd", -5, W, 1, 1, 1, CmdGeoAdd, nullptr, g,
         "Adds one or more members to a geospatial index. The key is created if it doesn't exist.",
         "3.2.0",
         "O(log(N)) for each item added, where N is the number of elements in the sorted set."});
  r.Add({"geopos", -2, kReadOnly, 1, 1, 1, CmdGeoPos, nullptr, g,
         "Returns the longitude and latitude of members from a geospatial index.", "3.2.0",
         "O(N) where N is the number of members requested."});
  r.Add({"geodist", -4, kReadOnly, 1, 1, 1, CmdGeoDist, nullptr, g,
         "Returns the distance between two members of a geospatial index.", "3.2.0", "O(log(N))"});
  r.Add({"geohash", -2, kReadOnly, 1, 1, 1, CmdGeoHash, nullptr, g,
         "Returns members from a geospatial index as geohash strings.", "3.2.0",
         "O(log(N)) for each member requested, where N is the number of elements in the sorted "
         "set."});
  r.Add({"georadius", -6, W, 1, -1, 1, CmdGeoRadius, MultiGeoRadius, g,
         "Queries a geospatial index for members within a distance from a coordinate, optionally "
         "stores the result.",
         "3.2.0", search_cx});
  r.Add({"georadius_ro", -6, kReadOnly, 1, 1, 1, CmdGeoRadiusRo, nullptr, g,
         "Returns members from a geospatial index that are within a distance from a coordinate.",
         "3.2.10", search_cx});
  r.Add({"georadiusbymember", -5, W, 1, -1, 1, CmdGeoRadiusByMember, MultiGeoRadiusByMember, g,
         "Queries a geospatial index for members within a distance from a member, optionally "
         "stores the result.",
         "3.2.0", search_cx});
  r.Add({"georadiusbymember_ro", -5, kReadOnly, 1, 1, 1, CmdGeoRadiusByMemberRo, nullptr, g,
         "Returns members from a geospatial index that are within a distance from a member.",
         "3.2.10", search_cx});
  r.Add({"geosearch", -7, kReadOnly, 1, 1, 1, CmdGeoSearch, nullptr, g,
         "Queries a geospatial index for members inside an area of a box or a circle.", "6.2.0",
         search_cx});
  r.Add({"geosearchstore", -8, W, 1, 2, 1, CmdGeoSearchStore, MultiGeoSearchStore, g,
         "Queries a geospatial index for members inside an area of a box or a circle, optionally "
         "stores the result.",
         "6.2.0", search_cx});
}

}  // namespace strata::kv
