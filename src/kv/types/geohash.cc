#include "kv/types/geohash.h"

#include <climits>
#include <cmath>
#include <cstring>

namespace strata::kv::geo {
namespace {

constexpr double kDegToRad = M_PI / 180.0;
constexpr double kEarthRadius = 6372797.560856;  // meters, as Redis
constexpr double kMercatorMax = 20037726.37;

// Spreads the low 32 bits of v to the even bit positions.
uint64_t Spread(uint64_t v) {
  v &= 0xffffffffull;
  v = (v | (v << 16)) & 0x0000ffff0000ffffull;
  v = (v | (v << 8)) & 0x00ff00ff00ff00ffull;
  v = (v | (v << 4)) & 0x0f0f0f0f0f0f0f0full;
  v = (v | (v << 2)) & 0x3333333333333333ull;
  v = (v | (v << 1)) & 0x5555555555555555ull;
  return v;
}

// Gathers the even bit positions of v into the low 32 bits.
uint64_t Gather(uint64_t v) {
  v &= 0x5555555555555555ull;
  v = (v | (v >> 1)) & 0x3333333333333333ull;
  v = (v | (v >> 2)) & 0x0f0f0f0f0f0f0f0full;
  v = (v | (v >> 4)) & 0x00ff00ff00ff00ffull;
  v = (v | (v >> 8)) & 0x0000ffff0000ffffull;
  v = (v | (v >> 16)) & 0x00000000ffffffffull;
  return v;
}

// Latitude bits on the even positions, longitude bits on the odd ones.
uint64_t Interleave(uint32_t lat_bits, uint32_t lon_bits) {
  return Spread(lat_bits) | (Spread(lon_bits) << 1);
}

inline Range LonRange() { return {kLonMin, kLonMax}; }
inline Range LatRange() { return {kLatMin, kLatMax}; }

bool Encode(Range lon_r, Range lat_r, double lon, double lat, uint8_t step, Bits* out) {
  if (step == 0 || step > 32) return false;
  if (!ValidLonLat(lon, lat)) return false;
  if (lat < lat_r.min || lat > lat_r.max || lon < lon_r.min || lon > lon_r.max) return false;
  double lat_off = (lat - lat_r.min) / (lat_r.max - lat_r.min);
  double lon_off = (lon - lon_r.min) / (lon_r.max - lon_r.min);
  lat_off *= double(uint64_t(1) << step);
  lon_off *= double(uint64_t(1) << step);
  out->step = step;
  out->bits = Interleave(uint32_t(lat_off), uint32_t(lon_off));
  return true;
}

bool Decode(Range lon_r, Range lat_r, Bits h, Area* out) {
  if (h.zero()) return false;
  uint32_t ilat = uint32_t(Gather(h.bits));
  uint32_t ilon = uint32_t(Gather(h.bits >> 1));
  double cells = double(uint64_t(1) << h.step);
  double lat_scale = lat_r.max - lat_r.min, lon_scale = lon_r.max - lon_r.min;
  out->lat.min = lat_r.min + (ilat * 1.0 / cells) * lat_scale;
  out->lat.max = lat_r.min + ((ilat + 1) * 1.0 / cells) * lat_scale;
  out->lon.min = lon_r.min + (ilon * 1.0 / cells) * lon_scale;
  out->lon.max = lon_r.min + ((ilon + 1) * 1.0 / cells) * lon_scale;
  return true;
}

uint64_t Align52(Bits h) { return h.bits << (52 - h.step * 2); }

// Moves a cell by one along longitude (odd bits) or latitude (even bits), wrapping around.
void MoveLon(Bits* h, int d) {
  if (!d) return;
  uint64_t x = h->bits & 0xaaaaaaaaaaaaaaaaull;
  uint64_t y = h->bits & 0x5555555555555555ull;
  uint64_t zz = 0x5555555555555555ull >> (64 - h->step * 2);
  if (d > 0) {
    x = x + (zz + 1);
  } else {
    x = x | zz;
    x = x - (zz + 1);
  }
  x &= (0xaaaaaaaaaaaaaaaaull >> (64 - h->step * 2));
  h->bits = x | y;
}

void MoveLat(Bits* h, int d) {
  if (!d) return;
  uint64_t x = h->bits & 0xaaaaaaaaaaaaaaaaull;
  uint64_t y = h->bits & 0x5555555555555555ull;
  uint64_t zz = 0xaaaaaaaaaaaaaaaaull >> (64 - h->step * 2);
  if (d > 0) {
    y = y + (zz + 1);
  } else {
    y = y | zz;
    y = y - (zz + 1);
  }
  y &= (0x5555555555555555ull >> (64 - h->step * 2));
  h->bits = x | y;
}

Bits Moved(Bits h, int dlon, int dlat) {
  MoveLon(&h, dlon);
  MoveLat(&h, dlat);
  return h;
}

double LatDistance(double lat1, double lat2) {
  return kEarthRadius * std::fabs(lat2 * kDegToRad - lat1 * kDegToRad);
}

uint8_t StepsForRadius(double meters, double lat) {
  if (meters == 0) return 26;
  int step = 1;
  while (meters < kMercatorMax) {
    meters *= 2;
    step++;
  }
  step -= 2;
  if (lat > 66 || lat < -66) {
    step--;
    if (lat > 80 || lat < -80) step--;
  }
  if (step < 1) step = 1;
  if (step > 26) step = 26;
  return uint8_t(step);
}

}  // namespace

uint64_t EncodeScore(double lon, double lat) {
  Bits h;
  Encode(LonRange(), LatRange(), lon, lat, kStepMax, &h);
  return Align52(h);
}

bool DecodeScore(double score, double* lon, double* lat) {
  Bits h{uint64_t(score), uint8_t(kStepMax)};
  Area a;
  if (!Decode(LonRange(), LatRange(), h, &a)) return false;
  double x = (a.lon.min + a.lon.max) / 2, y = (a.lat.min + a.lat.max) / 2;
  *lon = x > kLonMax ? kLonMax : x < kLonMin ? kLonMin : x;
  *lat = y > kLatMax ? kLatMax : y < kLatMin ? kLatMin : y;
  return true;
}

std::string HashString(double score) {
  static const char kAlphabet[] = "0123456789bcdefghjkmnpqrstuvwxyz";
  double lon, lat;
  if (!DecodeScore(score, &lon, &lat)) return {};
  Bits h;
  Encode({-180, 180}, {-90, 90}, lon, lat, 26, &h);
  std::string out(11, '0');
  for (int i = 0; i < 11; i++) {
    int idx = i == 10 ? 0 : int((h.bits >> (52 - (i + 1) * 5)) & 0x1f);
    out[size_t(i)] = kAlphabet[idx];
  }
  return out;
}

double Distance(double lon1, double lat1, double lon2, double lat2) {
  double lon1r = lon1 * kDegToRad, lon2r = lon2 * kDegToRad;
  double v = std::sin((lon2r - lon1r) / 2);
  if (v == 0.0) return LatDistance(lat1, lat2);
  double lat1r = lat1 * kDegToRad, lat2r = lat2 * kDegToRad;
  double u = std::sin((lat2r - lat1r) / 2);
  double a = u * u + std::cos(lat1r) * std::cos(lat2r) * v * v;
  return 2.0 * kEarthRadius * std::asin(std::sqrt(a));
}

std::string FormatDistance(double d) {
  if (d == 0) return "0.0000";
  long long sv = llrint(d * 10000.0);
  bool neg = sv < 0;
  unsigned long long v =
      neg ? (sv == LLONG_MIN ? (unsigned long long)LLONG_MAX + 1 : (unsigned long long)(-sv))
          : (unsigned long long)sv;
  std::string digits = std::to_string(v);
  if (digits.size() < 5) digits.insert(0, 5 - digits.size(), '0');
  std::string out = neg ? "-" : "";
  out += digits.substr(0, digits.size() - 4);
  out += '.';
  out += digits.substr(digits.size() - 4);
  return out;
}

bool WithinShape(const Shape& s, double score, double* lon, double* lat, double* dist) {
  if (!DecodeScore(score, lon, lat)) return false;
  if (!s.box) {
    *dist = Distance(s.lon, s.lat, *lon, *lat);
    return *dist <= s.radius * s.conversion;
  }
  double w = s.width * s.conversion, h = s.height * s.conversion;
  if (LatDistance(*lat, s.lat) > h / 2) return false;
  if (Distance(*lon, *lat, s.lon, *lat) > w / 2) return false;
  *dist = Distance(s.lon, s.lat, *lon, *lat);
  return true;
}

Cover CoverShape(Shape* s) {
  // The bounding box of the shape.
  double half_h = s->conversion * (s->box ? s->height / 2 : s->radius);
  double half_w = s->conversion * (s->box ? s->width / 2 : s->radius);
  double lat_delta = (half_h / kEarthRadius) / kDegToRad;
  double lon_top = (half_w / kEarthRadius / std::cos((s->lat + lat_delta) * kDegToRad)) / kDegToRad;
  double lon_bottom =
      (half_w / kEarthRadius / std::cos((s->lat - lat_delta) * kDegToRad)) / kDegToRad;
  bool south = s->lat < 0;
  s->bounds[0] = south ? s->lon - lon_bottom : s->lon - lon_top;
  s->bounds[2] = south ? s->lon + lon_bottom : s->lon + lon_top;
  s->bounds[1] = s->lat - lat_delta;
  s->bounds[3] = s->lat + lat_delta;
  double min_lon = s->bounds[0], min_lat = s->bounds[1], max_lon = s->bounds[2],
         max_lat = s->bounds[3];

  double radius =
      s->box ? std::sqrt((s->width / 2) * (s->width / 2) + (s->height / 2) * (s->height / 2))
             : s->radius;
  radius *= s->conversion;
  uint8_t steps = StepsForRadius(radius, s->lat);

  auto cells_at = [&](uint8_t st, Bits* centre, Bits n[8], Area* area) {
    Encode(LonRange(), LatRange(), s->lon, s->lat, st, centre);
    n[0] = Moved(*centre, 0, 1);    // north
    n[1] = Moved(*centre, 0, -1);   // south
    n[2] = Moved(*centre, 1, 0);    // east
    n[3] = Moved(*centre, -1, 0);   // west
    n[4] = Moved(*centre, 1, 1);    // north-east
    n[5] = Moved(*centre, -1, 1);   // north-west
    n[6] = Moved(*centre, 1, -1);   // south-east
    n[7] = Moved(*centre, -1, -1);  // south-west
    Decode(LonRange(), LatRange(), *centre, area);
  };
  Bits centre, n[8];
  Area area;
  cells_at(steps, &centre, n, &area);
  // A neighbour too close to the shape's edge: one step coarser.
  Area north, south_a, east, west;
  Decode(LonRange(), LatRange(), n[0], &north);
  Decode(LonRange(), LatRange(), n[1], &south_a);
  Decode(LonRange(), LatRange(), n[2], &east);
  Decode(LonRange(), LatRange(), n[3], &west);
  bool coarser = north.lat.max < max_lat || south_a.lat.min > min_lat || east.lon.max < max_lon ||
                 west.lon.min > min_lon;
  if (steps > 1 && coarser) {
    steps--;
    cells_at(steps, &centre, n, &area);
  }
  // Drop the neighbours the shape cannot reach.
  if (steps >= 2) {
    if (area.lat.min < min_lat) n[1] = n[6] = n[7] = Bits{};
    if (area.lat.max > max_lat) n[0] = n[4] = n[5] = Bits{};
    if (area.lon.min < min_lon) n[3] = n[7] = n[5] = Bits{};
    if (area.lon.max > max_lon) n[2] = n[6] = n[4] = Bits{};
  }
  Cover c;
  c.cells[0] = centre;
  for (int i = 0; i < 8; i++) c.cells[i + 1] = n[i];
  return c;
}

void CellScores(Bits cell, uint64_t* min, uint64_t* max) {
  *min = Align52(cell);
  cell.bits++;
  *max = Align52(cell);
}

}  // namespace strata::kv::geo
