// view_counter-example --port 6379 --pg "host=/tmp/pg port=5432 user=strata dbname=strata"
// Counts 1,000 views of a few products, flushes them behind to PostgreSQL, and prints both
// counts.
#include <iostream>

#include "common/example_args.h"
#include "view_counter/view_counter.h"

int main(int argc, char** argv) {
  strata::examples::ExampleArgs args = strata::examples::ParseExampleArgs(argc, argv);
  strata::ClientOptions& server = args.server;
  const std::string& pg = args.pg;
  try {
    strata::Client cache(server);
    pqxx::connection db(pg);
    strata::examples::ViewCounter::CreateSchema(db);
    strata::examples::ViewCounter views(cache);
    for (int i = 0; i < 1000; i++) views.View(1 + i % 4);
    size_t flushed = 0;
    while (views.Backlog() > 0) flushed += strata::examples::ViewCounter::Flush(cache, db);
    pqxx::read_transaction tx(db);
    auto r = tx.exec("SELECT count(*) FROM product_views");
    std::cout << "live count of product 1: " << views.Live(1) << "; flushed " << flushed
              << " views; rows in product_views: " << r[0][0].c_str() << "\n";
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
