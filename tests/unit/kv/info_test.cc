#include "kv/commands/info.h"

#include <gtest/gtest.h>

#include <string_view>
#include <vector>

namespace strata::kv {
namespace {

std::set<std::string> Select(std::vector<std::string_view> args) {
  return SelectInfoSections(args);
}

TEST(InfoTest, BytesToHumanMatchesRedis) {
  EXPECT_EQ(BytesToHuman(0), "0B");
  EXPECT_EQ(BytesToHuman(1023), "1023B");
  EXPECT_EQ(BytesToHuman(1024), "1.00K");
  EXPECT_EQ(BytesToHuman(916744), "895.26K");
  EXPECT_EQ(BytesToHuman(12062720), "11.50M");
  EXPECT_EQ(BytesToHuman(25276514304ULL), "23.54G");
  EXPECT_EQ(BytesToHuman(3ULL << 40), "3.00T");
}

TEST(InfoTest, SectionSelection) {
  auto def = Select({});
  EXPECT_TRUE(def.count("server"));
  EXPECT_TRUE(def.count("keyspace"));
  EXPECT_TRUE(def.count("errorstats"));
  EXPECT_FALSE(def.count("commandstats"));
  EXPECT_FALSE(def.count("latencystats"));
  EXPECT_EQ(Select({"default"}), def);

  auto all = Select({"all"});
  EXPECT_TRUE(all.count("commandstats"));
  EXPECT_TRUE(all.count("latencystats"));
  EXPECT_EQ(Select({"EVERYTHING"}), all);

  EXPECT_EQ(Select({"CPU", "keyspace"}), (std::set<std::string>{"cpu", "keyspace"}));
  EXPECT_TRUE(Select({"nosuch"}).empty());
  EXPECT_EQ(Select({"commandstats", "nosuch"}), (std::set<std::string>{"commandstats"}));
}

TEST(InfoTest, FormatsSectionsInRedisOrderWithSeparators) {
  InfoData d;
  d.cpu_sys = 0.5;
  d.cpu_user = 0.25;
  d.dbs = {{3, 1}, {0, 0}, {7, 0}};
  std::string text = FormatInfo(d, {"keyspace", "cpu"});
  EXPECT_EQ(
      text,
      "# CPU\r\nused_cpu_sys:0.500000\r\nused_cpu_user:0.250000\r\n"
      "used_cpu_sys_children:0.000000\r\nused_cpu_user_children:0.000000\r\n"
      "used_cpu_sys_main_thread:0.000000\r\nused_cpu_user_main_thread:0.000000\r\n"
      "\r\n# Keyspace\r\ndb0:keys=3,expires=1,avg_ttl=0\r\ndb2:keys=7,expires=0,avg_ttl=0\r\n");
  EXPECT_EQ(FormatInfo(d, {}), "");
  EXPECT_EQ(FormatInfo(InfoData{}, {"keyspace"}), "# Keyspace\r\n");
}

TEST(InfoTest, ServerMemoryAndStatsFields) {
  InfoData d;
  d.tcp_port = 7000;
  d.uptime_s = 2 * 86400 + 5;
  d.used_memory = 2048;
  d.used_memory_rss = 4096;
  d.used_memory_peak = 1024;  // below used: reported as used
  d.maxmemory = 100 * 1024 * 1024;
  d.maxmemory_policy = "allkeys-lru";
  d.totals.commands = 42;
  d.totals.error_replies = 3;
  d.shard.keyspace_hits = 5;
  d.shard.expired_keys = 9;
  d.rates.ops_per_sec = 12.7;
  std::string text = FormatInfo(d, {"server", "memory", "stats", "replication"});
  for (const char* want : {"# Server\r\n",
                           "redis_version:7.0.15\r\n",
                           "redis_mode:standalone\r\n",
                           "multiplexing_api:epoll\r\n",
                           "tcp_port:7000\r\n",
                           "uptime_in_days:2\r\n",
                           "io_threads_active:0\r\n",
                           "used_memory:2048\r\n",
                           "used_memory_human:2.00K\r\n",
                           "used_memory_peak:2048\r\n",
                           "used_memory_rss_human:4.00K\r\n",
                           "maxmemory_human:100.00M\r\n",
                           "maxmemory_policy:allkeys-lru\r\n",
                           "mem_fragmentation_ratio:2.00\r\n",
                           "total_commands_processed:42\r\n",
                           "instantaneous_ops_per_sec:12\r\n",
                           "total_error_replies:3\r\n",
                           "keyspace_hits:5\r\n",
                           "expired_keys:9\r\n",
                           "role:master\r\n",
                           "connected_slaves:0\r\n"}) {
    EXPECT_NE(text.find(want), std::string::npos) << want;
  }
  EXPECT_EQ(text.find("# Clients"), std::string::npos);
}

TEST(InfoTest, CommandStatsListOnlyCommandsThatRan) {
  InfoData d;
  d.commands.push_back({"get", {4, 10, 0, 1}});
  d.commands.push_back({"set", {0, 0, 0, 0}});
  d.commands.push_back({"mset", {0, 0, 2, 0}});
  std::string text = FormatInfo(d, {"commandstats"});
  EXPECT_EQ(text,
            "# Commandstats\r\n"
            "cmdstat_get:calls=4,usec=10,usec_per_call=2.50,rejected_calls=0,failed_calls=1\r\n"
            "cmdstat_mset:calls=0,usec=0,usec_per_call=0.00,rejected_calls=2,failed_calls=0\r\n");
}

TEST(InfoTest, ErrorStats) {
  InfoData d;
  EXPECT_EQ(FormatInfo(d, {"errorstats"}), "# Errorstats\r\n");
  d.errors = {{"ERR", 3}, {"WRONGTYPE", 1}};
  EXPECT_EQ(FormatInfo(d, {"errorstats"}),
            "# Errorstats\r\nerrorstat_ERR:count=3\r\nerrorstat_WRONGTYPE:count=1\r\n");
}

}  // namespace
}  // namespace strata::kv
