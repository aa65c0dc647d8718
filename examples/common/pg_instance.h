// PgInstance: a throwaway PostgreSQL 15 server for the examples and their tests.
//
// The constructor creates a private temporary directory, runs initdb there (trust
// authentication, superuser `strata`), starts `postgres` on a free TCP port of 127.0.0.1 with its
// unix socket in that directory, waits until it accepts connections and creates the database
// asked for. The destructor stops the server (fast shutdown) and removes the directory.
//
// PostgreSQL refuses to run as root. When the process runs as root, the binaries run as the
// unprivileged user `nobody` instead (the child drops its privileges between fork and exec) and
// the directory is handed to that user.
//
// The server is stopped with SIGQUIT (immediate shutdown) if the thread that created the instance
// exits first, so a crashed test leaves no server behind (its directory stays).
//
// Threads. Not thread-safe: one thread creates and destroys an instance, and outlives it;
// conninfo() may be read from any thread while it lives.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace strata::examples {

class PgInstance {
 public:
  // Throws std::runtime_error (with the server's log) when the server cannot be set up.
  explicit PgInstance(std::string database = "strata");
  ~PgInstance();
  PgInstance(const PgInstance&) = delete;
  PgInstance& operator=(const PgInstance&) = delete;

  // A libpq connection string for the database ("host=<socket dir> port=<port> user=strata
  // dbname=<database>").
  const std::string& conninfo() const { return conninfo_; }
  uint16_t port() const { return port_; }
  const std::string& dir() const { return dir_; }

  // Where the PostgreSQL binaries are: $STRATA_PG_BINDIR, else Debian's
  // /usr/lib/postgresql/15/bin.
  static std::string BinDir();
  // Whether initdb and postgres are there (tests skip otherwise).
  static bool Available();

 private:
  // Waits until the server accepts connections, then creates the database. False when the server
  // exited (e.g. its port was taken); throws when it never comes up.
  bool WaitReady(const std::string& database);
  void Stop();
  std::string LogTail() const;

  std::string dir_;
  std::string conninfo_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
  uid_t run_uid_ = 0;
  gid_t run_gid_ = 0;
  bool drop_privileges_ = false;
};

}  // namespace strata::examples
