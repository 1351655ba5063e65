// net/live_http: the HTTP face of a live stream (the fan-out server's `http` mode), as pure
// functions: read a client's request head, decide what to answer, format the response head.
//
// A live stream has no length and no ranges: GET gets "200 OK" with no Content-Length and
// `Connection: close` (the body ends when the connection does, RFC 9112 6.3), then the stream;
// HEAD gets the same head and nothing else; any other method gets 405 with `Allow: GET, HEAD`;
// a head that does not parse gets 400 (431 when too long, 414 for a long request line, 501 for
// an unknown transfer coding, 505 for another HTTP version). Every
// target is the stream (curl, mpv, GStreamer and browsers ask for http://host:port/live.ts).
#pragma once

#include <ctime>
#include <string>
#include <string_view>

namespace conduit::net::http {

struct LiveAnswer {
  enum class Kind : unsigned char {
    Incomplete,  // no whole head yet: read more
    Stream,      // send `head`, then the stream
    HeadOnly,    // send `head` (an answer to HEAD, or an error), then close
  };
  Kind kind = Kind::Incomplete;
  int status = 0;
  std::string head;     // the response head (and an error's short body)
  std::string request;  // for logs: "GET /live.ts 200", "PUT /x 405", "malformed request 400"
};

// What to answer the request head at the start of `buffer`. `content_type` goes in a 200's head,
// `server` in "Server:" (none when empty), `now` in "Date:".
LiveAnswer answer_live(std::string_view buffer, std::string_view content_type, std::string_view server,
                       std::time_t now);

}  // namespace conduit::net::http
