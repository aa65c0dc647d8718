// FUNCTION DUMP payloads from the command line, for checks against a real redis-server:
//   function-dump-tool encode FILE...  the payload holding each file's contents as a library
//   function-dump-tool decode          reads a payload on stdin; writes each library code as
//                                      "<length>\n<code>\n", then "OK" or "ERROR <text>"
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "kv/script/function_dump.h"

namespace {

int Usage() {
  std::cerr << "usage: function-dump-tool encode FILE... | function-dump-tool decode\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage();
  std::string mode = argv[1];
  if (mode == "encode") {
    std::vector<std::string> codes;
    for (int i = 2; i < argc; i++) {
      std::ifstream in(argv[i], std::ios::binary);
      if (!in) {
        std::cerr << "cannot read " << argv[i] << "\n";
        return 1;
      }
      codes.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    std::string payload = strata::kv::script::EncodeFunctionDump(codes);
    std::cout.write(payload.data(), std::streamsize(payload.size()));
    return std::cout.flush() ? 0 : 1;
  }
  if (mode == "decode" && argc == 2) {
    std::ostringstream in;
    in << std::cin.rdbuf();
    strata::kv::script::FunctionDumpContents contents =
        strata::kv::script::DecodeFunctionDump(in.str());
    for (const std::string& code : contents.codes) {
      std::cout << code.size() << "\n";
      std::cout.write(code.data(), std::streamsize(code.size()));
      std::cout << "\n";
    }
    std::cout << (contents.ok() ? "OK" : "ERROR " + contents.error) << "\n";
    return std::cout.flush() ? 0 : 1;
  }
  return Usage();
}
