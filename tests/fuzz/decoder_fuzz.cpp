// libFuzzer target for the hw-encrypt stream decoder: any bytes, decrypted under a fixed key,
// must end in a clean result (never a crash, leak or UB), and what is written must be exactly
// what the result reports. Built with clang -fsanitize=fuzzer,address,undefined by
// tests/cli/hw-encrypt-fuzz.bats (which also runs it briefly over a seed corpus).
//
// With HW_ENCRYPT_FUZZ_SEEDS=DIR in the environment it writes a seed corpus of valid streams
// under the same key (1 KiB chunks, so multi-chunk streams stay small) and exits.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "conduit/crypto/stream.hpp"
#include "conduit/fd.hpp"

namespace {

using namespace conduit::crypto;

const Secret& fuzz_key() {
  static Secret key = [] {
    Secret k(32);
    k.resize(32);
    for (std::size_t i = 0; i < 32; ++i) k.data()[i] = static_cast<std::uint8_t>(0xA0 + i);
    return k;
  }();
  return key;
}

const Backend& backend() {
  static std::unique_ptr<Backend> b = make_openssl_backend();
  return *b;
}

conduit::Fd memfd_with(const std::uint8_t* data, std::size_t size) {
  conduit::Fd fd(::memfd_create("fuzz", MFD_CLOEXEC));
  std::size_t done = 0;
  while (done < size) {
    ssize_t n = ::write(fd.get(), data + done, size - done);
    if (n <= 0) std::abort();
    done += static_cast<std::size_t>(n);
  }
  ::lseek(fd.get(), 0, SEEK_SET);
  return fd;
}

void write_seeds(const char* dir) {
  unsigned counter = 0;
  for (std::size_t n : {0, 1, 100, 1023, 1024, 1025, 3000}) {
    std::vector<std::uint8_t> plain(n);
    for (std::size_t i = 0; i < n; ++i) plain[i] = static_cast<std::uint8_t>(i * 31 + 7);
    auto in = memfd_with(plain.data(), plain.size());
    std::string path = std::string(dir) + "/seed-" + std::to_string(counter++);
    conduit::Fd out(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    StreamOptions o;
    o.backend = &backend();
    o.chunk_log2 = 10;
    Credentials cred{KeySource::Key, &fuzz_key()};
    if (!out || !encrypt_stream(in.get(), out.get(), cred, o).ok()) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* dir = std::getenv("HW_ENCRYPT_FUZZ_SEEDS")) {
    write_seeds(dir);
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto in = memfd_with(data, size);
  conduit::Fd out(::memfd_create("fuzz-out", MFD_CLOEXEC));
  Header header;
  StreamResult r = read_stream_header(in.get(), header);
  if (r.ok()) {
    StreamOptions o;
    o.backend = &backend();
    // The last byte picks the thread count, so both pipeline paths are fuzzed.
    o.threads = size > 0 && (data[size - 1] & 1) ? 2 : 1;
    Credentials cred{KeySource::Key, &fuzz_key()};
    r = decrypt_stream(in.get(), out.get(), header, cred, o);
    off_t written = ::lseek(out.get(), 0, SEEK_END);
    if (static_cast<std::uint64_t>(written) != r.bytes_out) std::abort();
    // Output only ever comes from verified chunks: never more than the input's payload.
    if (r.bytes_out > size) std::abort();
  }
  if (!r.ok() && r.message.empty()) std::abort();
  return 0;
}
