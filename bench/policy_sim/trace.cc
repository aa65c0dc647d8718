#include "trace.h"

#include <lzma.h>

#include <cmath>
#include <cstdio>
#include <memory>
#include <string_view>
#include <unordered_map>

namespace strata::bench {

namespace {

bool ReadFile(const std::string& path, std::string* out, std::string* error) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) {
    *error = "cannot open " + path;
    return false;
  }
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f.get())) > 0) out->append(buf, n);
  if (std::ferror(f.get())) {
    *error = "read error on " + path;
    return false;
  }
  return true;
}

bool DecodeXz(const std::string& in, std::string* out, std::string* error) {
  lzma_stream strm = LZMA_STREAM_INIT;
  if (lzma_stream_decoder(&strm, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK) {
    *error = "lzma init failed";
    return false;
  }
  strm.next_in = reinterpret_cast<const uint8_t*>(in.data());
  strm.avail_in = in.size();
  std::string chunk(1 << 20, '\0');
  lzma_ret ret;
  do {
    strm.next_out = reinterpret_cast<uint8_t*>(chunk.data());
    strm.avail_out = chunk.size();
    ret = lzma_code(&strm, LZMA_FINISH);
    out->append(chunk.data(), chunk.size() - strm.avail_out);
  } while (ret == LZMA_OK);
  lzma_end(&strm);
  if (ret != LZMA_STREAM_END) {
    *error = "corrupt or truncated xz data (lzma error " + std::to_string(ret) + ")";
    return false;
  }
  return true;
}

}  // namespace

bool LoadTrace(const std::string& path, Trace* out, std::string* error) {
  std::string raw;
  if (!ReadFile(path, &raw, error)) return false;
  std::string text;
  if (path.size() > 3 && path.compare(path.size() - 3, 3, ".xz") == 0) {
    if (!DecodeXz(raw, &text, error)) return false;
    raw.clear();
    raw.shrink_to_fit();
  } else {
    text = std::move(raw);
  }
  std::unordered_map<std::string_view, uint32_t> ids;
  ids.reserve(1 << 16);
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
      line.remove_suffix(1);
    }
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.empty() || line == "*" || line.front() == '#') continue;
    auto [it, inserted] = ids.try_emplace(line, static_cast<uint32_t>(ids.size()));
    if (inserted && ids.size() == UINT32_MAX) {
      *error = "too many distinct keys";
      return false;
    }
    out->keys.push_back(it->second);
  }
  out->unique = static_cast<uint32_t>(ids.size());
  size_t slash = path.find_last_of('/');
  out->name = slash == std::string::npos ? path : path.substr(slash + 1);
  return true;
}

void AssignSyntheticSizes(Trace* trace, uint64_t seed) {
  trace->sizes.resize(trace->unique);
  trace->unique_bytes = 0;
  const double lo = std::log(100.0), hi = std::log(1048576.0);
  for (uint32_t k = 0; k < trace->unique; ++k) {
    uint64_t z = (k + 1) * 0x9E3779B97F4A7C15ULL ^ (seed * 0xD1B54A32D192ED03ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    double u = static_cast<double>(z >> 11) * 0x1.0p-53;
    auto size = static_cast<uint32_t>(std::exp(lo + u * (hi - lo)));
    trace->sizes[k] = size;
    trace->unique_bytes += size;
  }
}

}  // namespace strata::bench
