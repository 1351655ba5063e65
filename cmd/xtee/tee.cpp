// tee: GNU tee 9.1's rules around the fan-out engine.
//
// - Outputs are standard output ("standard output" in messages), then each FILE in order,
//   opened O_WRONLY|O_CREAT and O_TRUNC or (-a) O_APPEND, mode 0666 less umask. A FILE that
//   cannot be opened gets "xtee: FILE: reason" and the others go on; the status is then 1.
//   "-" is a file named "-" (POSIX; GNU tee does the same).
// - -i ignores SIGINT. With -p or --output-error SIGPIPE is ignored and EPIPE handled by MODE;
//   without them SIGPIPE keeps its default action: tee(2), splice and write into a pipe or
//   socket whose reader left raise it in the kernel, as write() does for GNU tee; for an EPIPE
//   that came without the signal it is raised here, so the shell sees 128+13 either way.
// - A write error: diagnosed unless it is EPIPE in a *-nopipe mode (or in the default mode
//   with SIGPIPE ignored by the parent); the output is dropped; exit modes stop at once with 1.
// - Exit modes (--output-error=exit, exit-nopipe) stop before any output when a FILE cannot
//   be opened (later FILEs are not created), as GNU tee does. The first buffer (8 KiB, GNU
//   tee's) goes by read/write to every output in GNU's order (standard output, then each
//   FILE) before the engine, which moves a pipe's worth at a time, takes over: an output that
//   fails at once (/dev/full, a full disk) stops the run when the others have had that buffer
//   at most, the very bytes GNU tee gives them.
// - "read error: reason" for the input; "standard input" when closing it fails; each FILE is
//   closed and checked (late NFS/quota errors).
#include "tee.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "conduit/diag.hpp"
#include "conduit/fanout.hpp"
#include "conduit/fd.hpp"
#include "conduit/pipe.hpp"
#include "conduit/progress.hpp"
#include "conduit/stats.hpp"
#include "conduit/sys.hpp"

