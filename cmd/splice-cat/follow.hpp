// follow: splice-cat --follow (GNU tail -f's options where they overlap): the options, their
// --help lines, and the run, over conduit::follow (include/conduit/follow.hpp).
#pragma once

#include <sys/types.h>

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

#include "conduit/follow.hpp"

namespace splice_cat {

struct Options;
}  // namespace splice_cat
namespace conduit {
class Diag;
}  // namespace conduit
namespace splice_cat {

struct FollowOptions {
  std::optional<conduit::FollowMode> mode;  // --follow[=HOW], -f, -F: set means "follow"
  bool retry = false;                       // --retry, -F
  std::optional<pid_t> pid;                 // --pid=PID
  double sleep_interval = 1.0;              // --sleep-interval=N (seconds)
  bool file_headers = false;                // --file-headers: "==> NAME <==", as tail -v
};

// Declares -f, -F, --follow[=HOW], --retry, --pid, --sleep-interval, --file-headers.
void bind_follow(CLI::App& app, FollowOptions& options);

// The "Following" block of --help.
std::string follow_help_text();

// With --follow and a formatting option: prints the usage error, returns the status.
std::optional<int> follow_usage_error(const Options& options);

// Follows the FILEs to standard output (`out`) through `pump`; messages through `diag`, waits
// counted in `stats`. Returns 0, or the errno of a failed write to standard output.
int follow_files(const Options& options, conduit::Pump& pump, const conduit::FdInfo& out,
                 conduit::Diag& diag, conduit::Stats& stats);

// tail's warnings for --pid and --retry given without --follow.
void warn_follow_unused(const Options& options);

}  // namespace splice_cat
