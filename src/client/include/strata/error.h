// Typed errors of libstrata. Every failure the library reports is a strata::Error, and its
// subclass says what kind of failure it was, so callers can tell "the server said no"
// (ServerError: retrying the same command will not help) from "we could not reach it"
// (ConnectionError, TimeoutError: the command may or may not have run; retry only what is
// idempotent).
#pragma once

#include <stdexcept>
#include <string>

namespace strata {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The connection failed or was closed before the reply came. A command that was written may
// have run on the server.
class ConnectionError : public Error {
 public:
  using Error::Error;
};

// No reply within the command timeout. The connection is reset (its replies can no longer be
// matched to their commands), so every command in flight on it fails too.
class TimeoutError : public ConnectionError {
 public:
  using ConnectionError::ConnectionError;
};

// The server sent bytes that are not RESP, or a reply of an unexpected type.
class ProtocolError : public Error {
 public:
  using Error::Error;
};

// The server answered with an error reply ("-WRONGTYPE ..."). code() is its first word.
class ServerError : public Error {
 public:
  explicit ServerError(const std::string& message)
      : Error(message), code_(message.substr(0, message.find(' '))) {}
  const std::string& code() const { return code_; }

 private:
  std::string code_;
};

}  // namespace strata
