// Script metadata lines: the optional "#!lua flags=..." first line of an EVAL script and the
// mandatory "#!lua name=<library>" first line of a FUNCTION LOAD payload, parsed with Redis
// 7.0.15's rules and error texts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/strutil.h"  // SplitArgs, used by the parsers here

namespace strata::kv::script {

// Script and function flags (shebang "flags=" and redis.register_function's flags).
enum ScriptFlag : uint32_t {
  kScriptNoWrites = 1u << 0,
  kScriptAllowOom = 1u << 1,
  kScriptAllowStale = 1u << 2,
  kScriptNoCluster = 1u << 3,
  kScriptAllowCrossSlotKeys = 1u << 4,
};

struct ScriptFlagName {
  const char* name;
  uint32_t flag;
};
// In Redis's order (the order FUNCTION LIST prints them in).
std::span<const ScriptFlagName> ScriptFlagNames();
// Shebang flags match exactly; register_function's ignore case.
bool LookupScriptFlag(std::string_view name, bool ignore_case, uint32_t* flag);
std::vector<std::string> ScriptFlagStrings(uint32_t flags);

struct EvalShebang {
  // Whether the script starts with "#!". Scripts without one run in Redis's compatibility mode
  // (the server applies the pre-7.0 rules: writes allowed, OOM checked per command).
  bool present = false;
  uint32_t flags = 0;
  // Bytes of the first line without its newline; compiling skips them so line numbers stay.
  size_t line_len = 0;
};

// Parses the first line of an EVAL body. On error returns false with the reply text in *error
// (e.g. "ERR Unexpected flag in script shebang: foo").
bool ParseEvalShebang(std::string_view body, EvalShebang* out, std::string* error);

struct LibraryMetadata {
  std::string engine;     // as written ("lua", "LUA", ...)
  std::string name;       // library name (not validated here)
  std::string_view code;  // the payload from the end of the first line (keeps the newline)
};

// Parses the first line of a FUNCTION LOAD payload ("#!<engine> name=<lib>").
bool ParseLibraryMetadata(std::string_view payload, LibraryMetadata* out, std::string* error);

// Library and function names: letters, digits and '_', at least one character.
bool IsValidFunctionName(std::string_view name);

}  // namespace strata::kv::script
