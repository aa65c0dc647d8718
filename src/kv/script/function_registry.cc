#include "kv/script/function_registry.h"

#include <strings.h>
#include <cctype>

#include "kv/script/shebang.h"

namespace strata::kv::script {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

FunctionRegistry::FunctionRegistry(const VmOptions& options)
    : options_(options), vm_(std::make_unique<LuaVm>(VmKind::kFunctions, options)) {}

FunctionRegistry::LoadResult FunctionRegistry::Load(std::string_view payload, bool replace,
                                                    ScriptHost* host) {
  LoadResult result;
  LibraryMetadata md;
  if (!ParseLibraryMetadata(payload, &md, &result.error)) return result;
  if (!IsValidFunctionName(md.name)) {
    result.error =
        "ERR Library names can only contain letters, numbers, or underscores(_) and must be at "
        "least one character long";
    return result;
  }
  if (strcasecmp(md.engine.c_str(), "lua") != 0) {
    result.error = "ERR Engine '" + md.engine + "' not found";
    return result;
  }
  auto old = libraries_.find(md.name);
  if (old != libraries_.end() && !replace) {
    result.error = "ERR Library '" + md.name + "' already exists";
    return result;
  }

  std::string lua_error;
  int chunk = vm_->Compile(md.code, "@user_function", &lua_error);
  if (chunk < 0) {
    result.error = "ERR Error compiling function: " + lua_error;
    return result;
  }
  std::vector<RegisteredFunction> registered;
  bool ran = vm_->RunLibraryLoad(chunk, host, &registered, &result.error);
  vm_->Release(chunk);  // the registered callbacks keep what they need alive
  if (!ran) return result;

  auto release_all = [&] {
    for (const RegisteredFunction& f : registered) vm_->Release(f.ref);
  };
  if (registered.empty()) {
    result.error = "ERR No functions registered";
    return result;
  }
  // Names must not clash with another library's functions (the replaced one excepted).
  for (const RegisteredFunction& f : registered) {
    auto clash = functions_.find(Lower(f.name));
    if (clash != functions_.end() && clash->second.library != md.name) {
      result.error = "ERR Function " + f.name + " already exists";
      release_all();
      return result;
    }
  }

  if (old != libraries_.end()) {
    Unlink(old->second);
    libraries_.erase(old);
  }
  Library lib;
  lib.name = md.name;
  lib.code = std::string(payload);
  for (RegisteredFunction& f : registered) {
    std::string key = Lower(f.name);
    if (functions_.count(key)) {
      // Two names of one library equal but for case: the first registration answers.
      vm_->Release(f.ref);
      continue;
    }
    lib.functions.push_back(f.name);
    Function fn;
    fn.name = std::move(f.name);
    fn.library = md.name;
    fn.flags = f.flags;
    fn.description = std::move(f.description);
    fn.ref = f.ref;
    functions_.emplace(std::move(key), std::move(fn));
  }
  result.ok = true;
  result.library = md.name;
  libraries_.emplace(md.name, std::move(lib));
  return result;
}

void FunctionRegistry::Unlink(const Library& lib) {
  for (const std::string& name : lib.functions) {
    auto it = functions_.find(Lower(name));
    if (it != functions_.end() && it->second.library == lib.name) {
      vm_->Release(it->second.ref);
      functions_.erase(it);
    }
  }
}

bool FunctionRegistry::Delete(std::string_view library) {
  auto it = libraries_.find(std::string(library));
  if (it == libraries_.end()) return false;
  Unlink(it->second);
  libraries_.erase(it);
  return true;
}

void FunctionRegistry::Flush() {
  functions_.clear();
  libraries_.clear();
  vm_ = std::make_unique<LuaVm>(VmKind::kFunctions, options_);
}

const FunctionRegistry::Function* FunctionRegistry::FindFunction(std::string_view name) const {
  auto it = functions_.find(Lower(name));
  return it == functions_.end() ? nullptr : &it->second;
}

const FunctionRegistry::Library* FunctionRegistry::FindLibrary(std::string_view name) const {
  auto it = libraries_.find(std::string(name));
  return it == libraries_.end() ? nullptr : &it->second;
}

ScriptReply FunctionRegistry::Call(const Function& function, std::span<const std::string_view> keys,
                                   std::span<const std::string_view> args, int client_resp,
                                   ScriptHost* host) {
  return vm_->Invoke(LuaVm::Invocation{function.ref, function.name, keys, args, client_resp, host});
}

}  // namespace strata::kv::script
