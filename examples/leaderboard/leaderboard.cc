#include "leaderboard/leaderboard.h"

#include <utility>

namespace strata::examples {

namespace {
// ZADD in batches of this many members per command.
constexpr size_t kRebuildBatch = 500;
}  // namespace

Leaderboard::Leaderboard(Client& cache, pqxx::connection& db, std::string board)
    : cache_(cache), db_(db), board_(std::move(board)) {
  // One hash tag for the board and its rebuild copy, so RENAME stays on one shard.
  key_ = "leaderboard:{" + board_ + "}";
}

void Leaderboard::CreateSchema(pqxx::connection& db) {
  pqxx::work tx(db);
  tx.exec0(
      "CREATE TABLE IF NOT EXISTS scores ("
      "  board text NOT NULL,"
      "  player text COLLATE \"C\" NOT NULL,"
      "  score bigint NOT NULL DEFAULT 0,"
      "  PRIMARY KEY (board, player))");
  tx.commit();
}

size_t Leaderboard::Rebuild() {
  pqxx::result rows;
  {
    pqxx::read_transaction tx(db_);
    rows = tx.exec_params("SELECT player, score FROM scores WHERE board = $1", board_);
  }
  const std::string tmp = key_ + ":rebuild";
  std::vector<Args> cmds;
  cmds.push_back({"DEL", tmp});
  Args zadd;
  for (size_t i = 0; i < rows.size(); i++) {
    if (zadd.empty()) zadd = {"ZADD", tmp};
    zadd.push_back(rows[i][1].c_str());
    zadd.push_back(rows[i][0].c_str());
    if (zadd.size() >= 2 + 2 * kRebuildBatch) cmds.push_back(std::exchange(zadd, {}));
  }
  if (!zadd.empty()) cmds.push_back(std::move(zadd));
  for (const Reply& r : cache_.Pipeline(std::move(cmds))) {
    if (r.is_error()) throw ServerError(r.str());
  }
  // The swap: readers see the old board or the new one, never a partial one.
  if (rows.empty()) {
    cache_.Del(key_);
  } else {
    cache_.Command({"RENAME", tmp, key_});
  }
  return rows.size();
}

int64_t Leaderboard::AddScore(const std::string& player, int64_t delta) {
  int64_t score = 0;
  {
    pqxx::work tx(db_);
    pqxx::row row = tx.exec_params1(
        "INSERT INTO scores (board, player, score) VALUES ($1, $2, $3) "
        "ON CONFLICT (board, player) DO UPDATE SET score = scores.score + EXCLUDED.score "
        "RETURNING score",
        board_, player, delta);
    score = row[0].as<int64_t>();
    tx.commit();
  }
  // The record is committed; now the cache. ZINCRBY commutes, so concurrent writers of one
  // player still add up to the table's total.
  cache_.Command({"ZINCRBY", key_, std::to_string(delta), player});
  return score;
}

std::vector<ScoreEntry> Leaderboard::Top(size_t n) {
  std::vector<ScoreEntry> out;
  if (n == 0) return out;
  Reply r = cache_.Command({"ZREVRANGE", key_, "0", std::to_string(n - 1), "WITHSCORES"});
  // RESP3 sends [member, score] pairs; RESP2 a flat list member, score, member, score.
  const auto& el = r.elements();
  if (!el.empty() && el[0].is_aggregate()) {
    for (const Reply& pair : el) {
      out.push_back({pair[0].str(), static_cast<int64_t>(pair[1].as_double())});
    }
  } else {
    for (size_t i = 0; i + 1 < el.size(); i += 2) {
      out.push_back({el[i].str(), static_cast<int64_t>(el[i + 1].as_double())});
    }
  }
  return out;
}

std::optional<int64_t> Leaderboard::Rank(const std::string& player) {
  Reply r = cache_.Command({"ZREVRANK", key_, player});
  if (r.is_nil()) return std::nullopt;
  return r.integer();
}

}  // namespace strata::examples
