// Fuzzes the scripting core with arbitrary script text, arguments and command replies: EVAL
// bodies and FUNCTION LOAD libraries run against a fake server whose replies come partly from
// the input (so the RESP -> Lua conversion sees malformed and exotic replies too). Nothing may
// crash or leak, every run must end in exactly one well-formed RESP reply, and a failure must
// be an error reply. Runs are bounded by a heap limit and an instruction budget.
//
// Input: byte 0 = flags; the rest is split at '\xff' into script, reply bytes, then arguments.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kv/script/function_registry.h"
#include "kv/script/script_cache.h"

namespace script = strata::kv::script;

namespace {

// Length of one complete RESP value at the start of s, or 0 if there is none.
size_t RespLength(std::string_view s, int depth = 0) {
  if (s.empty() || depth > 10000) return 0;
  size_t cr = s.find("\r\n");
  if (cr == std::string_view::npos) return 0;
  std::string_view line = s.substr(1, cr - 1);
  size_t pos = cr + 2;
  auto number = [&](long long* n) {
    if (line.empty()) return false;
    *n = 0;
    size_t i = line[0] == '-' ? 1 : 0;
    if (i == line.size()) return false;
    for (; i < line.size(); i++) {
      if (line[i] < '0' || line[i] > '9') return false;
      *n = *n * 10 + (line[i] - '0');
    }
    if (line[0] == '-') *n = -*n;
    return true;
  };
  long long n;
  switch (s[0]) {
    case '+':
    case '-':
    case ':':
    case '_':
    case '#':
    case ',':
    case '(':
      return pos;
    case '$':
    case '=':
      if (!number(&n)) return 0;
      if (n < 0) return s[0] == '$' && n == -1 ? pos : 0;
      if (s.size() < pos + size_t(n) + 2) return 0;
      return pos + size_t(n) + 2;
    case '*':
    case '~':
    case '%': {
      if (!number(&n)) return 0;
      if (n < 0) return s[0] == '*' && n == -1 ? pos : 0;
      long long items = s[0] == '%' ? 2 * n : n;
      for (long long i = 0; i < items; i++) {
        size_t len = RespLength(s.substr(pos), depth + 1);
        if (len == 0) return 0;
        pos += len;
      }
      return pos;
    }
    default:
      return 0;
  }
}

void CheckReply(const script::ScriptReply& r) {
  if (RespLength(r.bytes) != r.bytes.size()) __builtin_trap();
  if (r.is_error != (r.bytes[0] == '-')) __builtin_trap();
}

const char* const kCanned[] = {
    "+OK\r\n",
    ":42\r\n",
    "$3\r\nabc\r\n",
    "$-1\r\n",
    "*-1\r\n",
    "*2\r\n$1\r\na\r\n:1\r\n",
    "-ERR boom\r\n",
    "-WRONGTYPE Operation against a key\r\n",
    "_\r\n",
    "#t\r\n",
    ",1.5\r\n",
    "(123456789012345678901234567890\r\n",
    "=9\r\ntxt:hello\r\n",
    "%2\r\n$1\r\nk\r\n$1\r\nv\r\n+x\r\n_\r\n",
    "~2\r\n$1\r\na\r\n:7\r\n",
    "|1\r\n+a\r\n+b\r\n:5\r\n",
    "!3\r\nERR\r\n",
};

struct Engines {
  Engines() : cache(Options()), functions(Options()) {}
  static script::VmOptions Options() {
    script::VmOptions o;
    o.memory_limit = 32 << 20;
    o.hook_interval = 1000;
    o.load_timeout = std::chrono::milliseconds(100);
    return o;
  }
  script::ScriptCache cache;
  script::FunctionRegistry functions;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  // One pair of VMs for many inputs, as a server keeps them; flushed now and then so cached
  // scripts and libraries do not pile up.
  static std::unique_ptr<Engines> engines;
  static int runs = 0;
  if (!engines || ++runs % 500 == 0) engines = std::make_unique<Engines>();

  uint8_t flags = data[0];
  std::vector<std::string> parts;
  parts.emplace_back();
  for (size_t i = 1; i < size; i++) {
    if (data[i] == 0xff)
      parts.emplace_back();
    else
      parts.back().push_back(char(data[i]));
  }
  std::string body = parts[0];
  std::string fuzz_reply = parts.size() > 1 ? parts[1] : std::string();
  std::vector<std::string_view> keys, args;
  size_t nkeys = (flags >> 4) & 3;
  for (size_t i = 2; i < parts.size(); i++) (i - 2 < nkeys ? keys : args).push_back(parts[i]);
  int client_resp = (flags & 1) ? 3 : 2;

  int calls = 0, polls = 0;
  script::ScriptHost host;
  host.call = [&](const std::vector<std::string>& argv, int resp) -> std::string {
    if (argv.empty() || (resp != 2 && resp != 3)) __builtin_trap();
    calls++;
    if (!fuzz_reply.empty() && calls % 2 == 1) return fuzz_reply;
    return kCanned[(calls + argv[0].size()) % (sizeof(kCanned) / sizeof(kCanned[0]))];
  };
  host.log = [](script::ScriptLogLevel, std::string_view) {};
  host.acl_check = [](const std::vector<std::string>& argv) {
    return argv[0].size() % 3 == 0 ? script::AclCheckResult::kDenied
                                   : script::AclCheckResult::kAllowed;
  };
  // About 200k VM instructions per run, then the script is killed.
  host.should_abort = [&] { return ++polls > 200; };

  if (flags & 2) {
    script::FunctionRegistry& fr = engines->functions;
    script::FunctionRegistry::LoadResult r =
        fr.Load((flags & 4) ? body : "#!lua name=lib\n" + body, true, &host);
    if (!r.ok && (r.error.empty() || r.error.compare(0, 4, "ERR ") != 0)) __builtin_trap();
    if (r.ok) {
      const script::FunctionRegistry::Library* lib = fr.FindLibrary(r.library);
      if (!lib || lib->functions.empty()) __builtin_trap();
      for (const std::string& name : lib->functions) {
        const script::FunctionRegistry::Function* f = fr.FindFunction(name);
        if (!f) __builtin_trap();
        polls = 0;
        CheckReply(fr.Call(*f, keys, args, client_resp, &host));
      }
      fr.Delete(r.library);
    }
    return 0;
  }

  script::ScriptCache& cache = engines->cache;
  script::ScriptCache::LoadResult r = cache.Load(body);
  if (!r.entry) {
    if (r.error.compare(0, 4, "ERR ") != 0) __builtin_trap();
    return 0;
  }
  CheckReply(cache.Run(*r.entry, keys, args, client_resp, &host));
  if (flags & 8) {
    polls = 0;
    CheckReply(cache.Run(*r.entry, args, keys, 5 - client_resp, &host));
  }
  return 0;
}
