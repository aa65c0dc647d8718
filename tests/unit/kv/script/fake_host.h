// A ScriptHost for tests: records every command a script sends and answers with canned RESP
// bytes, plus small helpers to run EVAL scripts and functions.
#pragma once

#include <cctype>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/sha1.h"
#include "kv/script/function_registry.h"
#include "kv/script/script_cache.h"
#include "kv/script/script_host.h"

namespace strata::kv::script::testing {

class FakeHost {
 public:
  struct Call {
    std::vector<std::string> argv;
    int resp;
  };

  FakeHost() {
    host.call = [this](const std::vector<std::string>& argv, int resp) {
      calls.push_back({argv, resp});
      std::string key = Join(argv);
      auto it = replies.find((resp == 3 ? "3:" : "2:") + key);
      if (it != replies.end()) return it->second;
      it = replies.find(key);
      if (it != replies.end()) return it->second;
      return default_reply;
    };
    host.log = [this](ScriptLogLevel level, std::string_view msg) {
      logs.emplace_back(level, std::string(msg));
    };
    host.acl_check = [this](const std::vector<std::string>& argv) {
      if (argv[0] == "nosuch") return AclCheckResult::kUnknownCommand;
      return denied.count(argv[0]) ? AclCheckResult::kDenied : AclCheckResult::kAllowed;
    };
    host.should_abort = [this] {
      polls++;
      return abort_after >= 0 && polls > abort_after;
    };
  }

  // "GET k": the command name uppercased, arguments as sent, separated by spaces.
  static std::string Join(const std::vector<std::string>& argv) {
    std::string out;
    for (const std::string& a : argv) {
      if (!out.empty()) out.push_back(' ');
      out += a;
    }
    for (size_t i = 0; i < out.size() && out[i] != ' '; i++) out[i] = char(toupper(out[i]));
    return out;
  }

  // Canned reply for a command line ("GET k", name in uppercase); prefix "2:" / "3:" for one
  // protocol only.
  void Reply(const std::string& command, std::string bytes) { replies[command] = std::move(bytes); }

  ScriptHost host;
  std::vector<Call> calls;
  std::map<std::string, std::string> replies;
  std::string default_reply = "+OK\r\n";
  std::vector<std::pair<ScriptLogLevel, std::string>> logs;
  std::map<std::string, bool> denied;
  int polls = 0;
  int abort_after = -1;  // should_abort() turns true after this many polls (-1: never)
};

// One EVAL engine plus a fake host.
class EvalFixture {
 public:
  explicit EvalFixture(const VmOptions& options = {}) : cache(options) {}

  // EVAL body with the keys and args given; the reply bytes (errors included).
  std::string Eval(std::string_view body, std::vector<std::string_view> keys = {},
                   std::vector<std::string_view> args = {}, int client_resp = 2) {
    return EvalReply(body, keys, args, client_resp).bytes;
  }

  ScriptReply EvalReply(std::string_view body, std::vector<std::string_view> keys = {},
                        std::vector<std::string_view> args = {}, int client_resp = 2) {
    ScriptCache::LoadResult r = cache.Load(body);
    if (!r.entry) {
      ScriptReply reply;
      reply.bytes = "-" + r.error + "\r\n";
      reply.is_error = true;
      return reply;
    }
    return cache.Run(*r.entry, keys, args, client_resp, &fake.host);
  }

  // The error a failing script reports: "-<msg> script: <sha>, on @user_script:<line>.\r\n".
  static std::string RuntimeError(std::string_view body, std::string_view msg, int line = 1) {
    return "-" + std::string(msg) + " script: " + Sha1Hex(body) +
           ", on @user_script:" + std::to_string(line) + ".\r\n";
  }

  ScriptCache cache;
  FakeHost fake;
};

}  // namespace strata::kv::script::testing
