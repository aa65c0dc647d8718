// strata::Task<T>: the coroutine type of libstrata's asynchronous API.
//
//   strata::Task<std::string> Load(strata::Client& c) {
//     strata::Reply r = co_await c.Async("GET", "user:1");
//     co_return r.str();
//   }
//   std::string v = strata::SyncWait(Load(client));
//
// A Task is lazy: it starts when awaited (or by SyncWait / Spawn) and resumes its awaiter when it
// finishes, by symmetric transfer (no recursion, no allocation beyond the frame). A coroutine that
// awaits a command resumes on the client's I/O thread, where the reply arrived: keep the work
// there short, and never make blocking (synchronous) calls on that client from it.
#pragma once

#include <coroutine>
#include <exception>
#include <optional>
#include <semaphore>
#include <utility>

namespace strata {

template <typename T>
class Task;

namespace detail {

struct PromiseBase {
  std::coroutine_handle<> continuation;
  std::exception_ptr error;
  std::suspend_always initial_suspend() noexcept { return {}; }
  struct Final {
    bool await_ready() noexcept { return false; }
    template <typename P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
      auto next = h.promise().continuation;
      return next ? next : std::noop_coroutine();
    }
    void await_resume() noexcept {}
  };
  Final final_suspend() noexcept { return {}; }
  void unhandled_exception() { error = std::current_exception(); }
};

template <typename T>
struct Promise : PromiseBase {
  std::optional<T> value;
  Task<T> get_return_object();
  template <typename U>
  void return_value(U&& v) {
    value.emplace(std::forward<U>(v));
  }
  T Take() {
    if (error) std::rethrow_exception(error);
    return std::move(*value);
  }
};

template <>
struct Promise<void> : PromiseBase {
  Task<void> get_return_object();
  void return_void() {}
  void Take() {
    if (error) std::rethrow_exception(error);
  }
};

}  // namespace detail

template <typename T = void>
class [[nodiscard]] Task {
 public:
  using promise_type = detail::Promise<T>;
  using Handle = std::coroutine_handle<promise_type>;

  explicit Task(Handle h) : h_(h) {}
  Task(Task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  Task& operator=(Task&& o) noexcept {
    if (this != &o) {
      if (h_) h_.destroy();
      h_ = std::exchange(o.h_, {});
    }
    return *this;
  }
  Task(const Task&) = delete;
  ~Task() {
    if (h_) h_.destroy();
  }

  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiter) noexcept {
    h_.promise().continuation = awaiter;
    return h_;
  }
  T await_resume() { return h_.promise().Take(); }

 private:
  Handle h_;
};

namespace detail {
template <typename T>
Task<T> Promise<T>::get_return_object() {
  return Task<T>(std::coroutine_handle<Promise<T>>::from_promise(*this));
}
inline Task<void> Promise<void>::get_return_object() {
  return Task<void>(std::coroutine_handle<Promise<void>>::from_promise(*this));
}

// A fire-and-forget coroutine that destroys itself when done.
struct Detached {
  struct promise_type {
    Detached get_return_object() { return {}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() {}
    void unhandled_exception() { std::terminate(); }
  };
};

template <typename T>
Detached RunSignalling(Task<T> task, std::optional<T>* out, std::exception_ptr* err,
                       std::binary_semaphore* done) {
  try {
    out->emplace(co_await task);
  } catch (...) {
    *err = std::current_exception();
  }
  done->release();
}

inline Detached RunSignalling(Task<void> task, std::exception_ptr* err,
                              std::binary_semaphore* done) {
  try {
    co_await task;
  } catch (...) {
    *err = std::current_exception();
  }
  done->release();
}

inline Detached RunDetached(Task<void> task) {
  try {
    co_await task;
  } catch (...) {
  }
}
}  // namespace detail

// Runs the task to completion, blocking the calling thread (not a client's I/O thread) until it
// finishes; returns its value or rethrows its exception.
template <typename T>
T SyncWait(Task<T> task) {
  std::binary_semaphore done(0);
  std::exception_ptr err;
  if constexpr (std::is_void_v<T>) {
    detail::RunSignalling(std::move(task), &err, &done);
    done.acquire();
    if (err) std::rethrow_exception(err);
  } else {
    std::optional<T> out;
    detail::RunSignalling(std::move(task), &out, &err, &done);
    done.acquire();
    if (err) std::rethrow_exception(err);
    return std::move(*out);
  }
}

// Starts the task and lets it run on its own; an exception it throws is dropped.
inline void Spawn(Task<void> task) { detail::RunDetached(std::move(task)); }

}  // namespace strata
