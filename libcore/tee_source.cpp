// tee_source: see the header.
#include "conduit/tee_source.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>

#include "conduit/sys.hpp"

namespace conduit {

int TeeSource::open(int in, const FdInfo& info, std::size_t pipe_size, int broker_flags) noexcept {
  in_ = in;
  if (info.kind == FdKind::Pipe) {
    grow_pipe(in, pipe_size);
    long size = conduit::pipe_size(in);
    capacity_ = size > 0 ? static_cast<std::size_t>(size) : 65536;
    src_ = in;
    return 0;
  }
  if (int rc = broker_.open(broker_flags); rc < 0) return rc;
  broker_.grow(pipe_size);
  capacity_ = broker_.capacity() > 0 ? broker_.capacity() : 4096;
  src_ = broker_.read_fd();
  brokered_ = true;
  return 0;
}

std::uint64_t TeeSource::held() const noexcept {
  if (brokered_) return end_ - consumed_;
  int n = 0;
  if (::ioctl(src_, FIONREAD, &n) < 0 || n < 0) return 0;
  return static_cast<std::uint64_t>(n);
}

ssize_t TeeSource::refill(unsigned flags) noexcept {
  ssize_t n = sys::splice(in_, nullptr, broker_.write_fd(), nullptr, room(), flags);
  if (n > 0) end_ += static_cast<std::uint64_t>(n);
  return n;
}

}  // namespace conduit
