#include "kv/aof/aof_format.h"

#include <algorithm>
#include <charconv>

namespace strata::kv::aof {

namespace {

void AppendHeader(std::string* out, char tag, size_t n) {
  char buf[32];
  buf[0] = tag;
  auto r = std::to_chars(buf + 1, buf + sizeof(buf) - 2, n);
  *r.ptr++ = '\r';
  *r.ptr++ = '\n';
  out->append(buf, size_t(r.ptr - buf));
}

}  // namespace

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = char(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = char(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

void AppendCommand(std::string* out, std::span<const std::string_view> args) {
  AppendHeader(out, '*', args.size());
  for (std::string_view a : args) {
    AppendHeader(out, '$', a.size());
    out->append(a);
    out->append("\r\n");
  }
}

void AppendCommandLowerName(std::string* out, std::span<const std::string_view> args) {
  AppendHeader(out, '*', args.size());
  for (size_t i = 0; i < args.size(); i++) {
    std::string_view a = args[i];
    AppendHeader(out, '$', a.size());
    size_t at = out->size();
    out->append(a);
    if (i == 0)
      for (size_t j = at; j < out->size(); j++) {
        char& c = (*out)[j];
        if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
      }
    out->append("\r\n");
  }
}

void AppendCommand(std::string* out, std::initializer_list<std::string_view> args) {
  AppendCommand(out, std::span<const std::string_view>(args.begin(), args.size()));
}

const ManifestFile* Manifest::base() const {
  for (const ManifestFile& f : files)
    if (f.type == 'b') return &f;
  return nullptr;
}

uint64_t Manifest::NextIncrSeq() const {
  uint64_t s = 0;
  for (const ManifestFile& f : files)
    if (f.type == 'i' && f.seq > s) s = f.seq;
  return s + 1;
}

bool ParseManifest(std::string_view text, Manifest* out, std::string* error) {
  out->files.clear();
  size_t line_no = 0;
  bool have_base = false;
  uint64_t last_incr_seq = 0;  // seq is never 0
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    line_no++;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t p = line.find_first_not_of(" \t");
    if (p == std::string_view::npos || line[p] == '#') continue;
    // Tokens: key value pairs (file, seq, type); unknown keys are ignored as Redis does.
    std::vector<std::string_view> tok;
    while (p < line.size()) {
      size_t e = line.find_first_of(" \t", p);
      if (e == std::string_view::npos) e = line.size();
      tok.push_back(line.substr(p, e - p));
      p = line.find_first_not_of(" \t", e);
      if (p == std::string_view::npos) break;
    }
    if (tok.size() % 2 != 0) {
      *error = "line " + std::to_string(line_no) + ": invalid manifest line";
      return false;
    }
    ManifestFile f;
    bool has_seq = false, has_type = false;
    for (size_t i = 0; i < tok.size(); i += 2) {
      std::string_view k = tok[i], v = tok[i + 1];
      if (k == "file") {
        if (v.find('/') != std::string_view::npos) {
          *error = "line " + std::to_string(line_no) + ": file name is a path";
          return false;
        }
        f.name = std::string(v);
      } else if (k == "seq") {
        auto r = std::from_chars(v.data(), v.data() + v.size(), f.seq);
        if (r.ec != std::errc() || r.ptr != v.data() + v.size() || f.seq == 0) {
          *error = "line " + std::to_string(line_no) + ": invalid seq";
          return false;
        }
        has_seq = true;
      } else if (k == "type") {
        if (v.size() != 1 || (v[0] != 'b' && v[0] != 'h' && v[0] != 'i')) {
          *error = "line " + std::to_string(line_no) + ": unknown file type";
          return false;
        }
        f.type = v[0];
        has_type = true;
      }
    }
    if (f.name.empty() || !has_seq || !has_type) {
      *error = "line " + std::to_string(line_no) + ": missing file, seq or type";
      return false;
    }
    if (f.type == 'b') {
      if (have_base) {
        *error = "line " + std::to_string(line_no) + ": more than one base file";
        return false;
      }
      have_base = true;
    }
    // Incr files are listed in ascending seq, whatever history or base lines come between.
    if (f.type == 'i') {
      if (last_incr_seq >= f.seq) {
        *error = "line " + std::to_string(line_no) + ": incr files out of order";
        return false;
      }
      last_incr_seq = f.seq;
    }
    out->files.push_back(std::move(f));
  }
  if (out->files.empty()) {
    *error = "empty manifest";
    return false;
  }
  return true;
}

std::string FormatManifest(const Manifest& m) {
  std::string s;
  auto add = [&s](const ManifestFile& f) {
    s += "file " + f.name + " seq " + std::to_string(f.seq) + " type " + std::string(1, f.type) +
         "\n";
  };
  for (const ManifestFile& f : m.files)
    if (f.type == 'b') add(f);
  for (const ManifestFile& f : m.files)
    if (f.type != 'b') add(f);
  return s;
}

namespace {

// Reads "<tag><digits>\r\n" at *pos. 1: ok, 0: data ends first, -1: malformed.
int ReadHeader(std::string_view d, size_t* pos, char tag, uint64_t* n) {
  size_t p = *pos;
  if (p >= d.size()) return 0;
  if (d[p] != tag) return -1;
  size_t nl = d.find("\r\n", p + 1);
  if (nl == std::string_view::npos) {
    // No line end yet: torn if what is there could still become a header.
    for (size_t i = p + 1; i < d.size(); i++)
      if ((d[i] < '0' || d[i] > '9') && !(d[i] == '\r' && i + 1 == d.size())) return -1;
    return d.size() - p > 24 ? -1 : 0;
  }
  std::string_view num = d.substr(p + 1, nl - p - 1);
  if (num.empty() || num.size() > 20) return -1;
  auto r = std::from_chars(num.data(), num.data() + num.size(), *n);
  if (r.ec != std::errc() || r.ptr != num.data() + num.size()) return -1;
  *pos = nl + 2;
  return 1;
}

}  // namespace

ParseResult ParseCommands(std::string_view d, const CommandFn& on_command) {
  ParseResult res;
  size_t pos = 0;
  bool in_multi = false;
  size_t multi_start = 0;
  std::vector<std::pair<std::vector<std::string>, size_t>> pending;  // inside MULTI
  auto corrupt = [&res](size_t at, std::string what) {
    res.kind = ParseResult::kCorrupt;
    res.offset = at;
    res.what = std::move(what);
    return res;
  };
  auto torn = [&](size_t at) {
    res.kind = ParseResult::kTruncated;
    res.offset = in_multi ? multi_start : at;
    return res;
  };
  while (pos < d.size()) {
    size_t start = pos;
    uint64_t argc;
    int r = ReadHeader(d, &pos, '*', &argc);
    if (r == 0) return torn(start);
    if (r < 0 || argc < 1 || argc > (1u << 20))
      return corrupt(start, "Bad file format reading the append only file");
    std::vector<std::string> args;
    // Each argument takes at least 4 bytes ("$0\r\n"): a forged count reserves nothing more.
    args.reserve(std::min<size_t>(size_t(argc), (d.size() - pos) / 4 + 1));
    for (uint64_t i = 0; i < argc; i++) {
      uint64_t len;
      size_t at = pos;
      r = ReadHeader(d, &pos, '$', &len);
      if (r == 0) return torn(start);
      if (r < 0) return corrupt(at, "Bad file format reading the append only file");
      if (len > d.size() - pos) {
        if (len > (uint64_t(1) << 39))
          return corrupt(at, "Bad file format reading the append only file");
        return torn(start);
      }
      if (d.size() - pos - len < 2) return torn(start);
      if (d[pos + len] != '\r' || d[pos + len + 1] != '\n')
        return corrupt(pos + len, "Bad file format reading the append only file");
      args.emplace_back(d.substr(pos, size_t(len)));
      pos += size_t(len) + 2;
    }
    std::string fail;
    if (IEquals(args[0], "multi")) {
      if (in_multi) return corrupt(start, "Revert incomplete MULTI/EXEC transaction in AOF file");
      in_multi = true;
      multi_start = start;
      continue;
    }
    if (IEquals(args[0], "exec")) {
      if (!in_multi) return corrupt(start, "EXEC without MULTI in AOF file");
      in_multi = false;
      for (auto& [a, off] : pending)
        if (!on_command(a, off, &fail)) return corrupt(off, fail);
      pending.clear();
      res.valid_end = pos;
      continue;
    }
    if (in_multi) {
      pending.emplace_back(std::move(args), start);
      continue;
    }
    if (!on_command(args, start, &fail)) return corrupt(start, fail);
    res.valid_end = pos;
  }
  if (in_multi) return torn(multi_start);
  res.valid_end = pos;
  return res;
}

}  // namespace strata::kv::aof
