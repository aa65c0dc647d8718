// libFuzzer target for the append-only file's loader formats (kv/aof/aof_format.h): the input is
// parsed as a manifest and as a RESP record stream. Whatever parses must format and re-encode
// to something that parses to the same result; a torn stream's loadable prefix must parse
// cleanly; and the rewrite of every parsed command (kv/aof/aof_rewrite.h) must not crash, its
// fast path (LoggedAsGiven) making the record the full rewrite makes.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "kv/aof/aof_format.h"
#include "kv/aof/aof_rewrite.h"

using namespace strata::kv::aof;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);

  Manifest m;
  std::string err;
  if (ParseManifest(in, &m, &err)) {
    std::string text = FormatManifest(m);
    Manifest again;
    if (!ParseManifest(text, &again, &err) || again.files.size() != m.files.size()) std::abort();
  }

  std::vector<std::vector<std::string>> cmds;
  ParseResult r = ParseCommands(in, [&](const std::vector<std::string>& a, size_t, std::string*) {
    cmds.push_back(a);
    return true;
  });
  if (r.kind == ParseResult::kTruncated && r.offset > size) std::abort();
  // Re-encode what was read (no MULTI wrapping): it must parse to the same commands.
  std::string enc;
  for (const auto& c : cmds) {
    std::vector<std::string_view> v(c.begin(), c.end());
    AppendCommand(&enc, v);
    std::vector<std::string> out;
    bool logged = EffectOf(v, std::string_view(c.back()), 1700000000000, &out);
    // The log's fast path must make the record EffectOf's copy makes.
    if (LoggedAsGiven(v, std::string_view(c.back()))) {
      std::vector<std::string_view> ev(out.begin(), out.end());
      std::string slow, fast;
      AppendCommand(&slow, ev);
      AppendCommandLowerName(&fast, v);
      if (!logged || slow != fast) std::abort();
    }
  }
  std::vector<std::vector<std::string>> again;
  ParseResult r2 = ParseCommands(enc, [&](const std::vector<std::string>& a, size_t, std::string*) {
    again.push_back(a);
    return true;
  });
  // MULTI and EXEC are markers, never fed as commands, so the re-encoding has none.
  if (r2.kind != ParseResult::kOk || again != cmds) std::abort();
  // A torn tail: the prefix up to the torn record loads cleanly.
  if (r.kind == ParseResult::kTruncated) {
    ParseResult r3 =
        ParseCommands(in.substr(0, r.offset),
                      [](const std::vector<std::string>&, size_t, std::string*) { return true; });
    if (r3.kind != ParseResult::kOk) std::abort();
  }
  return 0;
}
