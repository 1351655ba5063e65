// threads: the default -t.
//
// In `cat f | hw-encrypt | cat` on two CPUs the two cats need about 0.8 of a CPU while
// hw-encrypt runs: a second hw-encrypt thread finds no free CPU, and only adds hand-offs and
// cache misses (session 7, docs/benchmarks.md). A pipe or FIFO on either side means a process
// there that runs at the same time, so it takes one CPU off the count. /proc/loadavg is not
// used: it is a one-minute average of the past (a build that just ended, this command's own
// previous run in a loop), not what will be free during this run; the pipeline engine copes
// with CPUs that turn out busy (the I/O thread computes what the workers do not take).
#include "threads.hpp"

#include <sys/stat.h>

#include "conduit/crypto/block_pipeline.hpp"

namespace hw_encrypt {

namespace {

bool is_pipe(int fd) noexcept {
  struct stat st{};
  return ::fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
}

}  // namespace

unsigned default_threads(int in_fd, int out_fd) noexcept {
  unsigned cpus = conduit::crypto::available_cpus();
  unsigned neighbours = (is_pipe(in_fd) ? 1u : 0u) + (is_pipe(out_fd) ? 1u : 0u);
  return cpus > neighbours ? cpus - neighbours : 1u;
}

}  // namespace hw_encrypt
