// diag: GNU-style diagnostics, `prog: what: reason`, and the exit status they imply.
//
// One error format for every command. Diag remembers that something failed so a command can
// carry on (cat's next operand, tee's next output) and still exit 1 at the end.
#pragma once

#include <string>
#include <string_view>

#include "conduit/quote.hpp"

namespace conduit {

// What a command calls itself in every message and in "Try 'X --help'": the name it was run
// under (the last component of argv[0]), as GNU's tools do, so that splice-cat installed as
// `cat` speaks as cat. Also sets LC_CTYPE from the environment (GNU's setlocale), which
// quote_name/quote_arg read. `fallback` when argv[0] is missing or empty. Call first in main().
void init_program(int argc, char** argv, std::string_view fallback);

// The name set by init_program (stable storage: the reference stays valid and follows it).
const std::string_view& program_name() noexcept;

class Diag {
 public:
  Diag() : prog_(program_name()) {}
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

}  // namespace conduit
