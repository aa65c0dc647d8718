// The cache-aside example of README.md ("Using libstrata"), compiled with the examples so the
// README cannot drift from the API. Db stands in for the application's database.
#include <strata/cache.h>

#include <iostream>
#include <map>
#include <string>

struct Db {
  std::map<std::string, std::pair<std::string, double>> rows{{"42", {"lamp", 19.5}}};
  void UpdatePrice(const std::string& id, double price) { rows[id].second = price; }
};

// --- README.md, "Using libstrata" -------------------------------------------------------------
struct Product {
  int id;
  std::string name;
  double price;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Product, id, name, price)

std::optional<Product> FindProduct(Db& db, const std::string& id) {  // your database query
  auto it = db.rows.find(id);
  if (it == db.rows.end()) return std::nullopt;
  return Product{std::stoi(id), it->second.first, it->second.second};
}

int main() {
  strata::ClientOptions server{.host = "127.0.0.1", .port = 6379};
  strata::Client client(server);  // pool, RESP3, reconnects
  strata::TrackedNearCache l1(server, {.capacity_bytes = 64 << 20},
                              {.prefixes = {"product:"}});  // L1, invalidated by the server
  strata::Cache<Product> products(client, {.prefix = "product:",
                                           .ttl = std::chrono::minutes(10),
                                           .stale_for = std::chrono::minutes(1)});
  products.bytes().AttachNearCache(&l1);
  Db db;
  auto p = products.GetOrLoad("42", [&](const std::string& id) { return FindProduct(db, id); });
  // One loader run per key across every process on a miss, absent ids cached briefly.
  products.Write("42", [&] { db.UpdatePrice("42", 9.99); });  // database first, then invalidate
  // --- end of the README example ---
  std::cout << (p ? p->name : "(none)") << "\n";
}
