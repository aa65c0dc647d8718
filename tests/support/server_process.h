// ServerProcess: starts a real strata-server or redis-server on a free port for the client
// library's tests, waits until it answers PING, and kills it when destroyed. Restart() brings it
// back on the same port (for reconnect tests).
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "io/socket.h"

namespace strata::testing {

enum class ServerKind { kStrata, kRedis };

inline const char* KindName(ServerKind k) { return k == ServerKind::kStrata ? "strata" : "redis"; }

inline std::string RedisServerPath() {
  for (const char* p : {"/usr/bin/redis-server", "/usr/local/bin/redis-server"}) {
    if (access(p, X_OK) == 0) return p;
  }
  return "";
}

inline uint16_t FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

class ServerProcess {
 public:
  explicit ServerProcess(ServerKind kind, std::vector<std::string> extra = {})
      : kind_(kind), extra_(std::move(extra)), port_(FreePort()) {
    // Its own empty directory (kept across Restart): a dump.rdb left in a shared one would be
    // loaded, and the server would answer -LOADING or serve someone else's keys.
    char tmpl[] = "/tmp/strata-test-server-XXXXXX";
    if (mkdtemp(tmpl) != nullptr) dir_ = tmpl;
    Start();
  }
  ~ServerProcess() {
    Kill();
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }

  uint16_t port() const { return port_; }
  ServerKind kind() const { return kind_; }
  bool running() const { return pid_ > 0; }

  void Start() {
    std::vector<std::string> argv;
    if (kind_ == ServerKind::kStrata) {
      argv = {STRATA_SERVER_PATH, "--port", std::to_string(port_), "--bind", "127.0.0.1",
              "--save",           "",       "--threads",           "2"};
    } else {
      argv = {
          RedisServerPath(), "--port", std::to_string(port_), "--bind", "127.0.0.1", "--save", "",
          "--appendonly",    "no",     "--daemonize",         "no"};
    }
    argv.push_back("--dir");
    argv.push_back(dir_.empty() ? "/tmp" : dir_);
    argv.push_back("--enable-debug-command");
    argv.push_back("yes");
    for (auto& e : extra_) argv.push_back(e);
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);  // a killed test leaves no server behind
      std::vector<char*> cargv;
      for (auto& a : argv) cargv.push_back(a.data());
      cargv.push_back(nullptr);
      int devnull = open("/dev/null", O_WRONLY);
      dup2(devnull, 1);
      dup2(devnull, 2);
      execv(cargv[0], cargv.data());
      _exit(127);
    }
    // Ready once it accepts a connection.
    for (int i = 0; i < 500; i++) {
      std::string err;
      int fd = io::ConnectTcp("127.0.0.1", port_, &err);
      if (fd >= 0) {
        close(fd);
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  void Kill() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  void Restart() {
    Kill();
    Start();
  }

 private:
  ServerKind kind_;
  std::vector<std::string> extra_;
  uint16_t port_;
  std::string dir_;
  pid_t pid_ = -1;
};

}  // namespace strata::testing
