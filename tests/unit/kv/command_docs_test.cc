#include "kv/commands/command_docs.h"

#include <gtest/gtest.h>

#include "kv/commands/command.h"

namespace strata::kv {
namespace {

using Names = std::vector<std::string>;

TEST(CommandDocsTest, FlagNamesInRedisOrder) {
  using namespace cmd;
  EXPECT_EQ(CommandFlagNames(kReadOnly | kFast), (Names{"readonly", "fast"}));
  EXPECT_EQ(CommandFlagNames(kWrite | kDenyOom | kFast), (Names{"write", "denyoom", "fast"}));
  EXPECT_EQ(CommandFlagNames(kAdmin | kNoScript | kLoading | kStale),
            (Names{"admin", "noscript", "loading", "stale"}));
  EXPECT_EQ(CommandFlagNames(kFast | kNoAuth), (Names{"fast", "no_auth"}));
  EXPECT_TRUE(CommandFlagNames(0).empty());
}

TEST(CommandDocsTest, AclCategoriesAsRedisReportsThem) {
  using namespace cmd;
  EXPECT_EQ(CommandAclCategories(kReadOnly | kFast, "string", false),
            (Names{"@read", "@string", "@fast"}));
  EXPECT_EQ(CommandAclCategories(kWrite | kDenyOom, "string", false),
            (Names{"@write", "@string", "@slow"}));
  EXPECT_EQ(CommandAclCategories(kFast, "connection", false), (Names{"@fast", "@connection"}));
  EXPECT_EQ(CommandAclCategories(kAdmin | kNoScript, "server", false),
            (Names{"@admin", "@slow", "@dangerous"}));
  EXPECT_EQ(CommandAclCategories(kWrite, "generic", false),
            (Names{"@keyspace", "@write", "@slow"}));
  EXPECT_EQ(CommandAclCategories(kAdmin, "server", true), (Names{"@slow"}));
}

}  // namespace
}  // namespace strata::kv
