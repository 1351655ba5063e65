// net/live_http: requests and response heads for a live stream (see the header).
#include "conduit/net/live_http.hpp"

#include "conduit/net/http.hpp"
#include "conduit/net/http_validators.hpp"

namespace conduit::net::http {

namespace {

// The start of every head: status line, Server, Date.
std::string head_start(int status, std::string_view server, std::time_t now) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason_phrase(status)) + "\r\n";
  if (!server.empty()) out += "Server: " + std::string(server) + "\r\n";
  out += "Date: " + format_http_date(now) + "\r\n";
  return out;
}

LiveAnswer error(int status, std::string request, std::string_view server, std::time_t now) {
  LiveAnswer a;
  a.kind = LiveAnswer::Kind::HeadOnly;
  a.status = status;
  std::string body = std::to_string(status) + " " + std::string(reason_phrase(status)) + "\n";
  a.head = head_start(status, server, now);
  if (status == 405) a.head += "Allow: GET, HEAD\r\n";
  a.head += "Content-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
            "\r\nConnection: close\r\n\r\n" + body;
  a.request = std::move(request) + " " + std::to_string(status);
  return a;
}

}  // namespace

LiveAnswer answer_live(std::string_view buffer, std::string_view content_type, std::string_view server,
                       std::time_t now) {
  ParseResult parsed = parse_request(buffer);
  switch (parsed.status) {
    case ParseStatus::Incomplete: return LiveAnswer{};
    case ParseStatus::Bad: return error(400, "malformed request", server, now);
    case ParseStatus::TooLarge: return error(431, "request head too large", server, now);
    case ParseStatus::BadVersion: return error(505, "unsupported HTTP version", server, now);
    case ParseStatus::UriTooLong: return error(414, "request line too long", server, now);
    case ParseStatus::NotImplemented: return error(501, "unknown transfer coding", server, now);
    case ParseStatus::Ok: break;
  }
  const Request& req = parsed.request;
  std::string request = std::string(req.method) + " " + std::string(req.target);
  bool head_only = req.method == "HEAD";
  if (req.method != "GET" && !head_only) return error(405, std::move(request), server, now);
  LiveAnswer a;
  a.kind = head_only ? LiveAnswer::Kind::HeadOnly : LiveAnswer::Kind::Stream;
  a.status = 200;
  a.head = head_start(200, server, now);
  if (!content_type.empty()) a.head += "Content-Type: " + std::string(content_type) + "\r\n";
  // Live: nothing to cache, nothing to resume; the body ends with the connection.
  a.head += "Cache-Control: no-cache, no-store\r\nConnection: close\r\n\r\n";
  a.request = std::move(request) + " 200";
  return a;
}

}  // namespace conduit::net::http
