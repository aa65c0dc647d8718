// The Lua heap of a scripting VM: every allocation goes through LuaHeap, which counts bytes and
// refuses growth past an optional limit so that a runaway script fails with Lua's "not enough
// memory" error instead of exhausting the process.
//
// Lua reports errors with longjmp, which must never cross a C++ frame holding objects with
// destructors. Code that keeps such objects (a std::string reply, an argv vector) while calling
// the Lua API lifts the limit for that stretch with UnlimitedScope: with no allocation failing,
// the API calls it makes (pushes, table stores, stack growth) cannot raise.
#pragma once

#include <cstddef>

struct lua_State;

namespace strata::kv::script {

struct LuaHeap {
  size_t used = 0;
  size_t limit = 0;       // 0 = no limit
  int unlimited = 0;      // nesting count of UnlimitedScope
  void* owner = nullptr;  // the LuaVm, for API functions that need their context

  static void* Alloc(void* ud, void* ptr, size_t osize, size_t nsize);
  static LuaHeap* Of(lua_State* L);
};

class UnlimitedScope {
 public:
  explicit UnlimitedScope(lua_State* L) : heap_(LuaHeap::Of(L)) { heap_->unlimited++; }
  ~UnlimitedScope() { heap_->unlimited--; }
  UnlimitedScope(const UnlimitedScope&) = delete;
  UnlimitedScope& operator=(const UnlimitedScope&) = delete;

 private:
  LuaHeap* heap_;
};

}  // namespace strata::kv::script
