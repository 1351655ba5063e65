// diag: GNU-style diagnostics, `prog: what: reason`, and the exit status they imply.
//
// One error format for every command. Diag remembers that something failed so a command can
// carry on (cat's next operand, tee's next output) and still exit 1 at the end.
#pragma once

#include <string>
#include <string_view>

namespace conduit {

class Diag {
 public:
  explicit Diag(std::string prog) : prog_(std::move(prog)) {}

  const std::string& prog() const noexcept { return prog_; }

  // "prog: what: strerror(err)"; `err` is a positive errno value. Marks the run failed.
  void error(std::string_view what, int err);
  // "prog: message". Marks the run failed.
  void error(std::string_view message);
  // "prog: message" without marking the run failed.
  void warn(std::string_view message);

  bool failed() const noexcept { return failed_; }
  void mark_failed() noexcept { failed_ = true; }
  int exit_status() const noexcept { return failed_ ? 1 : 0; }

 private:
  std::string prog_;
  bool failed_ = false;
};

// The strerror text for a positive errno value, as GNU tools print it.
std::string errno_text(int err);

// Quotes a file name the way GNU coreutils does in diagnostics when it needs quoting
// (shell-escape style: 'a b'); plain names come back unchanged.
std::string quote_name(std::string_view name);

}  // namespace conduit
