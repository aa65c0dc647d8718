#include "kv/script/shebang.h"

#include <strings.h>
#include <cctype>

namespace strata::kv::script {
namespace {

constexpr ScriptFlagName kFlagNames[] = {
    {"no-writes", kScriptNoWrites},
    {"allow-oom", kScriptAllowOom},
    {"allow-stale", kScriptAllowStale},
    {"no-cluster", kScriptNoCluster},
    {"allow-cross-slot-keys", kScriptAllowCrossSlotKeys},
};

// The first line as Redis sees it: body is a C string there, so a NUL ends it early.
bool FirstLine(std::string_view body, std::string_view* line) {
  std::string_view text = body.substr(0, body.find('\0'));
  size_t nl = text.find('\n');
  if (nl == std::string_view::npos) return false;
  *line = body.substr(0, nl);
  return true;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++)
    if (tolower(static_cast<unsigned char>(a[i])) != tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

}  // namespace

std::span<const ScriptFlagName> ScriptFlagNames() { return kFlagNames; }

bool LookupScriptFlag(std::string_view name, bool ignore_case, uint32_t* flag) {
  for (const ScriptFlagName& f : kFlagNames) {
    if (ignore_case ? EqualsNoCase(name, f.name) : name == f.name) {
      *flag = f.flag;
      return true;
    }
  }
  return false;
}

std::vector<std::string> ScriptFlagStrings(uint32_t flags) {
  std::vector<std::string> out;
  for (const ScriptFlagName& f : kFlagNames)
    if (flags & f.flag) out.emplace_back(f.name);
  return out;
}

bool ParseEvalShebang(std::string_view body, EvalShebang* out, std::string* error) {
  *out = EvalShebang();
  if (body.substr(0, 2) != "#!" || body.substr(0, 2).find('\0') != std::string_view::npos)
    return true;
  std::string_view line;
  if (!FirstLine(body, &line)) {
    *error = "ERR Invalid script shebang";
    return false;
  }
  std::vector<std::string> parts;
  if (!SplitArgs(line, &parts) || parts.empty()) {
    *error = "ERR Invalid engine in script shebang";
    return false;
  }
  if (parts[0] != "#!lua") {
    *error = "ERR Unexpected engine in script shebang: " + parts[0];
    return false;
  }
  uint32_t flags = 0;
  for (size_t j = 1; j < parts.size(); j++) {
    std::string_view part = parts[j];
    if (part.substr(0, 6) != "flags=") {
      *error = "ERR Unknown lua shebang option: " + parts[j];
      return false;
    }
    std::string_view list = part.substr(6);
    // Comma-separated; an empty list means no flags, an empty item is an unknown flag.
    if (list.empty()) continue;
    size_t start = 0;
    for (;;) {
      size_t comma = list.find(',', start);
      std::string_view item = list.substr(
          start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
      uint32_t f;
      if (!LookupScriptFlag(item, false, &f)) {
        *error = "ERR Unexpected flag in script shebang: ";
        error->append(item);
        return false;
      }
      flags |= f;
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
  }
  out->present = true;
  out->flags = flags;
  out->line_len = line.size();
  return true;
}

bool ParseLibraryMetadata(std::string_view payload, LibraryMetadata* out, std::string* error) {
  if (payload.substr(0, 2) != "#!" || payload.substr(0, 2).find('\0') != std::string_view::npos) {
    *error = "ERR Missing library metadata";
    return false;
  }
  std::string_view line;
  if (!FirstLine(payload, &line)) {
    *error = "ERR Invalid library metadata";
    return false;
  }
  std::vector<std::string> parts;
  if (!SplitArgs(line, &parts) || parts.empty()) {
    *error = "ERR Invalid library metadata";
    return false;
  }
  out->engine = parts[0].size() >= 2 ? parts[0].substr(2) : std::string();
  bool have_name = false;
  for (size_t i = 1; i < parts.size(); i++) {
    if (parts[i].size() >= 5 && strncasecmp(parts[i].c_str(), "name=", 5) == 0) {
      if (have_name) {
        *error = "ERR Invalid metadata value, name argument was given multiple times";
        return false;
      }
      have_name = true;
      out->name = parts[i].substr(5);
      continue;
    }
    *error = "ERR Invalid metadata value given: " + parts[i];
    return false;
  }
  if (!have_name) {
    *error = "ERR Library name was not given";
    return false;
  }
  out->code = payload.substr(line.size());
  return true;
}

bool IsValidFunctionName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

}  // namespace strata::kv::script
