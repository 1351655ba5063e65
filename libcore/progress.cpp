// progress: a one-line meter redrawn in place with "\r" on stderr.
#include "conduit/progress.hpp"

#include <unistd.h>

#include <cstdio>

#include "conduit/size.hpp"

namespace conduit {

namespace {
constexpr auto kRedrawInterval = std::chrono::milliseconds(250);
}

Progress::Progress(std::string prog, std::optional<std::uint64_t> total, int fd)
    : prog_(std::move(prog)), total_(total), fd_(fd),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

void Progress::advance(std::uint64_t n) {
  done_ += n;
  auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ >= kRedrawInterval) {
    last_draw_ = now;
    draw(false);
  }
}

void Progress::finish() {
  if (finished_) return;
  finished_ = true;
  draw(true);
}

std::string Progress::render(std::string_view prog, std::uint64_t done,
                             std::optional<std::uint64_t> total, double seconds) {
  std::string line(prog);
  line += ": ";
  line += format_bytes(done);
  if (seconds > 0) {
    line += "  ";
    line += format_bytes(static_cast<std::uint64_t>(static_cast<double>(done) / seconds));
    line += "/s";
  }
  if (total && *total > 0) {
    std::uint64_t shown = done > *total ? *total : done;
    char buf[64];
    std::snprintf(buf, sizeof buf, "  %3u%%",
                  static_cast<unsigned>(shown * 100 / *total));
    line += buf;
    if (done > 0 && done < *total && seconds > 0) {
      double eta = seconds * static_cast<double>(*total - done) / static_cast<double>(done);
      unsigned s = static_cast<unsigned>(eta + 0.5);
      std::snprintf(buf, sizeof buf, "  ETA %u:%02u:%02u", s / 3600, s / 60 % 60, s % 60);
      line += buf;
    }
  }
  return line;
}

void Progress::draw(bool final) {
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  // "\r" + line + erase to end of line ("\033[K" only on a terminal, plain spaces elsewhere).
  std::string text = "\r" + render(prog_, done_, total_, seconds);
  text += ::isatty(fd_) ? "\033[K" : "   ";
  if (final) text += '\n';
  ssize_t rc = ::write(fd_, text.data(), text.size());
  (void)rc;  // A meter that cannot be shown must not fail the transfer.
}

}  // namespace conduit
