// Prefetch: a hint that `p` will be read soon.
//
// Not __builtin_prefetch: GCC 12 treats it as free of side effects, so a function whose only
// effect is a prefetch is found "const" and every call to it is deleted (DbTable::Prefetch, an
// inline member, compiled to nothing in every caller). An asm volatile statement is never removed.
#pragma once

namespace strata {

inline void Prefetch(const void* p) {
#if defined(__x86_64__) || defined(__i386__)
  asm volatile("prefetcht0 %0" : : "m"(*static_cast<const char*>(p)));
#else
  __builtin_prefetch(p);
  asm volatile("" : : "r"(p) : "memory");
#endif
}

}  // namespace strata
