// The leaderboard example: the board read from the cache equals the scores table ordered in SQL,
// after random updates and after the cache is flushed and rebuilt from the table.
#include "leaderboard/leaderboard.h"

#include <random>

#include "example_fixture.h"

namespace strata::examples {
namespace {

class LeaderboardTest : public ExampleTest {
 protected:
  void SetUp() override {
    Start(/*needs_pg=*/true);
    if (IsSkipped()) return;
    Leaderboard::CreateSchema(*db_);
  }

  // The truth: the table, best first, ties by player name descending (ZREVRANGE's order).
  std::vector<ScoreEntry> FromSql(const std::string& board) {
    pqxx::read_transaction tx(*db_);
    std::vector<ScoreEntry> out;
    for (const auto& row : tx.exec_params(
             "SELECT player, score FROM scores WHERE board = $1 ORDER BY score DESC, player DESC",
             board)) {
      out.push_back({row[0].c_str(), row[1].as<int64_t>()});
    }
    return out;
  }

  void ExpectMatchesSql(Leaderboard& lb, const std::string& board) {
    std::vector<ScoreEntry> want = FromSql(board);
    ASSERT_FALSE(want.empty());
    EXPECT_EQ(lb.Top(want.size() + 10), want);
    std::vector<ScoreEntry> top5(want.begin(), want.begin() + std::min<size_t>(5, want.size()));
    EXPECT_EQ(lb.Top(5), top5);
    for (size_t i = 0; i < want.size(); i++) {
      EXPECT_EQ(lb.Rank(want[i].player), static_cast<int64_t>(i)) << want[i].player;
    }
  }

  void RandomUpdates(Leaderboard& lb, int n, uint32_t seed) {
    std::mt19937 rng(seed);
    for (int i = 0; i < n; i++) {
      // Few players and small deltas: many ties, which must order alike on both sides.
      std::string player = "p" + std::to_string(rng() % 25);
      int64_t delta = static_cast<int64_t>(rng() % 41) - 10;
      lb.AddScore(player, delta);
    }
  }
};

TEST_P(LeaderboardTest, OrderAndRanksMatchSqlAfterRandomUpdates) {
  Leaderboard lb(*client_, *db_, "season1");
  EXPECT_EQ(lb.Rebuild(), 0u);
  RandomUpdates(lb, 300, 7);
  ExpectMatchesSql(lb, "season1");
  EXPECT_EQ(lb.Rank("nobody"), std::nullopt);
  EXPECT_EQ(lb.Top(0), std::vector<ScoreEntry>{});
  // AddScore returns the table's new total.
  int64_t before = FromSql("season1").front().score;
  EXPECT_EQ(lb.AddScore(FromSql("season1").front().player, 5), before + 5);
}

TEST_P(LeaderboardTest, RebuildAfterFlushMatchesSql) {
  Leaderboard lb(*client_, *db_, "season2");
  RandomUpdates(lb, 200, 11);
  client_->Command({"FLUSHALL"});
  EXPECT_EQ(lb.Top(10), std::vector<ScoreEntry>{});
  EXPECT_EQ(lb.Rebuild(), FromSql("season2").size());
  ExpectMatchesSql(lb, "season2");
  // Updates after the rebuild keep the two in step.
  RandomUpdates(lb, 100, 12);
  ExpectMatchesSql(lb, "season2");
  // A rebuild over a stale board replaces it (members the table lacks disappear).
  client_->Command({"ZADD", lb.key(), "1000000", "ghost"});
  lb.Rebuild();
  EXPECT_EQ(lb.Rank("ghost"), std::nullopt);
  ExpectMatchesSql(lb, "season2");
}

TEST_P(LeaderboardTest, StartsFromTheTable) {
  // Scores written to the table by someone else (a batch job, another service): the board is
  // built from them on start. More rows than one ZADD batch.
  {
    pqxx::work tx(*db_);
    tx.exec0(
        "INSERT INTO scores (board, player, score) "
        "SELECT 'imported', 'player' || g, (g * 7919) % 1000 FROM generate_series(1, 1200) g");
    tx.commit();
  }
  Leaderboard lb(*client_, *db_, "imported");
  EXPECT_EQ(lb.Rebuild(), 1200u);
  EXPECT_EQ(client_->Command({"ZCARD", lb.key()}).integer(), 1200);
  ExpectMatchesSql(lb, "imported");
  // Boards do not mix.
  Leaderboard other(*client_, *db_, "other");
  other.AddScore("solo", 3);
  EXPECT_EQ(other.Top(10), (std::vector<ScoreEntry>{{"solo", 3}}));
  EXPECT_EQ(lb.Rank("solo"), std::nullopt);
}

INSTANTIATE_TEST_SUITE_P(Servers, LeaderboardTest,
                         ::testing::Values(testing::ServerKind::kStrata,
                                           testing::ServerKind::kRedis),
                         ParamName);

}  // namespace
}  // namespace strata::examples
