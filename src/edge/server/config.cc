#include "edge/server/config.h"

#include <toml++/toml.h>
#include <cstdio>
#include <cstring>
#include <random>

#include "base/strutil.h"

namespace strata::edge {

const char* Usage() {
  return "usage: strata-edge --origin http://HOST:PORT [options]\n"
         "  --origin URL          upstream origin (or a shield strata-edge), required\n"
         "  --listen HOST:PORT    client listener (default 127.0.0.1:8080)\n"
         "  --admin HOST:PORT     admin/metrics listener (default 127.0.0.1:8081)\n"
         "  --memory SIZE         cache memory budget (default 256mb)\n"
         "  --threads N           worker threads, each owning a slice of the keys (default 1)\n"
         "  --config FILE         TOML configuration file (flags override it)\n"
         "  --purge-token TOKEN   bearer token for the purge API (repeatable)\n"
         "  --allow-purge-method  accept authenticated PURGE on the client listener\n"
         "  --access-log PATH     access log ('-' = stderr)\n"
         "  --store-set-cookie    store responses carrying Set-Cookie (default: never; they\n"
         "                        are passed, so one user's cookie is not replayed to others)\n"
         "  --refuse-set-cookie   never store responses carrying Set-Cookie (the default)\n"
         "  --log-level LEVEL     debug|verbose|notice|warning\n"
         "Other settings ([cache], [timeouts] such as client_body_ms and client_body_min_rate,\n"
         "[[origins]], [purge], [tier]) go in the --config file; see README.md.\n";
}

bool SplitHostPort(const std::string& s, std::string* host, uint16_t* port) {
  size_t colon = s.rfind(':');
  if (colon == std::string::npos) return false;
  uint64_t p;
  if (!ParseUint64(std::string_view(s).substr(colon + 1), &p) || p == 0 || p > 65535) return false;
  *host = s.substr(0, colon);
  if (host->size() > 2 && host->front() == '[' && host->back() == ']')
    *host = host->substr(1, host->size() - 2);
  *port = uint16_t(p);
  return !host->empty();
}

namespace {
bool MemoryValue(const toml::node* n, uint64_t* out, std::string* error, const char* what) {
  if (!n) return true;
  if (auto i = n->value<int64_t>()) {
    if (*i <= 0) {
      *error = std::string(what) + " must be positive";
      return false;
    }
    *out = uint64_t(*i);
    return true;
  }
  if (auto s = n->value<std::string>()) {
    if (!ParseMemorySize(*s, out) || *out == 0) {
      *error = std::string("invalid ") + what + ": " + *s;
      return false;
    }
    return true;
  }
  *error = std::string(what) + " must be a size";
  return false;
}

// A boolean key: absent leaves *out (and *present) alone; any other type is an error.
bool BoolValue(const toml::node* n, bool* out, bool* present, std::string* error,
               const char* what) {
  if (!n) return true;
  auto v = n->value_exact<bool>();
  if (!v) {
    *error = std::string(what) + " must be true or false";
    return false;
  }
  *out = *v;
  if (present) *present = true;
  return true;
}

// An integer key within [min, max]: absent leaves *out alone; another type or value is an
// error naming the key and saying what it takes.
bool IntValue(const toml::node* n, int64_t min, int64_t max, int64_t* out, std::string* error,
              const char* what, const char* expected) {
  if (!n) return true;
  auto v = n->value_exact<int64_t>();
  if (!v || *v < min || *v > max) {
    *error = std::string(what) + " must be " + expected;
    return false;
  }
  *out = *v;
  return true;
}

// [cache] store_set_cookie, and refuse_set_cookie from before it existed: `refuse_set_cookie =
// true` is store_set_cookie = false; `refuse_set_cookie = false` (the old default, found in
// many configurations) does not turn storing on, it only earns a warning.
bool SetCookieKeys(const toml::table& c, EdgeConfig* cfg, std::string* error) {
  bool store = false, store_present = false, refuse = false, refuse_present = false;
  if (!BoolValue(c["store_set_cookie"].node(), &store, &store_present, error,
                 "cache.store_set_cookie") ||
      !BoolValue(c["refuse_set_cookie"].node(), &refuse, &refuse_present, error,
                 "cache.refuse_set_cookie"))
    return false;
  if (store_present && refuse_present && store && refuse) {
    *error =
        "cache.store_set_cookie = true contradicts cache.refuse_set_cookie = true (keep only "
        "cache.store_set_cookie)";
    return false;
  }
  if (store_present) cfg->policy.store_set_cookie = store;
  if (refuse_present && refuse) cfg->policy.store_set_cookie = false;
  if (refuse_present && !refuse && !store_present) {
    cfg->warnings.push_back(
        "cache.refuse_set_cookie = false is ignored: responses carrying Set-Cookie are not "
        "stored unless cache.store_set_cookie = true");
  }
  return true;
}
}  // namespace

bool LoadConfigFile(const std::string& path, EdgeConfig* cfg, std::string* error) {
  toml::table t;
  try {
    t = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    *error = "config " + path + ": " + std::string(e.description());
    return false;
  }
  if (auto v = t["listen"].value<std::string>()) cfg->listen = *v;
  if (auto v = t["admin"].value<std::string>()) cfg->admin = *v;
  if (auto v = t["origin"].value<std::string>()) cfg->origin = *v;
  if (auto v = t["threads"].value<int64_t>()) cfg->threads = int(*v);
  if (auto v = t["access_log"].value<std::string>()) cfg->access_log = *v;
  if (auto v = t["name"].value<std::string>()) cfg->name = *v;
  if (auto v = t["max_connections"].value<int64_t>()) {
    if (*v < 1) {
      *error = "max_connections must be >= 1";
      return false;
    }
    cfg->max_connections = size_t(*v);
  }
  if (!MemoryValue(t["memory"].node(), &cfg->memory_bytes, error, "memory")) return false;
  if (auto* c = t["cache"].as_table()) {
    if (!MemoryValue((*c)["memory"].node(), &cfg->memory_bytes, error, "cache.memory"))
      return false;
    if (auto v = (*c)["max_object_fraction"].value<double>()) cfg->max_object_fraction = *v;
    if (auto v = (*c)["max_variants"].value<int64_t>()) cfg->max_variants = size_t(*v);
    if (!SetCookieKeys(*c, cfg, error)) return false;
    if (auto v = (*c)["hit_for_pass_s"].value<int64_t>()) cfg->hit_for_pass_s = *v;
    if (auto v = (*c)["heuristic_max_s"].value<int64_t>()) cfg->policy.heuristic_max_s = *v;
    if (auto v = (*c)["max_request_body"].value<int64_t>()) cfg->max_request_body = uint64_t(*v);
  }
  if (auto* p = t["purge"].as_table()) {
    if (auto* arr = (*p)["tokens"].as_array()) {
      for (auto& el : *arr) {
        if (auto s = el.value<std::string>()) cfg->purge_tokens.push_back(*s);
      }
    }
    if (auto v = (*p)["token"].value<std::string>()) cfg->purge_tokens.push_back(*v);
    if (auto v = (*p)["allow_method"].value<bool>()) cfg->purge_method = *v;
  }
  if (auto* tier = t["tier"].as_table()) {
    if (auto v = (*tier)["upstream"].value<std::string>()) cfg->origin = *v;
  }
  if (auto* arr = t["origins"].as_array()) {
    for (auto& el : *arr) {
      auto* o = el.as_table();
      if (!o) continue;
      auto host = (*o)["host"].value<std::string>();
      auto url = (*o)["url"].value<std::string>();
      if (!host || !url) {
        *error = "each [[origins]] entry needs host and url";
        return false;
      }
      cfg->routes.push_back({ToLower(*host), *url});
    }
  }
  if (auto* to = t["timeouts"].as_table()) {
    if (auto v = (*to)["connect_ms"].value<int64_t>()) cfg->connect_timeout_ms = *v;
    if (auto v = (*to)["origin_ms"].value<int64_t>()) cfg->origin_timeout_ms = *v;
    if (auto v = (*to)["client_idle_ms"].value<int64_t>()) cfg->client_idle_ms = *v;
    if (auto v = (*to)["origin_idle_ms"].value<int64_t>()) cfg->origin_idle_ms = *v;
    if (auto v = (*to)["client_request_ms"].value<int64_t>()) cfg->client_request_ms = *v;
    constexpr int64_t kDay = 86400 * 1000;
    BodyPaceLimits& bp = cfg->body_pace;
    int64_t rate = int64_t(bp.min_rate);
    if (!IntValue((*to)["client_body_ms"].node(), 1, kDay, &bp.idle_ms, error,
                  "timeouts.client_body_ms", "a number of milliseconds from 1 to 86400000") ||
        !IntValue((*to)["client_body_min_rate"].node(), 0, int64_t(1) << 40, &rate, error,
                  "timeouts.client_body_min_rate",
                  "a number of bytes per second (0 turns the rate check off)") ||
        !IntValue((*to)["client_body_grace_ms"].node(), 0, kDay, &bp.grace_ms, error,
                  "timeouts.client_body_grace_ms", "a number of milliseconds from 0 to 86400000"))
      return false;
    bp.min_rate = uint64_t(rate);
  }
  return true;
}

bool ParseArgs(int argc, char** argv, EdgeConfig* cfg, std::string* error, bool* help) {
  *help = false;
  // The config file is loaded first so flags override it regardless of order.
  for (int i = 1; i + 1 < argc; i++) {
    if (strcmp(argv[i], "--config") == 0 && !LoadConfigFile(argv[i + 1], cfg, error)) return false;
  }
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    auto need = [&](std::string* out) {
      if (i + 1 >= argc) {
        *error = "missing value for " + a;
        return false;
      }
      *out = argv[++i];
      return true;
    };
    std::string v;
    if (a == "--help" || a == "-h") {
      *help = true;
      return true;
    } else if (a == "--config") {
      if (!need(&v)) return false;
    } else if (a == "--origin") {
      if (!need(&cfg->origin)) return false;
    } else if (a == "--listen") {
      if (!need(&cfg->listen)) return false;
    } else if (a == "--admin") {
      if (!need(&cfg->admin)) return false;
    } else if (a == "--memory") {
      if (!need(&v)) return false;
      if (!ParseMemorySize(v, &cfg->memory_bytes) || cfg->memory_bytes == 0) {
        *error = "invalid --memory: " + v;
        return false;
      }
    } else if (a == "--threads") {
      if (!need(&v)) return false;
      int64_t n;
      if (!ParseInt64(v, &n) || n < 1 || n > 256) {
        *error = "invalid --threads: " + v;
        return false;
      }
      cfg->threads = int(n);
    } else if (a == "--purge-token") {
      if (!need(&v)) return false;
      cfg->purge_tokens.push_back(v);
    } else if (a == "--allow-purge-method") {
      cfg->purge_method = true;
    } else if (a == "--store-set-cookie") {
      cfg->policy.store_set_cookie = true;
    } else if (a == "--refuse-set-cookie") {
      cfg->policy.store_set_cookie = false;
    } else if (a == "--access-log") {
      if (!need(&cfg->access_log)) return false;
    } else if (a == "--log-level") {
      if (!need(&cfg->log_level)) return false;
    } else {
      *error = "unknown option: " + a;
      return false;
    }
  }
  if (cfg->loop_id.empty()) {
    std::random_device rd;
    char buf[32];
    snprintf(buf, sizeof(buf), "%08x%08x", rd(), rd());
    cfg->loop_id = cfg->name + "-" + buf;
  }
  if (cfg->origin.empty()) {
    *error = "--origin is required";
    return false;
  }
  std::string h;
  uint16_t p;
  if (!SplitHostPort(cfg->listen, &h, &p)) {
    *error = "invalid listen address: " + cfg->listen;
    return false;
  }
  if (!cfg->admin.empty() && !SplitHostPort(cfg->admin, &h, &p)) {
    *error = "invalid admin address: " + cfg->admin;
    return false;
  }
  if (cfg->max_object_fraction <= 0 || cfg->max_object_fraction > 1) {
    *error = "cache.max_object_fraction must be in (0, 1]";
    return false;
  }
  if (cfg->threads < 1) {
    *error = "threads must be >= 1";
    return false;
  }
  for (const auto& t : cfg->purge_tokens) {
    if (t.empty()) {
      *error = "purge tokens must not be empty";
      return false;
    }
  }
  return true;
}

}  // namespace strata::edge
