// Accepting connections when the process may be out of file descriptors.
//
// A listener is edge-triggered here, so a connection that accept() cannot take (EMFILE) would wait
// in the backlog, unanswered, until another one arrives. Instead, one descriptor is held in
// reserve for the whole process: out of descriptors, the acceptor gives it up for a moment, takes
// the waiting connection on its number, writes the server's refusal and closes it. Every accept
// runs under one lock, so no other acceptor can take the number the spare frees.
#pragma once

#include <string_view>

#include "io/reactor.h"

namespace strata::io {

// Opens the spare descriptor (once, at start; again later by itself if it was lost).
void ReserveSpareFd();

struct Accepted {
  int fd = -1;              // the new connection, or -1
  bool refused = false;     // out of descriptors: a connection was taken and refused
  bool out_of_fds = false;  // out of descriptors and nothing could be done: look again later
  int error = 0;            // errno of a failed accept (EAGAIN: nothing waiting)
};

// accept4 (non-blocking, close-on-exec) on listen_fd. Out of descriptors, refuses one waiting
// connection with `refusal` using the spare, and logs a warning (at most once a second) that
// ends with `hint`, what the operator can do about it.
Accepted AcceptOrRefuse(int listen_fd, std::string_view refusal, const char* hint);

// For an edge-triggered listener whose accept found no descriptor at all, not even the spare: the
// listener will not report the waiting connections again, so this has the handler look again
// (OnEvent(EPOLLIN) on `reactor`) 10 ms later, once however often it is asked. Reactor thread.
class AcceptRetry {
 public:
  void Arm(Reactor* reactor, EventHandler* listener);

 private:
  bool armed_ = false;
};

}  // namespace strata::io
