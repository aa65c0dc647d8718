// Timeline: a home timeline (the recent posts of the users one follows), Twitter-style.
//
// PostgreSQL is the record: users, follows (follower -> followee) and posts (author, body, time).
// The cache holds, per user, lists of recent post references, newest first:
//   timeline:<user>  the posts pushed to the user at write time (fan-out on write)
//   posts:<author>   the author's own recent posts
// both capped at `cap` entries (LPUSH + LTRIM; 800 unless set otherwise). A reference is
// "<time_us>:<id>:<author>".
//
// Fan-out. Posting pushes the reference to every follower's timeline, one pipelined batch. That
// is cheap for most authors and ruinous for an author with millions of followers, so authors
// with more than `celebrity_threshold` followers ("celebrities", kept in the set `celebrities`)
// are not fanned out: reading a timeline pulls the recent posts of the celebrities the reader
// follows (SINTER following:<reader> celebrities, then their posts:<author> lists) and merges
// them with the pushed timeline by time. A user who becomes a celebrity may have older posts in
// both places; the merge drops duplicates.
//
// Follows apply to posts made after them (older posts of a normal author are not back-filled).
//
// Threads. A Timeline uses one pqxx::connection, which is not thread-safe: one Timeline per
// thread (they may share the Client).
#pragma once

#include <cstdint>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "strata/client.h"

namespace strata::examples {

inline constexpr int64_t kTimelineCap = 800;

struct PostRef {
  int64_t id = 0;
  int64_t author = 0;
  int64_t time_us = 0;  // microseconds since the Unix epoch
  bool operator==(const PostRef&) const = default;
};

class Timeline {
 public:
  // cap: the length of each cached list (kTimelineCap by default).
  Timeline(Client& cache, pqxx::connection& db, int64_t celebrity_threshold,
           int64_t cap = kTimelineCap);

  // Creates the tables when missing.
  static void CreateSchema(pqxx::connection& db);

  // Adds a user; returns its id.
  int64_t CreateUser(const std::string& name);
  // follower follows followee (again: no change). May make followee a celebrity.
  void Follow(int64_t follower, int64_t followee);
  // Records a post and pushes it to the followers' timelines (unless the author is a
  // celebrity). time_us: when it was posted, default now (the database's clock).
  PostRef Post(int64_t author, const std::string& body,
               std::optional<int64_t> time_us = std::nullopt);
  // The reader's n most recent posts (of the users they follow), newest first; ties in time by
  // id, higher first. At most `cap` of them: older ones are no longer cached.
  std::vector<PostRef> Read(int64_t reader, size_t n);
  bool IsCelebrity(int64_t user);

 private:
  Client& cache_;
  pqxx::connection& db_;
  int64_t threshold_;
  int64_t cap_;
};

}  // namespace strata::examples
