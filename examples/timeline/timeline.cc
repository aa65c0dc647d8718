#include "timeline/timeline.h"

#include <algorithm>
#include <charconv>
#include <set>

namespace strata::examples {

namespace {

std::string TimelineKey(int64_t user) { return "timeline:" + std::to_string(user); }
std::string PostsKey(int64_t user) { return "posts:" + std::to_string(user); }
std::string FollowingKey(int64_t user) { return "following:" + std::to_string(user); }
constexpr const char* kCelebrities = "celebrities";

std::string Encode(const PostRef& p) {
  return std::to_string(p.time_us) + ":" + std::to_string(p.id) + ":" + std::to_string(p.author);
}

std::optional<PostRef> Decode(const std::string& s) {
  PostRef p;
  const char* b = s.data();
  const char* e = s.data() + s.size();
  auto r = std::from_chars(b, e, p.time_us);
  if (r.ec != std::errc() || r.ptr == e || *r.ptr != ':') return std::nullopt;
  r = std::from_chars(r.ptr + 1, e, p.id);
  if (r.ec != std::errc() || r.ptr == e || *r.ptr != ':') return std::nullopt;
  r = std::from_chars(r.ptr + 1, e, p.author);
  if (r.ec != std::errc() || r.ptr != e) return std::nullopt;
  return p;
}

bool Newer(const PostRef& a, const PostRef& b) {
  return a.time_us != b.time_us ? a.time_us > b.time_us : a.id > b.id;
}

void CheckReplies(const std::vector<Reply>& replies) {
  for (const Reply& r : replies) {
    if (r.is_error()) throw ServerError(r.str());
  }
}

}  // namespace

Timeline::Timeline(Client& cache, pqxx::connection& db, int64_t celebrity_threshold, int64_t cap)
    : cache_(cache), db_(db), threshold_(celebrity_threshold), cap_(cap < 1 ? 1 : cap) {}

void Timeline::CreateSchema(pqxx::connection& db) {
  pqxx::work tx(db);
  tx.exec0(
      "CREATE TABLE IF NOT EXISTS users ("
      "  id bigserial PRIMARY KEY,"
      "  name text NOT NULL)");
  tx.exec0(
      "CREATE TABLE IF NOT EXISTS follows ("
      "  follower bigint NOT NULL REFERENCES users(id),"
      "  followee bigint NOT NULL REFERENCES users(id),"
      "  PRIMARY KEY (follower, followee))");
  tx.exec0("CREATE INDEX IF NOT EXISTS follows_followee ON follows (followee)");
  tx.exec0(
      "CREATE TABLE IF NOT EXISTS posts ("
      "  id bigserial PRIMARY KEY,"
      "  author bigint NOT NULL REFERENCES users(id),"
      "  body text NOT NULL,"
      "  time_us bigint NOT NULL)");
  tx.exec0("CREATE INDEX IF NOT EXISTS posts_author_time ON posts (author, time_us DESC)");
  tx.commit();
}

int64_t Timeline::CreateUser(const std::string& name) {
  pqxx::work tx(db_);
  int64_t id =
      tx.exec_params1("INSERT INTO users (name) VALUES ($1) RETURNING id", name)[0].as<int64_t>();
  tx.commit();
  return id;
}

void Timeline::Follow(int64_t follower, int64_t followee) {
  int64_t followers = 0;
  {
    pqxx::work tx(db_);
    tx.exec_params(
        "INSERT INTO follows (follower, followee) VALUES ($1, $2) ON CONFLICT DO NOTHING", follower,
        followee);
    followers = tx.exec_params1("SELECT count(*) FROM follows WHERE followee = $1", followee)[0]
                    .as<int64_t>();
    tx.commit();
  }
  std::vector<Args> cmds;
  cmds.push_back({"SADD", FollowingKey(follower), std::to_string(followee)});
  if (followers > threshold_) cmds.push_back({"SADD", kCelebrities, std::to_string(followee)});
  CheckReplies(cache_.Pipeline(std::move(cmds)));
}

bool Timeline::IsCelebrity(int64_t user) {
  return cache_.Command({"SISMEMBER", kCelebrities, std::to_string(user)}).integer() == 1;
}

PostRef Timeline::Post(int64_t author, const std::string& body, std::optional<int64_t> time_us) {
  PostRef p;
  p.author = author;
  std::vector<int64_t> followers;
  {
    pqxx::work tx(db_);
    pqxx::row row = time_us ? tx.exec_params1(
                                  "INSERT INTO posts (author, body, time_us) VALUES ($1, $2, $3) "
                                  "RETURNING id, time_us",
                                  author, body, *time_us)
                            : tx.exec_params1(
                                  "INSERT INTO posts (author, body, time_us) VALUES ($1, $2, "
                                  "(extract(epoch FROM clock_timestamp()) * 1000000)::bigint) "
                                  "RETURNING id, time_us",
                                  author, body);
    p.id = row[0].as<int64_t>();
    p.time_us = row[1].as<int64_t>();
    tx.commit();
  }
  const std::string ref = Encode(p);
  const std::string cap = std::to_string(cap_ - 1);
  std::vector<Args> cmds;
  cmds.push_back({"LPUSH", PostsKey(author), ref});
  cmds.push_back({"LTRIM", PostsKey(author), "0", cap});
  if (!IsCelebrity(author)) {
    pqxx::read_transaction tx(db_);
    for (const auto& row :
         tx.exec_params("SELECT follower FROM follows WHERE followee = $1", author)) {
      const std::string key = TimelineKey(row[0].as<int64_t>());
      cmds.push_back({"LPUSH", key, ref});
      cmds.push_back({"LTRIM", key, "0", cap});
    }
  }
  CheckReplies(cache_.Pipeline(std::move(cmds)));
  return p;
}

std::vector<PostRef> Timeline::Read(int64_t reader, size_t n) {
  std::vector<PostRef> out;
  if (n == 0) return out;
  const std::string last = std::to_string(std::min<int64_t>(n, cap_) - 1);
  // The pushed timeline and the followed celebrities in one round trip, then their posts.
  auto first = cache_.Pipeline(
      {{"LRANGE", TimelineKey(reader), "0", last}, {"SINTER", FollowingKey(reader), kCelebrities}});
  CheckReplies(first);
  std::vector<Args> pulls;
  for (const Reply& celeb : first[1].elements()) {
    pulls.push_back({"LRANGE", "posts:" + celeb.str(), "0", last});
  }
  std::vector<Reply> pulled;
  if (!pulls.empty()) {
    pulled = cache_.Pipeline(std::move(pulls));
    CheckReplies(pulled);
  }
  std::set<int64_t> seen;
  auto add = [&](const Reply& list) {
    for (const Reply& e : list.elements()) {
      if (auto p = Decode(e.str()); p && seen.insert(p->id).second) out.push_back(*p);
    }
  };
  add(first[0]);
  for (const Reply& list : pulled) add(list);
  std::sort(out.begin(), out.end(), Newer);
  if (out.size() > n) out.resize(n);
  return out;
}

}  // namespace strata::examples
