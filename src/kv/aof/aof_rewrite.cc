#include "kv/aof/aof_rewrite.h"

#include <charconv>
#include <limits>

#include "kv/aof/aof_format.h"

namespace strata::kv::aof {

namespace {

std::string Lower(std::string_view s) {
  std::string r(s);
  for (char& c : r)
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  return r;
}

bool ToInt(std::string_view s, int64_t* v) {
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), *v);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// now + t*unit, saturating (an overflowing TTL was refused by the command anyway).
std::string Abs(int64_t now_ms, int64_t t, int64_t unit, bool relative) {
  __int128 v = __int128(t) * unit + (relative ? now_ms : 0);
  if (v > std::numeric_limits<int64_t>::max()) v = std::numeric_limits<int64_t>::max();
  if (v < std::numeric_limits<int64_t>::min()) v = std::numeric_limits<int64_t>::min();
  return std::to_string(int64_t(v));
}

std::vector<std::string> Copy(std::span<const std::string_view> args) {
  std::vector<std::string> v;
  v.reserve(args.size());
  for (std::string_view a : args) v.emplace_back(a);
  if (!v.empty()) v[0] = Lower(v[0]);
  return v;
}

// Reads one reply element at *p; appends bulk/simple strings to out (arrays flattened).
// Returns false on anything else; nil elements are skipped.
bool ReadElem(std::string_view r, size_t* p, std::vector<std::string>* out, int depth) {
  if (*p >= r.size() || depth > 4) return false;
  char t = r[*p];
  size_t nl = r.find("\r\n", *p);
  if (nl == std::string_view::npos) return false;
  std::string_view head = r.substr(*p + 1, nl - *p - 1);
  *p = nl + 2;
  int64_t n;
  switch (t) {
    case '$':
      if (!ToInt(head, &n)) return false;
      if (n < 0) return true;
      if (size_t(n) + 2 > r.size() - *p) return false;
      out->emplace_back(r.substr(*p, size_t(n)));
      *p += size_t(n) + 2;
      return true;
    case '+':
    case ':':
    case ',':
      out->emplace_back(head);
      return true;
    case '_':
      return true;
    case '*':
    case '~':
      if (!ToInt(head, &n)) return false;
      for (int64_t i = 0; i < n; i++)
        if (!ReadElem(r, p, out, depth + 1)) return false;
      return true;
    default:
      return false;
  }
}

bool IsNil(std::string_view reply) {
  return reply == "$-1\r\n" || reply == "*-1\r\n" || reply == "_\r\n" || reply == "*0\r\n" ||
         reply == "~0\r\n";
}

}  // namespace

bool ReplyStrings(std::string_view reply, std::vector<std::string>* out) {
  size_t p = 0;
  return ReadElem(reply, &p, out, 0);
}

bool LoggedAsGiven(std::span<const std::string_view> args, std::string_view reply) {
  if (args.empty() || (!reply.empty() && reply[0] == '-')) return false;
  // Every name EffectOf treats apart from the final copy (SET only with options).
  static constexpr std::string_view kRewritten[] = {
      "expire",      "pexpire", "expireat", "setex",     "psetex",   "getex",    "restore",
      "incrbyfloat", "spop",    "blpop",    "brpop",     "bzpopmin", "bzpopmax", "blmove",
      "brpoplpush",  "blmpop",  "bzmpop",   "lmpop",     "zmpop",    "lpop",     "rpop",
      "zpopmin",     "zpopmax", "lmove",    "rpoplpush", "xadd"};
  std::string_view name = args[0];
  if (IEquals(name, "set")) return args.size() <= 3;
  for (std::string_view r : kRewritten)
    if (IEquals(name, r)) return false;
  return true;
}

