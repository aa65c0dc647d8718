// The fixture of the examples' tests: a real server (strata-server or redis-server, the test's
// parameter) on a free port, a throwaway PostgreSQL with a connection to it, and a client.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <pqxx/pqxx>

#include "common/pg_instance.h"
#include "strata/client.h"
#include "support/server_process.h"

namespace strata::examples {

class ExampleTest : public ::testing::TestWithParam<testing::ServerKind> {
 protected:
  // needs_pg: whether the test uses the database.
  void Start(bool needs_pg) {
    if (GetParam() == testing::ServerKind::kRedis && testing::RedisServerPath().empty()) {
      GTEST_SKIP() << "redis-server not installed";
    }
    if (needs_pg && !PgInstance::Available()) GTEST_SKIP() << "PostgreSQL 15 not installed";
    server_ = std::make_unique<testing::ServerProcess>(GetParam());
    if (needs_pg) {
      pg_ = std::make_unique<PgInstance>("examples");
      db_ = std::make_unique<pqxx::connection>(pg_->conninfo());
    }
    ClientOptions o;
    o.port = server_->port();
    o.command_timeout = std::chrono::milliseconds(5000);
    client_ = std::make_unique<Client>(o);
    ASSERT_TRUE(client_->WaitConnected(std::chrono::seconds(5)));
  }

  std::unique_ptr<testing::ServerProcess> server_;
  std::unique_ptr<PgInstance> pg_;
  std::unique_ptr<pqxx::connection> db_;
  std::unique_ptr<Client> client_;
};

inline std::string ParamName(const ::testing::TestParamInfo<testing::ServerKind>& info) {
  return testing::KindName(info.param);
}

}  // namespace strata::examples
