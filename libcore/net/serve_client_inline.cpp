// net/serve_client_inline: a small body leaves with its head in one send. For a 1 KiB file the
// head by send(MSG_MORE), the body by sendfile(2) and an fstat to check the size afterwards
// cost three calls where pread and one send do (lighttpd answers so too); past kInlineMax the
// copy through user space costs more than sendfile's page references, and the body goes as
// before. The read asks for one byte more than the body: a file that grew or shrank since its
// head was planned is seen before anything is sent, and then takes the ordinary path, which
// reports the change as it always has.
#include <algorithm>
#include <span>

#include "conduit/net/serve_client.hpp"
#include "conduit/sys.hpp"

namespace conduit::net {

namespace {
// The largest body (text and file bytes) sent from memory with its head.
constexpr std::uint64_t kInlineMax = 16 * 1024;
}  // namespace

void ServeClient::inline_small_body() {
  if (pieces_.size() != 1 || following_) return;
  const http::BodyPiece& piece = pieces_.front();
  if (piece.text.size() + piece.file_length > kInlineMax) return;
  const std::size_t head_size = head_.size();
  head_ += piece.text;
  bool size_checked = false;
  if (piece.file_length > 0) {
    auto length = static_cast<std::size_t>(piece.file_length);
    bool to_end = piece.file_first + piece.file_length == body_size_;
    std::size_t at = head_.size();
    head_.resize(at + length + 1);
    ctx_.stats.count(Call::Read);
    ssize_t got = sys::pread(file_, std::as_writable_bytes(std::span(head_.data() + at, length + 1)),
                             static_cast<off_t>(piece.file_first));
    // A range that ends where the file did must still end there; another needs its bytes.
    bool as_planned = to_end ? got == static_cast<ssize_t>(length) : got >= static_cast<ssize_t>(length);
    if (!as_planned) {  // a read error, or the file changed size: the ordinary path tells
      head_.resize(head_size);
      return;
    }
    head_.resize(at + length);
    size_checked = to_end;
  }
  inline_body_ = head_.size() - head_size;
  pieces_.clear();
  body_offset_ = body_end_ = 0;
  if (size_checked) file_response_ = false;  // the read just now saw the size it promised
}

}  // namespace conduit::net
