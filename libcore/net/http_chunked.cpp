// net/http_chunked: where a chunked request body ends (see the header for what is accepted).
#include "conduit/net/http_chunked.hpp"

#include <algorithm>
#include <limits>

#include "conduit/hex.hpp"

namespace conduit::net::http {

namespace {

// A chunk size above this cannot take another digit without passing 2^63 - 1 (nginx: off_t).
constexpr std::uint64_t kMaxBeforeDigit = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) / 16;

}  // namespace

ChunkedBody::Result ChunkedBody::feed(std::string_view data) {
  Result r;
  std::size_t i = 0;
  // The size line has ended: the chunk's data, or (size 0) the trailer section.
  auto size_line_done = [this] {
    state_ = size_ == 0 ? State::TrailerStart : State::Data;
    left_ = size_;
  };
  while (i < data.size() && state_ != State::Done && state_ != State::Bad) {
    if (state_ == State::Data) {  // the bulk: skipped without looking at it
      auto take = static_cast<std::size_t>(std::min<std::uint64_t>(left_, data.size() - i));
      i += take;
      left_ -= take;
      if (left_ == 0) state_ = State::DataCr;
      continue;
    }
    char c = data[i++];
    switch (state_) {
      case State::Size:
        if (int v = hex_value(c); v >= 0) {
          if (size_ > kMaxBeforeDigit) {
            state_ = State::Bad;
            break;
          }
          size_ = size_ * 16 + static_cast<std::uint64_t>(v);
          ++digits_;
        } else if (digits_ == 0) {
          state_ = State::Bad;
        } else if (c == ' ' || c == '\t') {
          state_ = State::SizeSpace;
        } else if (c == ';') {
          state_ = State::Extension;
        } else if (c == '\r') {
          state_ = State::SizeLf;
        } else if (c == '\n') {
          size_line_done();
        } else {
          state_ = State::Bad;
        }
        break;
      case State::SizeSpace:
        if (c == ';') state_ = State::Extension;
        else if (c == '\r') state_ = State::SizeLf;
        else if (c == '\n') size_line_done();
        else if (c != ' ' && c != '\t') state_ = State::Bad;
        break;
      case State::Extension:
        if (c == '\r') state_ = State::SizeLf;
        else if (c == '\n') size_line_done();
        else if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) state_ = State::Bad;
        break;
      case State::SizeLf:
        if (c == '\n') size_line_done();
        else state_ = State::Bad;
        break;
      case State::DataCr:
      case State::DataLf:
        if (c == '\r' && state_ == State::DataCr) {
          state_ = State::DataLf;
        } else if (c == '\n') {
          state_ = State::Size;
          size_ = 0;
          digits_ = 0;
        } else {
          state_ = State::Bad;
        }
        break;
      case State::TrailerStart:
        if (c == '\r') state_ = State::EndLf;
        else if (c == '\n') state_ = State::Done;
        else state_ = State::Trailer;
        break;
      case State::Trailer:
        if (c == '\r') state_ = State::TrailerLf;
        else if (c == '\n') state_ = State::TrailerStart;
        break;
      case State::TrailerLf:
        state_ = c == '\n' ? State::TrailerStart : State::Bad;
        break;
      case State::EndLf:
        state_ = c == '\n' ? State::Done : State::Bad;
        break;
      case State::Data:
      case State::Done:
      case State::Bad:
        break;
    }
  }
  r.consumed = i;
  r.status = state_ == State::Done ? Status::Done : state_ == State::Bad ? Status::Bad : Status::More;
  return r;
}

}  // namespace conduit::net::http
