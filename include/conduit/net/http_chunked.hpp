// net/http_chunked: the end of a request body sent with "Transfer-Encoding: chunked" (RFC 9112
// 7.1), found byte by byte as it arrives, so that a server which does not want the body can
// throw it away and keep the connection for the next request, as nginx does for a GET or HEAD
// with a body. Nothing is buffered: memory stays the same whatever the client sends; the idle
// timeout bounds a client that never ends its body.
//
// What is accepted and refused follows nginx's ngx_http_parse_chunked: a chunk size of hex digits
// (leading zeros allowed) that fits in 63 bits, whitespace before a chunk extension, any
// extension text without controls, CRLF or a bare LF as line end, trailer fields skipped
// unread. Anything else (no digits, a digit too many, a control in an extension, no line end
// after a chunk's data) is Bad: the server answers 400 if it has not answered yet, and closes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace conduit::net::http {

class ChunkedBody {
 public:
  enum class Status : unsigned char {
    More,  // the body goes on: feed the next bytes
    Done,  // the body ended; `consumed` of the bytes fed were its last
    Bad,   // not a chunked body
  };
  struct Result {
    Status status = Status::More;
    std::size_t consumed = 0;  // bytes of `data` that belong to the body
  };

  // Takes the next bytes of the connection; what follows the body's end is left unconsumed
  // (it is the next request). After Done or Bad, nothing more is taken.
  Result feed(std::string_view data);

  bool done() const noexcept { return state_ == State::Done; }

 private:
  enum class State : unsigned char {
    Size,          // hex digits of a chunk size
    SizeSpace,     // whitespace after the size: only ';' (an extension) or the line end
    Extension,     // ";name=value" up to the line end
    SizeLf,        // CR seen after the size line: LF must follow
    Data,          // `left_` bytes of chunk data
    DataCr,        // the line end after a chunk's data
    DataLf,
    TrailerStart,  // a trailer field line, or the empty line that ends the body
    Trailer,
    TrailerLf,     // CR seen in a trailer line
    EndLf,         // CR of the final empty line
    Done,
    Bad,
  };

  State state_ = State::Size;
  std::uint64_t size_ = 0;   // the chunk size read so far
  unsigned digits_ = 0;      // its hex digits
  std::uint64_t left_ = 0;   // data bytes of the current chunk not yet seen
};

}  // namespace conduit::net::http
