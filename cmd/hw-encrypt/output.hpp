// output: where hw-encrypt writes. A named OUT is written to a temporary file beside it and
// renamed over OUT only when the whole run succeeded; on failure (or SIGINT/SIGTERM/SIGHUP) the
// temporary file is removed, so a failed decryption never leaves plaintext of unknown integrity
// behind. "-" is standard output, which cannot be taken back: the exit status tells.
#pragma once

#include <string>

namespace hw_encrypt {

class Output {
 public:
  Output() = default;
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;
  ~Output() { discard(); }

  // Opens "-" (stdout) or a temporary file beside `path`. Returns 0 or -errno.
  int open(const std::string& path);
  int fd() const noexcept { return fd_; }
  bool is_stdout() const noexcept { return path_.empty(); }
  // The name for messages: the OUT operand, or "standard output".
  std::string name() const;

  // Closes and renames into place (files) or checks the final close (stdout). Returns 0 or -errno.
  int commit();
  // Removes the temporary file; a no-op for stdout or after commit().
  void discard() noexcept;

 private:
  std::string path_;
  std::string temp_;
  int fd_ = -1;
};

}  // namespace hw_encrypt
