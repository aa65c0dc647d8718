#include "common/pg_instance.h"

#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <pqxx/pqxx>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

namespace strata::examples {
namespace {

using namespace std::chrono_literals;

uint16_t FreeTcpPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    close(fd);
    throw std::runtime_error("no free port");
  }
  close(fd);
  return ntohs(a.sin_port);
}

// Starts argv[0] with its output appended to `log`, in `cwd`, as (uid, gid) when `drop` is set.
// Everything the child needs is prepared before fork(): between fork and exec it only makes
// system calls.
pid_t Spawn(const std::vector<std::string>& argv, const std::string& cwd, const std::string& log,
            bool drop, uid_t uid, gid_t gid) {
  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  int logfd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (logfd < 0) throw std::runtime_error("cannot open " + log);
  int nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    if (chdir(cwd.c_str()) != 0) _exit(126);
    if (drop && (setgroups(0, nullptr) != 0 || setgid(gid) != 0 || setuid(uid) != 0)) _exit(126);
    // Should this process die without stopping the server (a crashed or killed test), the
    // server goes too (immediate shutdown). Set after the credentials change, which clears it.
    prctl(PR_SET_PDEATHSIG, SIGQUIT);
    if (getppid() != parent) _exit(125);
    if (nullfd >= 0) dup2(nullfd, 0);
    dup2(logfd, 1);
    dup2(logfd, 2);
    execv(cargv[0], cargv.data());
    _exit(127);
  }
  close(logfd);
  if (nullfd >= 0) close(nullfd);
  if (pid < 0) throw std::runtime_error("fork() failed");
  return pid;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

std::string PgInstance::BinDir() {
  if (const char* d = getenv("STRATA_PG_BINDIR"); d != nullptr && *d != '\0') return d;
  return "/usr/lib/postgresql/15/bin";
}

bool PgInstance::Available() {
  return access((BinDir() + "/initdb").c_str(), X_OK) == 0 &&
         access((BinDir() + "/postgres").c_str(), X_OK) == 0;
}

PgInstance::PgInstance(std::string database) {
  // $TMPDIR, unless we are root (the unprivileged user must reach the directory, and /tmp is
  // open to all) or it is too long for the socket's path (at most 107 bytes).
  std::string base = std::filesystem::temp_directory_path().string();
  if (geteuid() == 0 || base.size() > 64) base = "/tmp";
  std::string tmpl = base + "/strata-pg-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  try {
    if (geteuid() == 0) {
      // postgres will not run as root: run it as nobody, owner of the directory.
      drop_privileges_ = true;
      run_uid_ = 65534;
      run_gid_ = 65534;
      if (passwd* pw = getpwnam("nobody"); pw != nullptr) {
        run_uid_ = pw->pw_uid;
        run_gid_ = pw->pw_gid;
      }
      if (chown(dir_.c_str(), run_uid_, run_gid_) != 0) {
        throw std::runtime_error("cannot chown " + dir_);
      }
    }
    const std::string log = dir_ + "/server.log";
    const std::string data = dir_ + "/data";
    // The log is created by its future writer, so the dropped child may append to it.
    int fd = open(log.c_str(), O_WRONLY | O_CREAT, 0644);
    if (fd >= 0) {
      if (drop_privileges_ && fchown(fd, run_uid_, run_gid_) != 0) {
        close(fd);
        throw std::runtime_error("cannot chown " + log);
      }
      close(fd);
    }

    // initdb, without fsync: the cluster lives only as long as this object.
    pid_t init = Spawn({BinDir() + "/initdb", "-D", data, "-A", "trust", "-U", "strata", "-E",
                        "UTF8", "--locale=C", "--no-sync"},
                       dir_, log, drop_privileges_, run_uid_, run_gid_);
    int status = 0;
    waitpid(init, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      throw std::runtime_error("initdb failed:\n" + LogTail());
    }

    // The port was free a moment ago; should someone take it before postgres binds it, postgres
    // exits and the next attempt takes another.
    for (int attempt = 1;; attempt++) {
      port_ = FreeTcpPort();
      pid_ = Spawn(
          {BinDir() + "/postgres", "-D", data, "-p", std::to_string(port_), "-k", dir_, "-c",
           "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off", "-c",
           "full_page_writes=off", "-c", "max_connections=20", "-c", "shared_buffers=16MB"},
          dir_, log, drop_privileges_, run_uid_, run_gid_);
      if (WaitReady(database)) break;
      if (attempt == 3) throw std::runtime_error("postgres exited:\n" + LogTail());
    }
    conninfo_ =
        "host=" + dir_ + " port=" + std::to_string(port_) + " user=strata dbname=" + database;
  } catch (...) {
    Stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    throw;
  }
}

PgInstance::~PgInstance() {
  Stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

bool PgInstance::WaitReady(const std::string& database) {
  const std::string admin =
      "host=" + dir_ + " port=" + std::to_string(port_) + " user=strata dbname=postgres";
  auto deadline = std::chrono::steady_clock::now() + 30s;
  for (;;) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    try {
      pqxx::connection c(admin);
      pqxx::nontransaction tx(c);
      tx.exec("CREATE DATABASE " + tx.quote_name(database));
      return true;
    } catch (const pqxx::broken_connection&) {
      // Not accepting connections yet.
    }
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("postgres did not come up:\n" + LogTail());
    }
    std::this_thread::sleep_for(20ms);
  }
}

void PgInstance::Stop() {
  if (pid_ <= 0) return;
  // SIGINT: fast shutdown (sessions are cut, no waiting for clients).
  kill(pid_, SIGINT);
  auto deadline = std::chrono::steady_clock::now() + 10s;
  int status = 0;
  while (waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(10ms);
  }
  pid_ = -1;
}

std::string PgInstance::LogTail() const {
  std::string s = ReadFile(dir_ + "/server.log");
  if (s.size() > 4000) s = s.substr(s.size() - 4000);
  return s;
}

}  // namespace strata::examples
