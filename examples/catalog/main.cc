// catalog-example --port 6379 --pg "host=/tmp/pg port=5432 user=strata dbname=strata"
// Creates a few products, reads them through the cache, changes a price, and prints what the
// cache saved the database.
#include <cstring>
#include <iostream>

#include "catalog/catalog.h"

int main(int argc, char** argv) {
  strata::ClientOptions server;
  std::string pg;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--port") == 0) server.port = static_cast<uint16_t>(atoi(argv[i + 1]));
    if (strcmp(argv[i], "--pg") == 0) pg = argv[i + 1];
  }
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
