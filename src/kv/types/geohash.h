// Geohash helpers for the GEO commands, which store points in a sorted set: the score of a
// member is its 52-bit interleaved geohash (26 bits of longitude, 26 of latitude, over Web
// Mercator's latitude range), exactly as Redis encodes it, so scores, distances and search
// results agree with Redis bit for bit.
#pragma once

#include <cstdint>
#include <string>

namespace strata::kv::geo {

inline constexpr double kLonMin = -180;
inline constexpr double kLonMax = 180;
inline constexpr double kLatMin = -85.05112878;
inline constexpr double kLatMax = 85.05112878;
inline constexpr int kStepMax = 26;

struct Bits {
  uint64_t bits = 0;
  uint8_t step = 0;
  bool zero() const { return bits == 0 && step == 0; }
};
struct Range {
  double min = 0, max = 0;
};
struct Area {
  Range lon, lat;
};

// Whether (lon, lat) can be indexed.
inline bool ValidLonLat(double lon, double lat) {
  return lon >= kLonMin && lon <= kLonMax && lat >= kLatMin && lat <= kLatMax;
}
// The sorted-set score of a point (assumed valid).
uint64_t EncodeScore(double lon, double lat);
// The centre of the cell a score designates; false if it cannot be decoded.
bool DecodeScore(double score, double* lon, double* lat);
// The 11-character standard geohash string (latitude over [-90, 90]) of a stored score.
std::string HashString(double score);
// Great-circle distance in meters (Redis's haversine and Earth radius).
double Distance(double lon1, double lat1, double lon2, double lat2);
// Four decimals, rounded as Redis's distance replies.
std::string FormatDistance(double d);

// A search shape: a circle (radius) or a box (width x height), in the query's unit; conversion
// turns that unit into meters.
struct Shape {
  bool box = false;
  double lon = 0, lat = 0;
  double radius = 0, width = 0, height = 0;
  double conversion = 1;
  double bounds[4] = {0, 0, 0, 0};  // min lon, min lat, max lon, max lat (filled by Cover)
};

// Whether a stored score lies in the shape; sets its coordinates and distance in meters.
bool WithinShape(const Shape& s, double score, double* lon, double* lat, double* dist);

// The cells to scan for a shape, in Redis's order: the centre cell then north, south, east,
// west, north-east, north-west, south-east, south-west (zero cells are skipped).
struct Cover {
  Bits cells[9];
};
Cover CoverShape(Shape* s);
// The score interval [min, max) of a cell.
void CellScores(Bits cell, uint64_t* min, uint64_t* max);

}  // namespace strata::kv::geo
