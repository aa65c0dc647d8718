// catalog-example --port 6379 --pg "host=/tmp/pg port=5432 user=strata dbname=strata"
// Creates a few products, reads them through the cache, changes a price, and prints what the
// cache saved the database.
#include <iostream>

#include "catalog/catalog.h"
#include "common/example_args.h"

int main(int argc, char** argv) {
  strata::examples::ExampleArgs args = strata::examples::ParseExampleArgs(argc, argv);
  strata::ClientOptions& server = args.server;
  const std::string& pg = args.pg;
  try {
    pqxx::connection db(pg);
    strata::examples::Catalog::CreateSchema(db);
    strata::examples::Catalog catalog(server, db);
    catalog.LoadKeyFilter();  // ids already in the database
    for (int id = 1; id <= 3; id++) {
      if (!catalog.Get(id)) catalog.Create({id, "product " + std::to_string(id), 10.0 * id, id});
    }
    for (int round = 0; round < 1000; round++) catalog.Get(1 + round % 3);
    catalog.UpdatePrice(2, 19.99);
    std::cout << "product 2 now costs " << catalog.Get(2)->price << "\n";
    std::cout << "1000 reads, " << catalog.db_queries() << " database queries, "
              << catalog.cache_stats().l1_hits << " L1 hits (" << catalog.l1().mode() << ")\n";
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
