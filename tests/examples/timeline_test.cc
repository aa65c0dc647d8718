// The timeline example: every reader's timeline equals a SQL query of the posts of the users they
// follow, newest first, whether the authors are fanned out to (normal) or pulled at read time
// (celebrities), including an author who becomes a celebrity midway.
#include "timeline/timeline.h"

#include <map>
#include <random>

#include "example_fixture.h"

namespace strata::examples {
namespace {

class TimelineTest : public ExampleTest {
 protected:
  static constexpr int64_t kThreshold = 3;

  void SetUp() override {
    Start(/*needs_pg=*/true);
    if (IsSkipped()) return;
    Timeline::CreateSchema(*db_);
    tl_ = std::make_unique<Timeline>(*client_, *db_, kThreshold);
  }

  // The truth: the followed users' posts, newest first (ties by id, higher first).
  std::vector<PostRef> FromSql(int64_t reader, size_t n) {
    pqxx::read_transaction tx(*db_);
    std::vector<PostRef> out;
    for (const auto& row :
         tx.exec_params("SELECT p.id, p.author, p.time_us FROM posts p "
                        "JOIN follows f ON f.followee = p.author WHERE f.follower = $1 "
                        "ORDER BY p.time_us DESC, p.id DESC LIMIT $2",
                        reader, static_cast<int64_t>(n))) {
      out.push_back({row[0].as<int64_t>(), row[1].as<int64_t>(), row[2].as<int64_t>()});
    }
    return out;
  }

  void ExpectAllMatchSql(const std::vector<int64_t>& users) {
    for (int64_t u : users) {
      for (size_t n : {size_t{1}, size_t{5}, size_t{1000}}) {
        EXPECT_EQ(tl_->Read(u, n), FromSql(u, n)) << "reader " << u << " n " << n;
      }
    }
  }

  std::unique_ptr<Timeline> tl_;
};

TEST_P(TimelineTest, ReadsMatchSqlForNormalAndCelebrityAuthors) {
  std::vector<int64_t> users;
  for (int i = 0; i < 10; i++) users.push_back(tl_->CreateUser("u" + std::to_string(i)));
  const int64_t star = users[0];
  // users[1..6] follow the star (6 > 3 followers: a celebrity); a random sparse graph besides,
  // where nobody else gets past the threshold.
  for (int i = 1; i <= 6; i++) tl_->Follow(users[i], star);
  std::mt19937 rng(3);
  std::map<int64_t, int> followers;
  for (int i = 0; i < 40; i++) {
    int64_t a = users[rng() % users.size()];
    int64_t b = users[1 + rng() % (users.size() - 1)];
    if (a == b || followers[b] >= static_cast<int>(kThreshold)) continue;
    pqxx::read_transaction tx(*db_);
    bool exists =
        tx.exec_params("SELECT 1 FROM follows WHERE follower = $1 AND followee = $2", a, b)
            .size() == 1;
    tx.commit();
    if (exists) continue;
    tl_->Follow(a, b);
    followers[b]++;
  }
  EXPECT_TRUE(tl_->IsCelebrity(star));
  for (size_t i = 1; i < users.size(); i++) EXPECT_FALSE(tl_->IsCelebrity(users[i]));

  // 80 posts with times that repeat (pairs share a microsecond): ties order by id.
  const int64_t base = 1'700'000'000'000'000;
  for (int i = 0; i < 80; i++) {
    int64_t author = i % 4 == 0 ? star : users[1 + rng() % (users.size() - 1)];
    tl_->Post(author, "post " + std::to_string(i), base + i / 2);
  }
  ExpectAllMatchSql(users);

  // The star's posts were pulled, not pushed: no follower's timeline list holds one.
  for (int i = 1; i <= 6; i++) {
    Reply list = client_->Command({"LRANGE", "timeline:" + std::to_string(users[i]), "0", "-1"});
    for (const Reply& e : list.elements()) {
      EXPECT_NE(e.str().substr(e.str().rfind(':') + 1), std::to_string(star)) << e.str();
    }
  }
}

TEST_P(TimelineTest, PostsOnTheDatabaseClock) {
  int64_t a = tl_->CreateUser("a");
  int64_t b = tl_->CreateUser("b");
  int64_t c = tl_->CreateUser("c");
  tl_->Follow(c, a);
  tl_->Follow(c, b);
  for (int i = 0; i < 20; i++) tl_->Post(i % 3 == 0 ? a : b, "hi");
  ExpectAllMatchSql({a, b, c});
  EXPECT_EQ(tl_->Read(c, 100).size(), 20u);
  EXPECT_TRUE(tl_->Read(a, 100).empty());
}

TEST_P(TimelineTest, AnAuthorWhoBecomesACelebrity) {
  std::vector<int64_t> users;
  for (int i = 0; i < 8; i++) users.push_back(tl_->CreateUser("v" + std::to_string(i)));
  const int64_t rising = users[0];
  tl_->Follow(users[1], rising);
  tl_->Follow(users[2], rising);
  tl_->Follow(users[1], users[3]);
  const int64_t base = 1'800'000'000'000'000;
  int64_t t = base;
  // Fanned out while normal.
  for (int i = 0; i < 6; i++) tl_->Post(i % 2 ? rising : users[3], "early", t++);
  EXPECT_FALSE(tl_->IsCelebrity(rising));
  // Two more followers: 4 > 3, a celebrity from now on. The new followers see the earlier
  // posts too (pulled), the old ones see each post once.
  tl_->Follow(users[4], rising);
  tl_->Follow(users[5], rising);
  EXPECT_TRUE(tl_->IsCelebrity(rising));
  for (int i = 0; i < 6; i++) tl_->Post(i % 2 ? rising : users[3], "late", t++);
  ExpectAllMatchSql(users);
}

TEST_P(TimelineTest, TimelinesAreCapped) {
  Timeline small(*client_, *db_, kThreshold, /*cap=*/40);
  int64_t author = small.CreateUser("prolific");
  int64_t reader = small.CreateUser("reader");
  small.Follow(reader, author);
  const int64_t base = 1'900'000'000'000'000;
  for (int64_t i = 0; i < 70; i++) small.Post(author, "x", base + i);
  EXPECT_EQ(client_->Command({"LLEN", "timeline:" + std::to_string(reader)}).integer(), 40);
  EXPECT_EQ(client_->Command({"LLEN", "posts:" + std::to_string(author)}).integer(), 40);
  // Within the cap, reads still equal the table; past it they stop at the cap.
  EXPECT_EQ(small.Read(reader, 25), FromSql(reader, 25));
  EXPECT_EQ(small.Read(reader, 5000), FromSql(reader, 40));
  // The default cap is the classic 800.
  EXPECT_EQ(kTimelineCap, 800);
}

INSTANTIATE_TEST_SUITE_P(Servers, TimelineTest,
                         ::testing::Values(testing::ServerKind::kStrata,
                                           testing::ServerKind::kRedis),
                         ParamName);

}  // namespace
}  // namespace strata::examples
