// Leaderboard: a game's high-score table served from a sorted set, with PostgreSQL as the record.
//
// Every score change is first committed to the `scores` table (board, player, score), then
// applied to the sorted set with ZINCRBY, so the set never holds a score the table lacks. Reads
// (the top N, a player's rank) come from the sorted set alone: ZREVRANGE ... WITHSCORES and
// ZREVRANK. When the cache is lost (a flush, a restart without persistence) or on start,
// Rebuild() loads the table into a fresh set and swaps it in with RENAME, so readers never see
// a half-built board.
//
// What the cache can miss. A ZINCRBY that fails after its row was committed, or one that lands
// between Rebuild()'s read of the table and its swap, leaves the board behind the table until
// the next Rebuild(): rebuild before serving writes (on start), and after a cache failure.
//
// Order. Higher scores first; equal scores by player name, descending byte order (what
// ZREVRANGE does, and what `ORDER BY score DESC, player COLLATE "C" DESC` gives in SQL).
// Scores are integers and stay exact as long as they fit in a double's 53 bits.
//
// Threads. A Leaderboard uses one pqxx::connection, which is not thread-safe: use one
// Leaderboard per thread (they may share the Client, which is).
#pragma once

#include <cstdint>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "strata/client.h"

namespace strata::examples {

struct ScoreEntry {
  std::string player;
  int64_t score = 0;
  bool operator==(const ScoreEntry&) const = default;
};

class Leaderboard {
 public:
  Leaderboard(Client& cache, pqxx::connection& db, std::string board);

  // Creates the scores table when missing.
  static void CreateSchema(pqxx::connection& db);

  // Loads the board from the table into the cache (replacing what is there). Returns the number
  // of players.
  size_t Rebuild();
  // Adds delta (may be negative) to the player's score; returns the new score.
  int64_t AddScore(const std::string& player, int64_t delta);
  // The best n players, best first.
  std::vector<ScoreEntry> Top(size_t n);
  // The player's 0-based rank (0 = best), nullopt when not on the board.
  std::optional<int64_t> Rank(const std::string& player);
  // The sorted set's key.
  const std::string& key() const { return key_; }

 private:
  Client& cache_;
  pqxx::connection& db_;
  std::string board_;
  std::string key_;
};

}  // namespace strata::examples
