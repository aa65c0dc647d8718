// Append-only file formats, pure functions over buffers (no I/O, no keyspace), so the fuzz target
// links them alone:
// - a command record: a RESP array of bulk strings, as a client would send it;
// - the manifest of a multi-part AOF directory (Redis 7's `appendonly.aof.manifest`);
// - the record parser used when loading, which tells a torn tail from corruption.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace strata::kv::aof {

// ASCII case-insensitive equality (command and option names).
bool IEquals(std::string_view a, std::string_view b);

// Appends `*<n>\r\n` then `$<len>\r\n<arg>\r\n` for each argument.
void AppendCommand(std::string* out, std::span<const std::string_view> args);
void AppendCommand(std::string* out, std::initializer_list<std::string_view> args);
// The same, with the first argument (the command name) in lower case.
void AppendCommandLowerName(std::string* out, std::span<const std::string_view> args);

// One file of the manifest.
struct ManifestFile {
  std::string name;
  uint64_t seq = 0;
  char type = 'i';  // 'b' base, 'h' history, 'i' incremental
};

struct Manifest {
  std::vector<ManifestFile> files;  // base first (if any), then incr files in order
  const ManifestFile* base() const;
  uint64_t NextIncrSeq() const;
};

// Parses the manifest text. False with *error set (a line number and what is wrong).
bool ParseManifest(std::string_view text, Manifest* out, std::string* error);
// Formats it: one "file <name> seq <n> type <t>" line per file.
std::string FormatManifest(const Manifest& m);

// Parse outcome of an AOF body in RESP form.
struct ParseResult {
  enum Kind { kOk, kTruncated, kCorrupt } kind = kOk;
  size_t offset = 0;     // kTruncated: where the torn record starts (the valid length);
                         // kCorrupt: the byte offset of the fault
  std::string what;      // kCorrupt: the fault
  size_t valid_end = 0;  // end of the last complete record outside MULTI (loadable prefix)
};

// Feeds each complete command to `on_command` (its arguments, its byte offset). A MULTI whose
// EXEC is missing at the end counts as torn from the MULTI on: none of its commands are fed
// (they are buffered until EXEC). `on_command` returns false to stop with kCorrupt and its
// message in *fail.
using CommandFn =
    std::function<bool(const std::vector<std::string>& args, size_t offset, std::string* fail)>;
ParseResult ParseCommands(std::string_view data, const CommandFn& on_command);

}  // namespace strata::kv::aof
