// output: where hw-encrypt writes.
//
// A named OUT that is a regular file (or a name that does not exist yet) is replaced atomically:
// the output goes to a temporary file in OUT's directory, renamed over OUT only when the whole
// run succeeded, so a failed decryption never leaves plaintext of unknown integrity behind. The
// temporary file is an unnamed O_TMPFILE file where the filesystem offers it (a crash or kill -9
// leaves no name behind), otherwise a named ".OUT.hw-encrypt-XXXXXX" removed on failure and on
// SIGINT/SIGTERM/SIGHUP/SIGPIPE. The replacement keeps the old file's mode, owner and group (the
// last two where permitted); a new file gets the mode a shell redirection gives (0666 & ~umask).
// Symlinks are followed: the file they point to is replaced and the link kept.
//
// Anything else (a device, a FIFO, a socket, a name for an open descriptor such as /dev/stdout)
// is opened and written in place, as a shell redirection would: it cannot be replaced, and
// must not be. Like "-" (standard output), such an output cannot be taken back: it holds only
// verified bytes, and the exit status says whether they are all of the stream.
//
// --whole makes such an output all-or-nothing too: everything goes to an unnamed spool file in
// $TMPDIR first (O_TMPFILE, or a file unlinked at once where that is refused), copied to the
// real output only when the whole run succeeded; on failure nothing at all reaches it.
#pragma once

#include <sys/types.h>

#include <string>

namespace hw_encrypt {

class Output {
 public:
  Output() = default;
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;
  ~Output() { discard(); }

  // Opens "-" (stdout), OUT in place, or a temporary file for OUT; with `whole`, an output
  // written in place gets a spool in front of it. Returns 0 or -errno.
  int open(const std::string& path, bool whole = false);
  int fd() const noexcept { return fd_; }
  // Whether what was written stays written on failure (stdout, devices, FIFOs ...).
  bool in_place() const noexcept { return !replacing_; }
  // Whether fd() is standard output itself (not a --whole spool in front of it).
  bool is_stdout() const noexcept { return path_.empty() && final_fd_ < 0; }
  // The name for messages: the OUT operand, or "standard output".
  std::string name() const;
  // The name for a failed write to fd(): name(), or the spool's when there is one.
  std::string write_name() const;
  // The name for a failed open(): the operand, or the spool's when that failed.
  std::string open_failure_name(const std::string& operand) const;

  // Makes the output final: renames the temporary file over OUT, or checks the final close.
  // Returns 0 or -errno.
  int commit();
  // Removes the temporary file; a no-op for outputs written in place or after commit().
  void discard() noexcept;

 private:
  int open_replacement();
  int open_named_temp();
  int link_temp();
  int open_spool();
  int copy_spool();

  std::string path_;    // the OUT operand ("" for stdout)
  std::string target_;  // the file to replace: path_ with symlinks resolved
  std::string dir_;     // target_'s directory
  std::string temp_;    // the temporary file's name, once it has one
  bool replacing_ = false;
  bool unnamed_ = false;  // an O_TMPFILE file, not linked yet
  int fd_ = -1;
  int final_fd_ = -1;     // with a spool: the real output (fd_ is the spool)
  std::string spool_dir_;  // with a spool: $TMPDIR
};

}  // namespace hw_encrypt
