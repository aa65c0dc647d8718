#include "catalog/catalog.h"

#include <chrono>

namespace strata::examples {

using namespace std::chrono_literals;

void to_json(nlohmann::json& j, const Product& p) {
  j = nlohmann::json{{"id", p.id}, {"name", p.name}, {"price", p.price}, {"sales", p.sales}};
}
void from_json(const nlohmann::json& j, Product& p) {
  j.at("id").get_to(p.id);
  j.at("name").get_to(p.name);
  j.at("price").get_to(p.price);
  j.at("sales").get_to(p.sales);
}

Catalog::Catalog(const ClientOptions& server, pqxx::connection& db)
    : client_(server), fallback_filter_(100000, 0.001), db_(db) {
  TrackingOptions tracking;
  tracking.prefixes = {"product:"};
  l1_ = std::make_unique<TrackedNearCache>(server, NearCacheOptions{.capacity_bytes = 16 << 20},
                                           tracking);
  CacheOptions o;
  o.prefix = "product:";
  o.ttl = 10min;
  o.stale_for = 1min;
  o.null_ttl = 30s;
  products_ = std::make_unique<Cache<Product>>(
      client_, o, [this](const std::string& id) { return Load(std::stoll(id)); });
  products_->bytes().AttachNearCache(l1_.get());
  products_->bytes().AttachServerKeyFilter("product:ids", &fallback_filter_);
  l1_->WaitReady(2s);
}

void Catalog::CreateSchema(pqxx::connection& db) {
  pqxx::work tx(db);
  tx.exec0(
      "CREATE TABLE IF NOT EXISTS products ("
      "  id bigint PRIMARY KEY,"
      "  name text NOT NULL,"
      "  price double precision NOT NULL,"
      "  sales bigint NOT NULL DEFAULT 0)");
  tx.commit();
}

std::optional<Product> Catalog::Load(int64_t id) {
  std::lock_guard<std::mutex> lock(db_mu_);
  db_queries_++;
  pqxx::read_transaction tx(db_);
  pqxx::result r = tx.exec_params("SELECT id, name, price, sales FROM products WHERE id = $1", id);
  if (r.empty()) return std::nullopt;
  return Product{r[0][0].as<int64_t>(), r[0][1].c_str(), r[0][2].as<double>(),
                 r[0][3].as<int64_t>()};
}

std::optional<Product> Catalog::Get(int64_t id) { return products_->Get(std::to_string(id)); }

void Catalog::Create(const Product& p) {
  {
    std::lock_guard<std::mutex> lock(db_mu_);
    pqxx::work tx(db_);
    tx.exec_params0("INSERT INTO products (id, name, price, sales) VALUES ($1, $2, $3, $4)", p.id,
                    p.name, p.price, p.sales);
    tx.commit();
  }
  // Known to the filter, and any cached "absent" for this id dropped.
  products_->bytes().AddKey(std::to_string(p.id));
  products_->Invalidate(std::to_string(p.id));
}

void Catalog::UpdatePrice(int64_t id, double price) {
  products_->Write(std::to_string(id), [&] {
    std::lock_guard<std::mutex> lock(db_mu_);
    pqxx::work tx(db_);
    tx.exec_params0("UPDATE products SET price = $2 WHERE id = $1", id, price);
    tx.commit();
  });
}

size_t Catalog::WarmBestSellers(size_t n) {
  std::vector<std::string> ids;
  {
    std::lock_guard<std::mutex> lock(db_mu_);
    pqxx::read_transaction tx(db_);
    for (const auto& row :
         tx.exec_params("SELECT id FROM products ORDER BY sales DESC, id LIMIT $1", int64_t(n))) {
      ids.push_back(row[0].c_str());
    }
  }
  return products_->bytes().Warm(ids, 8, [this](const std::string& id) {
    auto p = Load(std::stoll(id));
    if (!p) return std::optional<std::string>();
    return std::optional<std::string>(nlohmann::json(*p).dump());
  });
}

size_t Catalog::LoadKeyFilter() {
  std::vector<std::string> ids;
  {
    std::lock_guard<std::mutex> lock(db_mu_);
    pqxx::read_transaction tx(db_);
    for (const auto& row : tx.exec("SELECT id FROM products")) ids.push_back(row[0].c_str());
  }
  for (const std::string& id : ids) products_->bytes().AddKey(id);
  return ids.size();
}

}  // namespace strata::examples