bool EffectOf(std::span<const std::string_view> args, std::string_view reply, int64_t now_ms,
              std::vector<std::string>* out) {
  out->clear();
  if (args.empty()) return false;
  if (!reply.empty() && reply[0] == '-') return false;
  std::string name = Lower(args[0]);
  int64_t t;
  if ((name == "expire" || name == "pexpire" || name == "expireat") && args.size() >= 3 &&
      ToInt(args[2], &t)) {
    *out = Copy(args);
    (*out)[0] = "pexpireat";
    (*out)[2] = Abs(now_ms, t, name == "pexpire" ? 1 : 1000, name != "expireat");
    return true;
  }
  if ((name == "setex" || name == "psetex") && args.size() == 4 && ToInt(args[2], &t)) {
    *out = {"set", std::string(args[1]), std::string(args[3]), "PXAT",
            Abs(now_ms, t, name == "setex" ? 1000 : 1, true)};
    return true;
  }
  if (name == "set" && args.size() > 3) {
    *out = Copy(args);
    for (size_t i = 3; i + 1 < out->size(); i++) {
      std::string o = Lower((*out)[i]);
      if ((o == "ex" || o == "px" || o == "exat") && ToInt((*out)[i + 1], &t)) {
        (*out)[i] = "PXAT";
        (*out)[i + 1] = Abs(now_ms, t, o == "px" ? 1 : 1000, o != "exat");
        break;
      }
    }
    return true;
  }
  if (name == "getex") {
    if (args.size() < 3 || IsNil(reply)) return false;
    std::string o = Lower(args[2]);
    if (o == "persist") {
      *out = {"persist", std::string(args[1])};
      return true;
    }
    if (args.size() >= 4 && ToInt(args[3], &t)) {
      *out = {"pexpireat", std::string(args[1]),
              Abs(now_ms, t, (o == "px" || o == "pxat") ? 1 : 1000, o == "ex" || o == "px")};
      return true;
    }
    return false;
  }
  if (name == "restore" && args.size() >= 4 && ToInt(args[2], &t)) {
    *out = Copy(args);
    bool abs = false;
    for (size_t i = 4; i < args.size(); i++)
      if (Lower(args[i]) == "absttl") abs = true;
    if (!abs && t > 0) {
      (*out)[2] = Abs(now_ms, t, 1, true);
      out->push_back("ABSTTL");
    }
    return true;
  }
  if (name == "incrbyfloat" && args.size() == 3) {
    std::vector<std::string> v;
    if (!ReplyStrings(reply, &v) || v.size() != 1) return false;
    *out = {"set", std::string(args[1]), v[0], "KEEPTTL"};
    return true;
  }
  if (name == "spop" && args.size() >= 2) {
    std::vector<std::string> v;
    if (IsNil(reply) || !ReplyStrings(reply, &v) || v.empty()) return false;
    *out = {"srem", std::string(args[1])};
    for (auto& m : v) out->push_back(std::move(m));
    return true;
  }
  if (name == "blpop" || name == "brpop" || name == "bzpopmin" || name == "bzpopmax") {
    std::vector<std::string> v;
    if (IsNil(reply) || !ReplyStrings(reply, &v) || v.empty()) return false;
    *out = {name.substr(1), v[0]};
    return true;
  }
  if (name == "blmove" && args.size() == 6) {
    if (IsNil(reply)) return false;
    *out = {"lmove", std::string(args[1]), std::string(args[2]), std::string(args[3]),
            std::string(args[4])};
    return true;
  }
  if (name == "brpoplpush" && args.size() == 4) {
    if (IsNil(reply)) return false;
    *out = {"rpoplpush", std::string(args[1]), std::string(args[2])};
    return true;
  }
  if ((name == "blmpop" || name == "bzmpop" || name == "lmpop" || name == "zmpop") &&
      args.size() >= 4) {
    if (reply.empty()) {
      // Logged by a coordinator, which does not see the reply: the non-blocking form is
      // deterministic given the dataset (the first non-empty key serves).
      out->push_back(name[0] == 'b' ? name.substr(1) : name);
      for (size_t i = name[0] == 'b' ? 2 : 1; i < args.size(); i++) out->emplace_back(args[i]);
      return true;
    }
    // The key that served and how many elements it gave, from the reply.
    std::vector<std::string> v;
    if (IsNil(reply) || !ReplyStrings(reply, &v) || v.size() < 2) return false;
    bool zset = name == "bzmpop" || name == "zmpop";
    size_t n = zset ? (v.size() - 1) / 2 : v.size() - 1;
    std::string op;
    for (size_t i = 2; i < args.size(); i++) {
      std::string o = Lower(args[i]);
      if (o == "left" || o == "right" || o == "min" || o == "max") op = o;
    }
    if (op.empty()) return false;
    std::string cmd =
        zset ? (op == "min" ? "zpopmin" : "zpopmax") : (op == "left" ? "lpop" : "rpop");
    *out = {cmd, v[0], std::to_string(n)};
    return true;
  }
  if ((name == "lpop" || name == "rpop" || name == "zpopmin" || name == "zpopmax" ||
       name == "lmove" || name == "rpoplpush") &&
      IsNil(reply))
    return false;
  if (name == "xadd" && args.size() >= 5) {
    *out = Copy(args);
    size_t i = 2;
    while (i < out->size()) {
      std::string o = Lower((*out)[i]);
      if (o == "nomkstream") {
        i++;
      } else if (o == "maxlen" || o == "minid") {
        i++;
        if (i < out->size() && ((*out)[i] == "=" || (*out)[i] == "~")) i++;
        i++;
      } else if (o == "limit") {
        i += 2;
      } else {
        break;
      }
    }
    if (IsNil(reply)) return false;  // NOMKSTREAM on a missing key
    std::vector<std::string> v;
    if (i < out->size() && ((*out)[i] == "*" || (*out)[i].ends_with("-*")) &&
        ReplyStrings(reply, &v) && v.size() == 1)
      (*out)[i] = v[0];
    return true;
  }
  *out = Copy(args);
  return true;
}

}  // namespace strata::kv::aof
