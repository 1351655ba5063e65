// block_pipeline: who computes (the calling thread too, so -t N is N threads and not N + 1), the
// order of the output, and the strided in-place read that lets several chunks grow in place.
#include "conduit/crypto/block_pipeline.hpp"

#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include "crypto_util.hpp"

namespace conduit::crypto {
namespace {

using cryptotest::Bytes;

// Copies its block to the output and notes the thread that did; the slow one sleeps per block,
// as a worker does when it gets no CPU.
class RecordingWorker final : public BlockWorker {
 public:
  RecordingWorker(std::mutex& mutex, std::set<std::thread::id>& ids, bool slow)
      : mutex_(mutex), ids_(ids), slow_(slow) {}
  void process(Block& b) override {
    if (slow_) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    std::copy(b.in, b.in + b.in_len, b.out);
    b.out_len = b.in_len;
    std::lock_guard lock(mutex_);
    ids_.insert(std::this_thread::get_id());
  }

 private:
  std::mutex& mutex_;
  std::set<std::thread::id>& ids_;
  bool slow_;
};

TEST(BlockPipeline, CallingThreadComputesTooSoThreadsMeansThreadsComputing) {
  const Bytes input = cryptotest::random_bytes(64 * 4096 + 100, 7);
  Fd in = cryptotest::memfd_with(input);
  std::mutex mutex;
  std::set<std::thread::id> ids;
  std::vector<std::unique_ptr<BlockWorker>> workers;
  workers.push_back(std::make_unique<RecordingWorker>(mutex, ids, false));
  workers.push_back(std::make_unique<RecordingWorker>(mutex, ids, true));
  PipelineConfig config{4096, 4096, 2, {}};
  Bytes output;
  std::uint64_t next = 0;
  StreamResult r = run_block_pipeline(in.get(), config, workers, [&](Block& b) {
    EXPECT_EQ(b.index, next++);
    output.insert(output.end(), b.out, b.out + b.out_len);
    return StreamResult{};
  });
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(output, input);
  // The second worker is slow: the calling thread takes the queued blocks instead of waiting
  // for it, and it is the only other thread that computes.
  EXPECT_TRUE(ids.count(std::this_thread::get_id()) == 1);
  EXPECT_LE(ids.size(), 2u);
}

// Writes the output with a gap of `grow` bytes (0xEE) after each piece of the input, in place.
class GrowingWorker final : public BlockWorker {
 public:
  GrowingWorker(std::size_t piece, std::size_t grow) : piece_(piece), grow_(grow) {}
  void process(Block& b) override {
    EXPECT_EQ(b.in, b.out);
    EXPECT_EQ(b.in_stride, piece_ + grow_);
    std::size_t n = (b.in_len + piece_ - 1) / piece_;
    for (std::size_t j = 0; j < n; ++j) {
      std::size_t len = std::min(piece_, b.in_len - j * piece_);
      std::fill_n(b.out + j * b.in_stride + len, grow_, 0xEE);
    }
    b.out_len = b.in_len + n * grow_;
  }

 private:
  std::size_t piece_;
  std::size_t grow_;
};

TEST(BlockPipeline, StridedInPlaceReadPutsEachPieceWhereItsGrownFormGoes) {
  // From a pipe written 7 bytes at a time, so the reads come back short and resume mid-piece.
  const std::size_t piece = 10, grow = 6, pieces = 4;
  const Bytes input = cryptotest::random_bytes(1000 + 3, 11);
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  Fd rd(fds[0]);
  std::thread writer([w = fds[1], &input] {
    for (std::size_t at = 0; at < input.size(); at += 7) {
      std::size_t len = std::min<std::size_t>(7, input.size() - at);
      EXPECT_EQ(::write(w, input.data() + at, len), static_cast<ssize_t>(len));
    }
    ::close(w);
  });
  for (unsigned threads : {1u, 2u}) {
    if (threads == 2) {
      // The second run reads the same bytes from a memfd: one readv per block.
      rd = cryptotest::memfd_with(input);
    }
    std::vector<std::unique_ptr<BlockWorker>> workers;
    for (unsigned i = 0; i < threads; ++i) workers.push_back(std::make_unique<GrowingWorker>(piece, grow));
    PipelineConfig config{piece * pieces, (piece + grow) * pieces, threads, {}};
    config.in_place = true;
    config.in_piece = piece;
    config.in_stride = piece + grow;
    Bytes back;
    StreamResult r = run_block_pipeline(rd.get(), config, workers, [&](Block& b) {
      for (std::size_t at = 0; at < b.out_len; at += piece + grow) {
        std::size_t len = std::min(piece + grow, b.out_len - at) - grow;
        back.insert(back.end(), b.out + at, b.out + at + len);
        for (std::size_t g = 0; g < grow; ++g) EXPECT_EQ(b.out[at + len + g], 0xEE);
      }
      return StreamResult{};
    });
    ASSERT_TRUE(r.ok()) << r.message;
    EXPECT_EQ(back, input) << threads;
    EXPECT_EQ(r.bytes_in, input.size());
  }
  writer.join();
}

}  // namespace
}  // namespace conduit::crypto
