// RequestBodyPipe (bounded buffer, wake-ups through the reactor, failure) and the origin request
// head for streamed bodies.
#include <gtest/gtest.h>

#include "edge/fsm/origin_request.h"
#include "edge/upstream/request_body.h"
#include "proto/http1/parser.h"

namespace strata::edge {
namespace {

struct CountingReader : RequestBodyPipe::Reader {
  int wakes = 0;
  void OnRequestBodyReadable() override { wakes++; }
};
struct CountingWriter : RequestBodyPipe::Writer {
  int wakes = 0;
  void OnRequestBodyDrained() override { wakes++; }
};

// Runs what has been posted to the reactor so far, then returns.
void Drain(io::Reactor* r) {
  r->Post([r] { r->Stop(); });
  r->Run();
}

TEST(RequestBodyPipe, BoundedWithWakeUpsPosted) {
  io::Reactor reactor;
  auto pipe = std::make_shared<RequestBodyPipe>(&reactor);
  CountingReader reader;
  CountingWriter writer;
  pipe->SetReader(&reader);
  pipe->SetWriter(&writer);
  EXPECT_FALSE(pipe->Full());
  pipe->Append(std::string(100, 'a'));
  pipe->Append(std::string(100, 'b'));
  EXPECT_EQ(reader.wakes, 0);  // never called from inside the writer's call stack
  Drain(&reactor);
  EXPECT_EQ(reader.wakes, 1);  // one wake-up for both appends
  EXPECT_EQ(pipe->pending().size(), 200u);

  pipe->Append(std::string(RequestBodyPipe::kHighWater, 'c'));
  EXPECT_TRUE(pipe->Full());
  pipe->Consume(200);  // still above half: the writer stays blocked
  Drain(&reactor);
  EXPECT_EQ(writer.wakes, 0);
  pipe->Consume(RequestBodyPipe::kHighWater / 2 + 1);
  Drain(&reactor);
  EXPECT_EQ(writer.wakes, 1);
  EXPECT_EQ(pipe->pending(), std::string(RequestBodyPipe::kHighWater / 2 - 1, 'c'));
  EXPECT_EQ(pipe->forwarded(), 200 + RequestBodyPipe::kHighWater / 2 + 1);

  pipe->Fail();
  EXPECT_TRUE(pipe->failed());
  EXPECT_FALSE(pipe->finished());
  pipe->DetachReader();
  pipe->SetWriter(nullptr);
  Drain(&reactor);  // wake-ups for detached ends are dropped
  EXPECT_EQ(writer.wakes, 1);
}

TEST(RequestBodyPipe, WakeUpAfterThePipeIsGoneIsHarmless) {
  io::Reactor reactor;
  CountingReader reader;
  {
    auto pipe = std::make_shared<RequestBodyPipe>(&reactor);
    pipe->SetReader(&reader);
    pipe->Append("x");
    pipe->Finish();
  }
  Drain(&reactor);
  EXPECT_EQ(reader.wakes, 0);
}

http1::RequestHead Post(const std::string& framing) {
  http1::RequestHead r;
  size_t c;
  http1::ParseError e;
  std::string raw = "POST /u HTTP/1.1\r\nHost: h\r\n" + framing + "\r\n";
  EXPECT_EQ(http1::ParseRequest(raw, http1::Limits{}, &r, &c, &e), http1::ParseStatus::kDone);
  return r;
}

// The head sent to the origin for a forwarded POST whose body is streamed with `framing`.
std::string ForwardedHead(const http1::RequestHead* req, http1::BodyFraming framing) {
  return BuildOriginRequest(
      {req, OriginRequestKind::kForward, "POST", {}, nullptr, "strata-edge", "", "", framing});
}

TEST(OriginRequest, StreamedBodyFraming) {
  auto cl = Post("Content-Length: 12345\r\n");
  std::string a = ForwardedHead(&cl, http1::BodyFraming::kContentLength);
  EXPECT_NE(a.find("Content-Length: 12345\r\n"), std::string::npos);
  EXPECT_EQ(a.find("Transfer-Encoding"), std::string::npos);
  EXPECT_EQ(a.substr(a.size() - 4), "\r\n\r\n");  // the head only: the body follows

  auto ch = Post("Transfer-Encoding: chunked\r\n");
  std::string b = ForwardedHead(&ch, http1::BodyFraming::kChunked);
  EXPECT_NE(b.find("Transfer-Encoding: chunked\r\n"), std::string::npos);
  EXPECT_EQ(b.find("Content-Length"), std::string::npos);
  EXPECT_EQ(b.substr(b.size() - 4), "\r\n\r\n");
}

}  // namespace
}  // namespace strata::edge
