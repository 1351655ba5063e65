// follow: copy files to an output as they grow (GNU tail -f), by the pump's zero-copy paths.
//
// Each file is copied from its start (or an offset) to its current end, then the engine waits for
// more and copies what is appended, until a stop condition. It waits with inotify (the file's
// inode, and in name mode or while a file is missing its directory), never by sleeping in a
// loop; it polls every `sleep_interval` only where inotify cannot watch (inotify_init1 or
// inotify_add_watch failed, a watch removed by the kernel), while a --pid is watched, or while a
// missing file's directory cannot be watched.
//
// Rules, as GNU tail's where they overlap:
// - A regular file that shrinks is "truncated": copying starts again at its start (byte 0).
// - Descriptor mode follows the open file wherever it is renamed or unlinked. Name mode re-checks
//   the name after every wake-up: another file under the name is "replaced" (the old file's last
//   bytes are copied first, then the new one from its start); a vanished name is given up, or,
//   with `retry`, waited for ("inaccessible", then "appeared").
// - A file that cannot be opened at the start is given up, or with `retry` waited for.
// - `length` bounds the bytes copied from each file, over all its incarnations; a file that has
//   given `length` bytes is done. `offset` applies to each file's first open only.
// - With `pid`, the run ends once that process has died and everything written before its death
//   has been copied (liveness is checked before the last catch-up).
// - The output is watched while waiting: a pipe or socket whose reader went away ends the run
//   with EPIPE at once, without waiting for the file to grow.
// The engine never prints: what happens to files is reported through `FollowReport`, the end
// through `FollowResult`. Standard input is "-": followed by descriptor when it is a regular file,
// copied to its end otherwise (a pipe has no "more later" to wait for).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>

#include "conduit/fd.hpp"
#include "conduit/pump.hpp"
#include "conduit/stats.hpp"

namespace conduit {

enum class FollowMode : std::uint8_t {
  Descriptor,  // the file opened first, whatever its name becomes (tail -f)
  Name,        // whatever file the name names (tail --follow=name)
};

struct FollowSettings {
  FollowMode mode = FollowMode::Descriptor;
  bool retry = false;                      // keep trying files that are (or become) inaccessible
  std::optional<pid_t> pid;                // stop after this process dies
  std::chrono::milliseconds sleep_interval{1000};  // polling period where inotify cannot help
  std::optional<std::uint64_t> offset;     // where each file's first open starts
  std::optional<std::uint64_t> length;     // at most this many bytes of each file
  bool headers = false;                    // "==> NAME <==" lines, as tail's -v
  bool inotify = true;                     // false: poll only (tests, remote filesystems)
};

enum class FollowEventKind : std::uint8_t {
  OpenFailed,    // the first open failed (error); with retry it is tried again
  Truncated,     // a regular file shrank: copying again from its start
  Inaccessible,  // name mode with retry: the name is gone (error); waiting for it
  Appeared,      // a file that could not be opened now is: following it
  Replaced,      // name mode: the name names another file now: following it
  Gone,          // given up (error): a read error, or the name vanished without retry
  SameAsOutput,  // the file is the output itself: given up (it would grow forever)
  NoInotify,     // inotify cannot be used (error; file is kNoFile when inotify_init failed)
};

inline constexpr std::size_t kNoFile = static_cast<std::size_t>(-1);

struct FollowEvent {
  FollowEventKind kind;
  std::size_t file = kNoFile;  // index into the paths
  int error = 0;               // positive errno where the kind has one
};

using FollowReport = std::function<void(const FollowEvent&)>;

struct FollowResult {
  enum class End : std::uint8_t {
    PidDied,           // the watched process died and everything was copied
    Done,              // every file gave its `length` (or, stdin pipes, reached EOF)
    NoFilesRemaining,  // every file was given up
    OutputError,       // writing failed (error): EPIPE when the reader went away
    WaitError,         // poll or inotify failed (error)
  };
  End end = End::Done;
  int error = 0;
  std::uint64_t bytes = 0;  // file bytes written (headers not counted)
  std::uint64_t waits = 0;  // times the engine waited for the files to change
};

// Follows `paths` ("-" is standard input) into `out`. Blocks until a stop condition of
// FollowResult::End (or a signal kills the process: an unbounded follow is stopped so, as tail).
// Byte and system call counts go to the pump's Stats; `stats`, if given, also gets the waits.
FollowResult follow(std::span<const std::string> paths, int out, const FdInfo& out_info,
                    Pump& pump, const FollowSettings& settings, const FollowReport& report,
                    Stats* stats = nullptr);

// Whether process `pid` exists (kill(pid, 0) succeeds or says EPERM).
bool process_alive(pid_t pid) noexcept;

}  // namespace conduit
