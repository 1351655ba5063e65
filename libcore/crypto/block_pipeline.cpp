// block_pipeline: the ordered, bounded, multi-threaded block loop under hw-encrypt.
//
// The calling thread is the only one doing I/O: it reads blocks into free slots, hands them to
// the workers (or transforms them itself when threads == 1), and writes finished blocks strictly
// in the order they were read. A full block is held back until the next read returns, so the
// worker knows whether the block ends the input.
#include "conduit/crypto/block_pipeline.hpp"

#include "block_source.hpp"

#include <openssl/crypto.h>
#include <sched.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "conduit/diag.hpp"
#include "conduit/sys.hpp"

namespace conduit::crypto {

namespace {

constexpr std::size_t kPage = 4096;

// Sizes `storage` once and returns a page-aligned pointer to `size` bytes inside it.
std::uint8_t* aligned_window(std::vector<std::uint8_t>& storage, std::size_t size) {
  storage.resize(size + kPage);
  auto addr = reinterpret_cast<std::uintptr_t>(storage.data());
  return storage.data() + ((kPage - addr % kPage) % kPage);
}

struct Shared {
  std::mutex mutex;
  std::condition_variable work_ready;
  std::condition_variable work_done;
  std::deque<Block*> todo;
  std::vector<bool> done;  // per slot
  bool stop = false;
};

}  // namespace

unsigned available_cpus() noexcept {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return static_cast<unsigned>(n);
  }
  unsigned n = std::thread::hardware_concurrency();
  return n > 0 ? n : 1;
}

