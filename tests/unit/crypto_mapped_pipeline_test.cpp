// block_pipeline over a mapped input: the file is read without read(2), and when it shrinks while
// mapped (here: a worker cuts it while it works on block K, as another process would), the
// output is the file's first bytes up to the new end, a valid ending (the last block flagged),
// never zeros from beyond the end; with one thread and with several.
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>

#include "conduit/crypto/block_pipeline.hpp"
#include "conduit/sigbus_guard.hpp"
#include "crypto_util.hpp"

namespace conduit::crypto {
namespace {

using cryptotest::Bytes;

constexpr std::size_t kBlock = 65536;
constexpr std::size_t kInput = 16 * kBlock;

// Copies its block; the first to reach block `cut_at` cuts the input to `cut_to` bytes first.
class CuttingWorker final : public BlockWorker {
 public:
  CuttingWorker(int fd, std::uint64_t cut_at, off_t cut_to, std::atomic<bool>& cut)
      : fd_(fd), cut_at_(cut_at), cut_to_(cut_to), cut_(cut) {}
  void process(Block& b) override {
    if (b.index == cut_at_ && !cut_.exchange(true)) {
      EXPECT_EQ(::ftruncate(fd_, cut_to_), 0);
    }
    std::copy(b.in, b.in + b.in_len, b.out);
    b.out_len = b.in_len;
  }

 private:
  int fd_;
  std::uint64_t cut_at_;
  off_t cut_to_;
  std::atomic<bool>& cut_;
};

struct MappedRun {
  StreamResult result;
  Bytes output;
  bool ended_last = false;  // the final block emitted was flagged last
};

MappedRun run_mapped(const Bytes& input, unsigned threads, std::uint64_t cut_at, off_t cut_to) {
  EXPECT_EQ(install_sigbus_guard(), 0);
  Fd in = cryptotest::memfd_with(input);
  std::atomic<bool> cut{false};
  std::vector<std::unique_ptr<BlockWorker>> workers;
  for (unsigned i = 0; i < threads; ++i)
    workers.push_back(std::make_unique<CuttingWorker>(in.get(), cut_at, cut_to, cut));
  PipelineConfig config{kBlock, kBlock, threads, {}};
  config.map_input = true;
  config.map.window = 4 * kBlock;  // several windows, several alive at once with threads
  MappedRun run;
  run.result = run_block_pipeline(in.get(), config, workers, [&](Block& b) {
    run.output.insert(run.output.end(), b.out, b.out + b.out_len);
    run.ended_last = b.last;
    return StreamResult{};
  });
  return run;
}

TEST(MappedPipeline, AFileIsReadWithoutReadCalls) {
  const Bytes input = cryptotest::random_bytes(kInput + 1000, 11);
  for (unsigned threads : {1u, 2u}) {
    MappedRun run = run_mapped(input, threads, UINT64_MAX, 0);
    ASSERT_TRUE(run.result.ok()) << run.result.message;
    EXPECT_EQ(run.output, input);
    EXPECT_TRUE(run.ended_last);
    EXPECT_LE(run.result.read_calls, 2u) << "the 1000 bytes after the last whole block, and the end";
  }
}

TEST(MappedPipeline, AFileCutWhileMappedEndsWhereItWasCut) {
  const Bytes input = cryptotest::random_bytes(kInput, 12);
  const std::uint64_t k = 5;
  const off_t start = static_cast<off_t>(k * kBlock);
  // Inside block 5; in its last page (zeros without a fault); at its end (block 5 is then the
  // last, though it was taken as a middle one); further on, in block 9.
  for (off_t cut_to : {start + 1000, start + static_cast<off_t>(kBlock) - 100,
                       start + static_cast<off_t>(kBlock), start + 4 * static_cast<off_t>(kBlock) + 7}) {
    for (unsigned threads : {1u, 2u, 3u}) {
      MappedRun run = run_mapped(input, threads, k, cut_to);
      ASSERT_TRUE(run.result.ok()) << run.result.message;
      EXPECT_TRUE(run.ended_last) << threads << " threads, cut to " << cut_to;
      ASSERT_EQ(run.output.size(), static_cast<std::size_t>(cut_to)) << threads << " threads";
      EXPECT_TRUE(std::equal(run.output.begin(), run.output.end(), input.begin()))
          << threads << " threads, cut to " << cut_to;
    }
  }
}

TEST(MappedPipeline, AFileCutBelowWhatWasEmittedStillEndsWithANonEmptyLastBlock) {
  const Bytes input = cryptotest::random_bytes(kInput, 13);
  for (unsigned threads : {1u, 2u}) {
    MappedRun run = run_mapped(input, threads, 6, 1000);
    ASSERT_TRUE(run.result.ok()) << run.result.message;
    EXPECT_TRUE(run.ended_last);
    ASSERT_GT(run.output.size(), 1000u);
    EXPECT_NE(run.output.size() % kBlock, 0u) << "an empty last block after full ones";
    EXPECT_TRUE(std::equal(run.output.begin(), run.output.end(), input.begin()));
  }
}

}  // namespace
}  // namespace conduit::crypto
