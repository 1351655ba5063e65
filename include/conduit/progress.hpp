// progress: the `--progress` meter on stderr, shared by every command.
//
// Shown only when asked, so scripts see exactly what cat/tee would print. Redraws at most a few
// times a second (the clock is read through the vDSO: cheap enough to call per chunk).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace conduit {

class Progress {
 public:
  // `total`: the bytes expected when known (regular files), for percent and ETA.
  Progress(std::string prog, std::optional<std::uint64_t> total, int fd = 2);

  void advance(std::uint64_t n);  // n more bytes moved; redraws when due
  void finish();                  // final redraw and newline (idempotent)
  std::uint64_t done() const noexcept { return done_; }

  // One meter line (without "\r"): "prog: 1.5 GiB  2.0 GiB/s  50%  ETA 0:01". Exposed for tests.
  static std::string render(std::string_view prog, std::uint64_t done,
                            std::optional<std::uint64_t> total, double seconds);

 private:
  void draw(bool final);

  std::string prog_;
  std::optional<std::uint64_t> total_;
  int fd_;
  std::uint64_t done_ = 0;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace conduit
