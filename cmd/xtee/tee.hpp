// tee: xtee's run: opens the outputs, applies GNU tee's signal and error rules, and hands the
// copying to conduit::Fanout.
#pragma once

#include "options.hpp"

namespace xtee {

// Returns the exit status (0, or 1 after any diagnosed failure). May not return: without
// -p/--output-error a vanished pipe reader ends the process by SIGPIPE, as with GNU tee.
int run(const Options& options);

}  // namespace xtee
