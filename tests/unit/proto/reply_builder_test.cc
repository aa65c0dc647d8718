#include "proto/resp/reply_builder.h"

#include <gtest/gtest.h>

namespace strata::resp {
namespace {

TEST(ReplyBuilder, Resp2Forms) {
  std::string out;
  ReplyBuilder rb(&out, 2);
  rb.Null();
  rb.NullArray();
  rb.MapHeader(2);
  rb.SetHeader(1);
  rb.Double(1.5);
  rb.Bool(true);
  rb.Verbatim("hi");
  rb.Error("ERR bad\r\nthing");
  EXPECT_EQ(out, "$-1\r\n*-1\r\n*4\r\n*1\r\n$3\r\n1.5\r\n:1\r\n$2\r\nhi\r\n-ERR bad  thing\r\n");
}

TEST(ReplyBuilder, Resp3Forms) {
  std::string out;
  ReplyBuilder rb(&out, 3);
  rb.Null();
  rb.MapHeader(2);
  rb.SetHeader(1);
  rb.Double(1.5);
  rb.Bool(false);
  rb.Verbatim("hi");
  rb.PushHeader(3);
  EXPECT_EQ(out, "_\r\n%2\r\n~1\r\n,1.5\r\n#f\r\n=6\r\ntxt:hi\r\n>3\r\n");
}

TEST(ReplyBuilder, Scalars) {
  std::string out;
  ReplyBuilder rb(&out);
  rb.Integer(-42);
  rb.Bulk("");
  rb.SimpleString("OK");
  rb.ArrayHeader(0);
  EXPECT_EQ(out, ":-42\r\n$0\r\n\r\n+OK\r\n*0\r\n");
}

}  // namespace
}  // namespace strata::resp
