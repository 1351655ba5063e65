// cat: splice-cat's work: the header, the operand loop, and the choice between the pump
// (plain copy, zero-copy where the kernel allows) and the formatting engine (cat options).
#pragma once

#include "options.hpp"

namespace splice_cat {

// Runs the command; returns the exit status (0, or 1 after any error).
int run(const Options& options);

}  // namespace splice_cat
