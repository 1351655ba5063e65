// recorder: records standard input to FILE while passing it on to standard output, the way a
// media server keeps a copy of a live stream it forwards. An example of libconduit used from
// outside: built against the *installed* library (find_package(conduit) in CMakeLists.txt, or
// pkg-config in Makefile) by tests/cli/library.bats.
//
//   producer | recorder [--stats] FILE | consumer
//
// The bytes are moved by conduit::Fanout: duplicated with tee(2) and spliced when the ends are
// pipes, copied when they must be. With --stats, one line of JSON on standard error says how.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "conduit/fanout.hpp"
#include "conduit/fd.hpp"
#include "conduit/stats.hpp"
#include "conduit/version.hpp"

namespace {

constexpr const char* kProg = "recorder";

int fail(std::string_view what, int error) {
  std::fprintf(stderr, "%s: %.*s: %s\n", kProg, static_cast<int>(what.size()), what.data(),
               std::strerror(error));
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  bool stats_wanted = false;
  const char* path = nullptr;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--version") {
      std::printf("%s (libconduit %s)\n", kProg, conduit::kVersion);
      return 0;
    }
    if (arg == "--stats") {
      stats_wanted = true;
    } else if (path == nullptr) {
      path = argv[i];
    } else {
      path = nullptr;
      break;
    }
  }
  if (path == nullptr) {
    std::fprintf(stderr, "usage: %s [--stats] FILE\n", kProg);
    return 2;
  }

  conduit::Fd file(::open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666));
  if (!file) return fail(path, errno);

  // What conduit needs to know of each end to pick its paths (classify: 0 or -errno).
  conduit::FdInfo in_info, out_info, file_info;
  if (int rc = conduit::classify(STDIN_FILENO, in_info); rc < 0) return fail("standard input", -rc);
  if (int rc = conduit::classify(STDOUT_FILENO, out_info); rc < 0) return fail("standard output", -rc);
  if (int rc = conduit::classify(file.get(), file_info); rc < 0) return fail(path, -rc);

  conduit::Stats stats;
  conduit::Fanout fanout(conduit::FanoutOptions{}, &stats);
  const std::size_t to_stdout = fanout.add_output(STDOUT_FILENO, out_info);
  fanout.add_output(file.get(), file_info);

  // A failing output stops the recording: a recorder that silently loses its copy, or its
  // consumer, is worse than one that stops.
  int status = 0;
  auto on_error = [&](std::size_t output, int error) {
    status = fail(output == to_stdout ? "standard output" : path, error);
    return conduit::FanoutAction::Stop;
  };
  conduit::FanoutResult result = fanout.run(STDIN_FILENO, in_info, on_error);
  if (result.input_error != 0) status = fail("standard input", result.input_error);

  if (int rc = file.close(); rc < 0 && status == 0) status = fail(path, -rc);
  if (stats_wanted) {
    std::fprintf(stderr, "%s\n", conduit::format_stats_json(stats, kProg, 0.0).c_str());
  }
  return status;
}
