// strata-edge configuration: command-line defaults, optionally a TOML file (toml++), then
// command-line overrides. Validation errors are reported as one clear message.
//
// TOML layout:
//   listen = "127.0.0.1:8080"       admin = "127.0.0.1:8081"      threads = 1
//   origin = "http://127.0.0.1:8000"
//   access_log = "-"                # "-" = stderr, "" = off, else a file path
//   [cache]  memory = "256mb"  max_object_fraction = 0.1  max_variants = 16
//            store_set_cookie = false  hit_for_pass_s = 10  heuristic_max_s = 86400
//            (refuse_set_cookie = true, the older spelling, means store_set_cookie = false)
//   max_connections = 10000
//   [purge]  tokens = ["secret"]  allow_method = false
//   [tier]   upstream = "http://127.0.0.1:9000"   # a shield strata-edge instead of the origin
//   [[origins]] host = "example.com"  url = "http://127.0.0.1:8001"   # per-Host upstreams
//   [timeouts] connect_ms = 3000  origin_ms = 30000  client_idle_ms = 60000  origin_idle_ms = 30000
//              client_request_ms = 10000
//              client_body_ms = 60000  client_body_min_rate = 1024  client_body_grace_ms = 5000
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "edge/rfc9111/freshness.h"
#include "edge/upstream/body_pace.h"

namespace strata::edge {

struct HostRoute {
  std::string host;  // lowercase Host (without :80)
  std::string url;
};

struct EdgeConfig {
  std::string listen = "127.0.0.1:8080";
  std::string admin = "127.0.0.1:8081";
  std::string origin;  // required
  std::vector<HostRoute> routes;
  int threads = 1;
  uint64_t memory_bytes = 256ull << 20;
  double max_object_fraction = 0.1;
  size_t max_variants = 16;
  int64_t hit_for_pass_s = 10;
  rfc9111::CachePolicy policy;
  std::vector<std::string> purge_tokens;
  bool purge_method = false;
  int64_t connect_timeout_ms = 3000;
  int64_t origin_timeout_ms = 30000;
  int64_t client_idle_ms = 60000;
  int64_t client_request_ms = 10000;  // a request (head + body) must arrive within this
  // A body streamed to the origin (which holds an origin connection meanwhile) must not pause
  // longer than client_body_ms ([timeouts] client_body_ms) nor, after client_body_grace_ms of
  // waiting, average less than client_body_min_rate bytes/s (0: no rate check). See body_pace.h.
  BodyPaceLimits body_pace;
  // This instance's CDN-Loop id (RFC 8586), unique per process: a request that already carries
  // it has come back to us (a forwarding loop) and is refused with 508.
  std::string loop_id;
  int64_t origin_idle_ms = 30000;
  uint64_t max_request_body = 64ull << 20;
  size_t max_connections = 10000;  // client connections (all workers); more are refused
  std::string access_log;          // "" off, "-" stderr, else path
  std::string name = "strata-edge";
  std::string log_level = "notice";
  // Accepted but questionable settings, logged once logging is set up.
  std::vector<std::string> warnings;
};

// Loads a TOML file into *cfg. False with *error on any problem.
bool LoadConfigFile(const std::string& path, EdgeConfig* cfg, std::string* error);
// Parses argv (after loading --config if given). False with *error; sets *help on --help.
bool ParseArgs(int argc, char** argv, EdgeConfig* cfg, std::string* error, bool* help);
const char* Usage();
// Splits "host:port".
bool SplitHostPort(const std::string& s, std::string* host, uint16_t* port);

}  // namespace strata::edge
