// leaderboard-example --port 6379 --pg "host=/tmp/pg port=5432 user=strata dbname=strata"
// Records a few scores, then prints the board and one player's rank.
#include <iostream>

#include "common/example_args.h"
#include "leaderboard/leaderboard.h"

int main(int argc, char** argv) {
  strata::examples::ExampleArgs args = strata::examples::ParseExampleArgs(argc, argv);
  strata::ClientOptions& options = args.server;
  const std::string& pg = args.pg;
  try {
    strata::Client cache(options);
    pqxx::connection db(pg);
    strata::examples::Leaderboard::CreateSchema(db);
    strata::examples::Leaderboard board(cache, db, "demo");
    std::cout << "rebuilt from the table: " << board.Rebuild() << " players\n";
    board.AddScore("ada", 120);
    board.AddScore("grace", 95);
    board.AddScore("linus", 130);
    board.AddScore("ada", 15);
    for (const auto& e : board.Top(10)) std::cout << e.player << "\t" << e.score << "\n";
    std::cout << "ada's rank: " << board.Rank("ada").value_or(-1) << "\n";
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
