// timeline-example --port 6379 --pg "host=/tmp/pg port=5432 user=strata dbname=strata"
// Builds a tiny social graph with one celebrity, posts, and prints a home timeline.
#include <iostream>

#include "common/example_args.h"
#include "timeline/timeline.h"

int main(int argc, char** argv) {
  strata::examples::ExampleArgs args = strata::examples::ParseExampleArgs(argc, argv);
  strata::ClientOptions& options = args.server;
  const std::string& pg = args.pg;
  try {
    strata::Client cache(options);
    pqxx::connection db(pg);
    strata::examples::Timeline::CreateSchema(db);
    strata::examples::Timeline timeline(cache, db, /*celebrity_threshold=*/2);
    int64_t ann = timeline.CreateUser("ann");
    int64_t bob = timeline.CreateUser("bob");
    int64_t cy = timeline.CreateUser("cy");
    int64_t star = timeline.CreateUser("star");
    for (int64_t fan : {ann, bob, cy}) timeline.Follow(fan, star);  // star: 3 followers
    timeline.Follow(ann, bob);
    timeline.Post(bob, "hello from bob");
    timeline.Post(star, "hello from star (pulled at read time)");
    timeline.Post(bob, "bob again");
    for (const auto& p : timeline.Read(ann, 10)) {
      std::cout << p.time_us << "\tpost " << p.id << " by user " << p.author << "\n";
    }
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
