// FunctionRegistry: the function engine. Holds the libraries loaded with FUNCTION LOAD, the
// functions they registered, and the VM they live in.
//
// How a server drives it:
//   FUNCTION LOAD [REPLACE] code  ->  Load(code, replace, host): library name or error text
//   FCALL / FCALL_RO f numkeys .. ->  FindFunction(f) (nullptr: errors::kFunctionNotFound),
//                                     policy checks on its flags, then Call(...)
//   FUNCTION DELETE lib           ->  Delete(lib) (false: errors::kLibraryNotFound)
//   FUNCTION FLUSH                ->  Flush()
//   FUNCTION LIST / DUMP / STATS  ->  libraries(), functions()
// Function names are matched ignoring case, library names exactly (as Redis 7.0).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kv/script/lua_vm.h"

namespace strata::kv::script {

class FunctionRegistry {
 public:
  struct Function {
    std::string name;  // as registered
    std::string library;
    uint32_t flags = 0;  // ScriptFlag bits
    std::optional<std::string> description;
    int ref = -1;
  };

  struct Library {
    std::string name;
    std::string engine = "LUA";
    std::string code;                    // the whole payload, for LIST WITHCODE and DUMP
    std::vector<std::string> functions;  // registration order
  };

  struct LoadResult {
    bool ok = false;
    std::string library;  // on success
    std::string error;    // error reply text without '-', e.g. "ERR Library 'x' already exists"
  };

  explicit FunctionRegistry(const VmOptions& options = {});

  // FUNCTION LOAD: parses the metadata line, compiles the code, runs it in the load
  // environment (at most VmOptions::load_timeout) and links the functions it registered.
  // With `replace` an existing library of the same name is swapped out only on success.
  LoadResult Load(std::string_view payload, bool replace, ScriptHost* host = nullptr);

  // Neither may run from inside a running function's host callback (see running()).
  bool Delete(std::string_view library);
  void Flush();
  bool running() const { return vm_->running(); }

  const Function* FindFunction(std::string_view name) const;
  const Library* FindLibrary(std::string_view name) const;
  const std::map<std::string, Library>& libraries() const { return libraries_; }
  // Keyed by the lowercase name.
  const std::map<std::string, Function>& functions() const { return functions_; }

  ScriptReply Call(const Function& function, std::span<const std::string_view> keys,
                   std::span<const std::string_view> args, int client_resp, ScriptHost* host);

  size_t vm_memory() const { return vm_->used_memory(); }

 private:
  void Unlink(const Library& lib);

  VmOptions options_;
  std::unique_ptr<LuaVm> vm_;
  std::map<std::string, Library> libraries_;
  std::map<std::string, Function> functions_;
};

}  // namespace strata::kv::script