namespace xtee {

namespace {

using conduit::FanoutAction;
using conduit::FdInfo;
using conduit::FdKind;

struct Output {
  conduit::Fd owned;  // empty for standard output
  int fd = -1;
  std::string name;   // quoted for messages
};

bool sigpipe_ignored() {
  struct sigaction current {};
  return ::sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_IGN;
}

void ignore(int sig) {
  struct sigaction sa {};
  sa.sa_handler = SIG_IGN;
  ::sigaction(sig, &sa, nullptr);
}

constexpr std::size_t kFirstBuffer = 8192;  // GNU tee's whole buffer (BUFSIZ)

bool exit_mode(OutputError mode) {
  return mode == OutputError::Exit || mode == OutputError::ExitNopipe;
}

// What first_buffer() saw of the input.
struct FirstRead {
  bool eof = false;
  int error = 0;  // positive errno of the read
};

// Reads up to kFirstBuffer bytes of standard input and writes them to each live output in
// order. `fail` applies the error policy and returns true to stop; a dropped output is marked
// dead in `live`.
template <typename Fail>
FirstRead first_buffer(const std::vector<Output>& outputs, std::vector<bool>& live,
                       conduit::Stats& stats, conduit::Progress* progress, Fail&& fail,
                       bool& stopped) {
  std::array<std::byte, kFirstBuffer> buf;
  stats.count(conduit::Call::Read);
  ssize_t n = conduit::sys::read_some(STDIN_FILENO, buf);
  if (n < 0) return {false, static_cast<int>(-n)};
  if (n == 0) return {true, 0};
  auto data = std::span<const std::byte>(buf.data(), static_cast<std::size_t>(n));
  if (progress) progress->advance(data.size());
  for (std::size_t i = 0; i < outputs.size() && !stopped; ++i) {
    if (!live[i]) continue;
    stats.count(conduit::Call::Write);
    ssize_t rc = conduit::sys::write_all(outputs[i].fd, data);
    if (rc >= 0) {
      stats.add(conduit::Path::ReadWrite, data.size());
      continue;
    }
    live[i] = false;
    stopped = fail(i, static_cast<int>(-rc));
  }
  return {};
}

FdInfo info_of(int fd) {
  FdInfo info;
  if (conduit::classify(fd, info) < 0) info.kind = FdKind::Other;  // closed: writes will say so
  return info;
}

std::optional<std::uint64_t> expected_total(const FdInfo& in) {
  if (in.kind != FdKind::Regular) return std::nullopt;
  off_t pos = ::lseek(STDIN_FILENO, 0, SEEK_CUR);
  if (pos < 0 || pos > in.size) return std::nullopt;
  return static_cast<std::uint64_t>(in.size - pos);
}

// A closed standard descriptor would be reused by the next open() or pipe(): a FILE would
// receive standard output's bytes, or a broker pipe would become "standard input". Park
// /dev/null there, opened the wrong way round so that reading fd 0 or writing fd 1 still
// fails with EBADF as before (GNU tee gets the same effect from fopen_safer).
bool reserve_if_closed(int fd, int flags) {
  if (::fcntl(fd, F_GETFD) >= 0 || errno != EBADF) return false;
  int null = ::open("/dev/null", flags);
  if (null >= 0 && null != fd) {
    ::dup2(null, fd);
    ::close(null);
  }
  return true;
}

}  // namespace

int run(const Options& o) {
  conduit::Diag diag;  // named as invoked
  auto start = std::chrono::steady_clock::now();
  bool stdin_closed = reserve_if_closed(STDIN_FILENO, O_WRONLY);
  reserve_if_closed(STDOUT_FILENO, O_RDONLY);
  reserve_if_closed(STDERR_FILENO, O_RDONLY);
  if (o.ignore_interrupts) ignore(SIGINT);
  if (o.output_error != OutputError::Sigpipe) ignore(SIGPIPE);

  std::vector<Output> outputs;
  outputs.push_back({conduit::Fd{}, STDOUT_FILENO, conduit::quote_name("standard output")});
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (o.append ? O_APPEND : O_TRUNC);
  for (const std::string& file : o.files) {
    int fd = ::open(file.c_str(), flags, 0666);
    if (fd < 0) {
      diag.error(conduit::quote_name(file), errno);
      if (exit_mode(o.output_error)) return diag.exit_status();  // nothing written, no later FILE
      continue;
    }
    outputs.push_back({conduit::Fd{fd}, fd, conduit::quote_name(file)});
  }

  conduit::Stats stats;
  FdInfo in_info = info_of(STDIN_FILENO);
  std::optional<conduit::Progress> progress;
  if (o.common.progress) progress.emplace(std::string(conduit::program_name()), expected_total(in_info));

  const OutputError mode = o.output_error;
  // The policy for a failed output (index into `outputs`): true to stop the run.
  auto fail = [&](std::size_t index, int err) {
    if (err == EPIPE && mode == OutputError::Sigpipe && !sigpipe_ignored()) {
      std::raise(SIGPIPE);
    }
    bool report = err != EPIPE || mode == OutputError::Warn || mode == OutputError::Exit;
    if (report) diag.error(outputs[index].name, err);
    return report && exit_mode(mode);
  };

  conduit::FanoutResult result;
  std::vector<bool> live(outputs.size(), true);
  if (exit_mode(mode)) {
    FirstRead first = first_buffer(outputs, live, stats, progress ? &*progress : nullptr, fail,
                                   result.stopped);
    result.input_error = first.error;
    if (first.eof || first.error != 0) live.assign(outputs.size(), false);
  }
  std::vector<std::size_t> index;  // the engine's output k is outputs[index[k]]
  for (std::size_t i = 0; i < outputs.size(); ++i)
    if (live[i]) index.push_back(i);
  if (!result.stopped && !index.empty()) {
    conduit::FanoutOptions fopts;
    fopts.zero_copy = !o.common.no_splice;
    // Standard input and output are the pipeline's pipes: sized to the work and capped
    // (conduit::shared_pipe_target); the engine's own pipes follow the same size.
    std::size_t target = conduit::shared_pipe_target(expected_total(in_info), o.common.pipe_size,
                                                     o.common.pipe_size_given);
    fopts.pipe_size = std::max(target, conduit::kDefaultPipeCapacity);
    conduit::Fanout fan(fopts, &stats, progress ? &*progress : nullptr);
    for (std::size_t i : index) fan.add_output(outputs[i].fd, info_of(outputs[i].fd));
    result = fan.run(STDIN_FILENO, in_info, [&](std::size_t k, int err) {
      return fail(index[k], err) ? FanoutAction::Stop : FanoutAction::Drop;
    });
  }

  if (!result.stopped) {
    if (result.input_error != 0) diag.error("read error", result.input_error);
    for (Output& out : outputs) {
      if (!out.owned.valid()) continue;
      if (int rc = out.owned.close(); rc < 0) diag.error(out.name, -rc);
    }
    if (stdin_closed) diag.error("standard input", EBADF);
    else if (::close(STDIN_FILENO) != 0 && errno != EINTR) diag.error("standard input", errno);
  }
  if (progress) progress->finish();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  conduit::cli::report_stats(o.common.stats, stats, kProg, secs);
  return diag.exit_status();
}

}  // namespace xtee
