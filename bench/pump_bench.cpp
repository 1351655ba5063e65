// Micro-benchmarks of the pump's paths: broker pipe capacity (64 KiB vs 1 MiB) and the
// read/write fallback's buffer size, moving a 64 MiB page-cached file to /dev/null.
// Run: build/bin/conduit_micro_bench [--benchmark-samples N]
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "conduit/pump.hpp"

namespace {

constexpr std::size_t kFileSize = 64u << 20;

// A 64 MiB file, written once per process, read once so its pages are cached.
const std::string& bench_file() {
  static const std::string path = [] {
    const char* dir = std::getenv("TMPDIR");
    std::string p = std::string(dir ? dir : "/tmp") + "/conduit-micro-bench.bin";
    int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    std::vector<char> block(1 << 20);
    for (std::size_t i = 0; i < block.size(); ++i) block[i] = static_cast<char>(i * 131);
    for (std::size_t done = 0; done < kFileSize; done += block.size())
      if (::write(fd, block.data(), block.size()) < 0) break;
    ::close(fd);
    return p;
  }();
  return path;
}

std::uint64_t move_file(conduit::Pump& pump, int null_fd, const conduit::FdInfo& null_info) {
  conduit::Fd in(::open(bench_file().c_str(), O_RDONLY | O_CLOEXEC));
  conduit::FdInfo info;
  conduit::classify(in.get(), info);
  return pump.run(in.get(), info, null_fd, null_info).bytes;
}

}  // namespace

TEST_CASE("pump: file -> broker pipe -> /dev/null, by pipe capacity") {
  conduit::Fd null(::open("/dev/null", O_WRONLY | O_CLOEXEC));
  conduit::FdInfo null_info;
  conduit::classify(null.get(), null_info);
  for (std::size_t pipe_size : {std::size_t{64} << 10, std::size_t{256} << 10, std::size_t{1} << 20}) {
    conduit::PumpOptions options;
    options.pipe_size = pipe_size;
    conduit::Pump pump(options);
    REQUIRE(move_file(pump, null.get(), null_info) == kFileSize);
    BENCHMARK("splice broker, pipe " + std::to_string(pipe_size >> 10) + " KiB") {
      return move_file(pump, null.get(), null_info);
    };
  }
}

TEST_CASE("pump: read/write fallback, by buffer size") {
  conduit::Fd null(::open("/dev/null", O_WRONLY | O_CLOEXEC));
  conduit::FdInfo null_info;
  conduit::classify(null.get(), null_info);
  for (std::size_t buffer : {std::size_t{16} << 10, std::size_t{128} << 10, std::size_t{1} << 20}) {
    conduit::PumpOptions options;
    options.zero_copy = false;
    options.buffer_size = buffer;
    conduit::Pump pump(options);
    REQUIRE(move_file(pump, null.get(), null_info) == kFileSize);
    BENCHMARK("read/write, buffer " + std::to_string(buffer >> 10) + " KiB") {
      return move_file(pump, null.get(), null_info);
    };
  }
}
