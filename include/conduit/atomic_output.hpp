// atomic_output: an output operand that holds nothing but a finished, verified result, or
// nothing at all: for a program whose output is only worth having whole (a decryption whose
// integrity is known only at the end; hw-encrypt is the first user).
//
// A named OUT that is a regular file (or a name that does not exist yet) is replaced atomically:
// the output goes to a temporary file in OUT's directory, renamed over OUT only by commit(), so
// a failed run never leaves a partial result behind. The temporary file is an unnamed O_TMPFILE
// file where the filesystem offers it (a crash or kill -9 leaves no name behind), otherwise a
// named ".OUT.TAG-XXXXXX" (TAG from the settings) removed by discard(), by the destructor and,
// with `remove_on_signal`, on SIGINT/SIGTERM/SIGHUP/SIGPIPE. The replacement keeps the old
// file's mode, owner and group (the last two where permitted); a new file gets the mode a shell
// redirection gives (0666 & ~umask). Symlinks are followed: the file they point to is replaced
// and the link kept.
//
// Anything else (a device, a FIFO, a socket, a name for an open descriptor such as /dev/stdout)
// is opened and written in place, as a shell redirection would: it cannot be replaced, and
// must not be. Like "-" (standard output), such an output cannot be taken back.
//
// `whole` makes such an output all-or-nothing too: everything goes to an unnamed spool file in
// $TMPDIR first (O_TMPFILE, or a file unlinked at once where that is refused), copied to the
// real output by commit() (by the pump's best path); on failure nothing at all reaches it.
//
// Nothing here prints; every failure is -errno, and the caller names the file from path(),
// spooling() and spool_dir().
#pragma once

#include <sys/types.h>

#include <string>

namespace conduit {

struct AtomicOutputSettings {
  bool whole = false;             // spool an in-place output (stdout, a device ...) until commit()
  std::string tag = "conduit";    // in temporary names: ".OUT.TAG-XXXXXX", ".TAG-whole-XXXXXX"
  // Remove a named temporary file when SIGINT, SIGTERM, SIGHUP or SIGPIPE kills the process (a
  // handler that unlinks it and re-raises the signal; a signal the process ignores stays
  // ignored). The handler knows one name at a time: the most recent AtomicOutput's.
  bool remove_on_signal = true;
};

class AtomicOutput {
 public:
  AtomicOutput() = default;
  AtomicOutput(const AtomicOutput&) = delete;
  AtomicOutput& operator=(const AtomicOutput&) = delete;
  ~AtomicOutput() { discard(); }

  // Opens "-" (standard output), OUT in place, or a temporary file for OUT; with
  // settings.whole, an output written in place gets a spool in front of it. Returns 0 or -errno
  // (when the spool failed, spool_dir() is set: the failure is the spool's).
  int open(const std::string& path, const AtomicOutputSettings& settings = {});
  // Where to write.
  int fd() const noexcept { return fd_; }
  // The OUT operand, "" for standard output.
  const std::string& path() const noexcept { return path_; }
  // Whether what was written stays written on failure (stdout, devices, FIFOs ...).
  bool in_place() const noexcept { return !replacing_; }
  // Whether fd() is standard output itself (not a spool in front of it).
  bool is_stdout() const noexcept { return path_.empty() && final_fd_ < 0; }
  // Whether fd() is the `whole` spool (a failed write is the spool's, not OUT's).
  bool spooling() const noexcept { return final_fd_ >= 0; }
  // The spool's directory ($TMPDIR or /tmp) once one was tried, else "".
  const std::string& spool_dir() const noexcept { return spool_dir_; }

  // Makes the output final: copies the spool, renames the temporary file over OUT, or checks
  // the final close of an in-place OUT. Returns 0 or -errno (the output then discarded).
  int commit();
  // Removes the temporary file (or drops the spool); a no-op for outputs written in place or
  // after commit().
  void discard() noexcept;

 private:
  int open_named_temp();
  int link_temp();
  int open_spool();
  int copy_spool();

  std::string path_;    // the OUT operand ("" for stdout)
  std::string target_;  // the file to replace: path_ with symlinks resolved
  std::string dir_;     // target_'s directory
  std::string temp_;    // the temporary file's name, once it has one
  std::string tag_;     // settings.tag
  bool remove_on_signal_ = true;
  bool replacing_ = false;
  bool unnamed_ = false;  // an O_TMPFILE file, not linked yet
  int fd_ = -1;
  int final_fd_ = -1;     // with a spool: the real output (fd_ is the spool)
  std::string spool_dir_;  // with a spool: $TMPDIR
};

}  // namespace conduit
