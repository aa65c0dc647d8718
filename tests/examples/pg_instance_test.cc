// The throwaway PostgreSQL of the examples: it comes up with the database asked for, runs as an
// unprivileged user when we are root, and leaves nothing behind.
#include "common/pg_instance.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <pqxx/pqxx>

namespace strata::examples {
namespace {

class PgInstanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!PgInstance::Available()) GTEST_SKIP() << "PostgreSQL 15 not installed";
  }
};

TEST_F(PgInstanceTest, StartsQueriesAndCleansUp) {
  std::string dir;
  std::string conninfo;
  {
    PgInstance pg("shop");
    dir = pg.dir();
    conninfo = pg.conninfo();
    EXPECT_GT(pg.port(), 0);
    pqxx::connection c(pg.conninfo());
    pqxx::work tx(c);
    pqxx::row row = tx.exec1("SELECT current_database(), current_user, 40 + 2");
    EXPECT_STREQ(row[0].c_str(), "shop");
    EXPECT_STREQ(row[1].c_str(), "strata");
    EXPECT_EQ(row[2].as<int>(), 42);
    // As root, the cluster belongs to an unprivileged user; otherwise to us.
    struct stat st {};
    ASSERT_EQ(stat((dir + "/data").c_str(), &st), 0);
    if (geteuid() == 0) {
      EXPECT_NE(st.st_uid, 0u);
    } else {
      EXPECT_EQ(st.st_uid, geteuid());
    }
    // TCP on 127.0.0.1 works too.
    pqxx::connection tcp("host=127.0.0.1 port=" + std::to_string(pg.port()) +
                         " user=strata dbname=shop");
    EXPECT_TRUE(tcp.is_open());
  }
  EXPECT_FALSE(std::filesystem::exists(dir));
  EXPECT_THROW(pqxx::connection{conninfo}, pqxx::broken_connection);
}

TEST_F(PgInstanceTest, TwoAtOnce) {
  PgInstance a("one");
  PgInstance b("two");
  EXPECT_NE(a.port(), b.port());
  pqxx::connection ca(a.conninfo());
  pqxx::connection cb(b.conninfo());
  {
    pqxx::work tx(ca);
    tx.exec0("CREATE TABLE t (x int)");
    tx.commit();
  }
  pqxx::work tx(cb);
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM pg_tables WHERE tablename = 't'")[0].as<int>(), 0);
}

TEST_F(PgInstanceTest, MissingBinariesThrow) {
  const std::string saved = PgInstance::BinDir();
  setenv("STRATA_PG_BINDIR", "/nonexistent", 1);
  EXPECT_FALSE(PgInstance::Available());
  EXPECT_THROW(PgInstance pg("x"), std::runtime_error);
  setenv("STRATA_PG_BINDIR", saved.c_str(), 1);
  EXPECT_TRUE(PgInstance::Available());
}

}  // namespace
}  // namespace strata::examples
