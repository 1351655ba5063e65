// output: hw-encrypt's OUT, a conduit::AtomicOutput (replaced atomically, or written in place,
// with --whole spooled: include/conduit/atomic_output.hpp), the messages that name it, and the
// end of a run shared by the modes (run.cpp, raw_mode.cpp).
#pragma once

#include <string>

#include "conduit/atomic_output.hpp"
#include "conduit/crypto/stream_result.hpp"
#include "options.hpp"

namespace hw_encrypt {

// Opens OUT (-o, with --whole), or prints why not and returns false.
bool open_output(const Options& options, conduit::AtomicOutput& out);

// Reports a failed stream (a write error names OUT, or "write error" for standard output; any
// other names IN, `in_name`) and returns the exit status.
int report_failure(const conduit::crypto::StreamResult& result, const std::string& in_name,
                   bool out_is_stdout, const std::string& out_name);

// Ends a run: a failure discards OUT and is reported, a success commits OUT (a failed commit is
// a write error). Returns the exit status.
int finish_output(conduit::AtomicOutput& out, const conduit::crypto::StreamResult& result,
                  const std::string& in_name);

}  // namespace hw_encrypt
