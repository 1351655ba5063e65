// threads: how many threads hw-encrypt computes on when -t is not given.
#pragma once

namespace hw_encrypt {

// The CPUs this process may run on (sched_getaffinity), less one for each end of a pipe among
// `in_fd` and `out_fd` (a producer or consumer that runs at the same time and needs a CPU too),
// at least 1.
unsigned default_threads(int in_fd, int out_fd) noexcept;

}  // namespace hw_encrypt