StreamResult run_block_pipeline(int in_fd, const PipelineConfig& config,
                                std::vector<std::unique_ptr<BlockWorker>>& workers,
                                const std::function<StreamResult(Block&)>& emit) {
  const bool threaded = config.threads > 1 && workers.size() > 1;
  const std::size_t nslots = threaded ? 2 * workers.size() + 2 : 2;
  std::vector<Block> slots(nslots);
  std::vector<Block*> free_slots;
  for (auto& slot : slots) {
    slot.out = aligned_window(slot.out_storage, config.out_block);
    slot.read_to = config.in_place ? slot.out : aligned_window(slot.in_storage, config.in_block);
    slot.in = slot.read_to;
    free_slots.push_back(&slot);
  }
  auto slot_no = [&slots](const Block* b) { return static_cast<std::size_t>(b - slots.data()); };

  Shared shared;
  shared.done.assign(nslots, false);
  std::vector<std::thread> threads;
  if (threaded) {
    // workers[0] is the calling thread's own: it computes too whenever it cannot read or write
    // (below), so -t N means N threads computing, not N + 1 threads on N CPUs.
    for (std::size_t i = 1; i < workers.size(); ++i) {
      threads.emplace_back([&shared, &slot_no, w = workers[i].get()] {
        for (;;) {
          Block* block = nullptr;
          {
            std::unique_lock lock(shared.mutex);
            shared.work_ready.wait(lock, [&] { return shared.stop || !shared.todo.empty(); });
            if (shared.stop) return;
            block = shared.todo.front();
            shared.todo.pop_front();
          }
          w->process(*block);
          {
            std::lock_guard lock(shared.mutex);
            shared.done[slot_no(block)] = true;
          }
          shared.work_done.notify_all();
        }
      });
    }
  }

  BlockSource source(in_fd, config);
  StreamResult result;
  std::deque<Block*> inflight;  // dispatched, in read order
  Block* pending = nullptr;     // a full block waiting to learn whether it is the last
  std::uint64_t next_index = 0;
  std::uint64_t offset = 0;
  bool eof = false;
  std::uint64_t read_calls = 0;

  auto dispatch = [&](Block* b, bool last) {
    b->last = last;
    b->result = StreamResult{};
    b->out_len = 0;
    inflight.push_back(b);
    if (!threaded) {
      workers.front()->process(*b);
      shared.done[slot_no(b)] = true;
      return;
    }
    {
      std::lock_guard lock(shared.mutex);
      shared.done[slot_no(b)] = false;
      shared.todo.push_back(b);
    }
    shared.work_ready.notify_one();
  };
  // A mapped block the input no longer holds: throw it away with every block after it (once no
  // worker reads them), and read again from its offset with read(2). Returns 0 or -errno.
  auto restart_at = [&](Block* from) -> int {
    if (threaded) {
      std::unique_lock lock(shared.mutex);
      for (Block* q : shared.todo) shared.done[slot_no(q)] = true;  // not started: never will be
      shared.todo.clear();
      shared.work_done.wait(lock, [&] {
        return std::all_of(inflight.begin(), inflight.end(),
                           [&](Block* q) { return static_cast<bool>(shared.done[slot_no(q)]); });
      });
    }
    next_index = from->index;
    offset = from->in_offset;
    for (Block* q : inflight) {
      source.done(*q);
      free_slots.push_back(q);
    }
    inflight.clear();
    if (pending != nullptr) {
      source.done(*pending);
      free_slots.push_back(pending);
      pending = nullptr;
    }
    eof = false;
    return source.restart(offset);
  };
  auto front_done = [&]() {
    if (!threaded) return true;
    std::lock_guard lock(shared.mutex);
    return static_cast<bool>(shared.done[slot_no(inflight.front())]);
  };

  for (;;) {
    // Write whatever is finished at the head of the line.
    bool failed = false;
    while (!inflight.empty() && front_done()) {
      Block* b = inflight.front();
      if (!source.intact(*b)) {
        if (int rc = restart_at(b); rc < 0) {
          result = StreamResult::failure(StreamStatus::ReadError, errno_text(-rc), -rc);
          failed = true;
        }
        break;
      }
      StreamResult r = emit(*b);
      if (!r.ok()) {
        result = std::move(r);
        failed = true;
        break;
      }
      if (!b->result.ok()) {
        std::uint64_t written = result.bytes_out + b->out_len;
        result = std::move(b->result);
        result.bytes_out = written;
        failed = true;
        break;
      }
      result.bytes_out += b->out_len;
      if (config.progress) config.progress(b->in_len);
      inflight.pop_front();
      source.done(*b);
      free_slots.push_back(b);
    }
    if (failed) break;
    if (eof && pending == nullptr && inflight.empty()) break;

    if (!eof && !free_slots.empty()) {
      Block* b = free_slots.back();
      free_slots.pop_back();
      long n = source.fill(*b, offset, &read_calls);
      if (n < 0) {
        result = StreamResult::failure(StreamStatus::ReadError, errno_text(static_cast<int>(-n)),
                                       static_cast<int>(-n));
        break;
      }
      b->in_len = static_cast<std::size_t>(n);
      b->index = next_index++;
      b->in_offset = offset;
      offset += b->in_len;
      if (b->in_len == config.in_block) {
        // Full: something may follow. Only the next read can tell.
        if (pending != nullptr) dispatch(pending, false);
        pending = b;
        continue;
      }
      eof = true;
      if (b->in_len == 0 && pending != nullptr) {
        // The input ended exactly at a block boundary: the held-back block is the last.
        free_slots.push_back(b);
        dispatch(pending, true);
      } else {
        // Short block (or the whole input is empty): it is the last.
        if (pending != nullptr) dispatch(pending, false);
        dispatch(b, true);
      }
      pending = nullptr;
      continue;
    }

    if (!inflight.empty()) {
      // Nothing to read or write: take a queued block rather than sleep until a worker finishes
      // one. When the workers get no CPU (the CPUs are busy with the rest of a pipeline), this
      // thread does all the work itself, so threads cost a hand-off, never the wait for a wake-up.
      Block* mine = nullptr;
      {
        std::unique_lock lock(shared.mutex);
        if (!shared.todo.empty()) {
          mine = shared.todo.front();
          shared.todo.pop_front();
        } else {
          shared.work_done.wait(lock, [&] { return static_cast<bool>(shared.done[slot_no(inflight.front())]); });
        }
      }
      if (mine != nullptr) {
        workers.front()->process(*mine);
        std::lock_guard lock(shared.mutex);
        shared.done[slot_no(mine)] = true;
      }
    }
  }

  if (threaded) {
    {
      std::lock_guard lock(shared.mutex);
      shared.stop = true;
    }
    shared.work_ready.notify_all();
    for (auto& t : threads) t.join();
  }
  // Plaintext must not outlive the run in freed heap memory.
  for (auto& slot : slots) {
    OPENSSL_cleanse(slot.in_storage.data(), slot.in_storage.size());
    OPENSSL_cleanse(slot.out_storage.data(), slot.out_storage.size());
  }
  result.bytes_in = offset;
  result.read_calls = read_calls;
  return result;
}

}  // namespace conduit::crypto
