// leaderboard-example --port 6379 --pg "host=/tmp/pg port=5432 user=strata dbname=strata"
// Records a few scores, then prints the board and one player's rank.
#include <cstring>
#include <iostream>

#include "leaderboard/leaderboard.h"

int main(int argc, char** argv) {
  strata::ClientOptions options;
  std::string pg;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--port") == 0) options.port = static_cast<uint16_t>(atoi(argv[i + 1]));
    if (strcmp(argv[i], "--pg") == 0) pg = argv[i + 1];
  }
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
