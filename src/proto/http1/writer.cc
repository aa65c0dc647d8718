#include "proto/http1/writer.h"

#include <cstdio>

namespace strata::http1 {

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 102:
      return "Processing";
    case 103:
      return "Early Hints";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 203:
      return "Non-Authoritative Information";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 300:
      return "Multiple Choices";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 410:
      return "Gone";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 416:
      return "Range Not Satisfiable";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
  }
  return "";
}

void AppendStatusLine(std::string* out, int status, std::string_view reason) {
  if (status < 100 || status > 999) status = 500;
  char buf[13] = {'H',
                  'T',
                  'T',
                  'P',
                  '/',
                  '1',
                  '.',
                  '1',
                  ' ',
                  char('0' + status / 100),
                  char('0' + status / 10 % 10),
                  char('0' + status % 10),
                  ' '};
  out->append(buf, sizeof(buf));
  out->append(reason.empty() ? ReasonPhrase(status) : reason);
  out->append("\r\n", 2);
}

void AppendRequestLine(std::string* out, std::string_view method, std::string_view target) {
  out->append(method);
  out->push_back(' ');
  out->append(target);
  out->append(" HTTP/1.1\r\n", 11);
}

void AppendFieldInt(std::string* out, std::string_view name, uint64_t value) {
  char buf[24];
  char* end = buf + sizeof(buf);
  char* p = end;
  do {
    *--p = char('0' + value % 10);
    value /= 10;
  } while (value);
  AppendField(out, name, std::string_view(p, size_t(end - p)));
}

void AppendChunk(std::string* out, std::string_view data) {
  if (data.empty()) return;
  char buf[24];
  int n = snprintf(buf, sizeof(buf), "%zx\r\n", data.size());
  out->append(buf, size_t(n));
  out->append(data);
  out->append("\r\n", 2);
}

}  // namespace strata::http1
