// run: what hw-encrypt does once its options are parsed; each returns the exit status.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "conduit/crypto/stream_result.hpp"
#include "conduit/progress.hpp"

#include "conduit/fd.hpp"
#include "options.hpp"

namespace hw_encrypt {

int run(const Options& options);
int run_keygen(const Options& options);
int run_raw(const Options& options);

// Shared by the modes: open IN ("-" = stdin) or print why not; the name for messages.
bool open_input(const std::string& path, conduit::Fd& owner, int& fd);
std::string input_name(const std::string& path);
// Grows IN and OUT toward --pipe-size when they are pipes (best effort).
void grow_pipes(const Options& options, int in_fd, int out_fd);

// --progress and --stats for one run: a progress callback (empty without --progress), and
// finish() to end the meter and print the statistics.
class Report {
 public:
  Report(const Options& options, int in_fd);
  std::function<void(std::uint64_t)> progress();
  void finish(const conduit::crypto::StreamResult& result);

 private:
  const Options& options_;
  std::unique_ptr<conduit::Progress> meter_;
  std::chrono::steady_clock::time_point start_;
};
void error(const std::string& message);
// A failed write: "write error: reason" on standard output (as cat says it), "OUT: reason" for
// a named OUT. EPIPE with SIGPIPE at its default action ends the process by that signal, as it
// ends cat; with SIGPIPE ignored it is reported like any write error, never silently.
void write_failed(int err, const std::string& message, bool to_stdout, const std::string& out_name);
// "hw-encrypt: warning: ..." (callers check -q).
void warn(const std::string& message);

}  // namespace hw_encrypt
