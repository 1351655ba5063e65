// MappedInput, and hw-encrypt's block pipeline reading through it: the same bytes as read(2)
// from any starting offset, the file offset left where read(2) would leave it, a file that grows
// read to its new end, and a file that shrinks under the mapping reported (no SIGBUS death).
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <string>

#include "conduit/crypto/stream.hpp"
#include "conduit/mapped_input.hpp"
#include "test_util.hpp"

namespace {

using conduit::MappedInput;
using conduit::testutil::TempFile;
using conduit::testutil::random_bytes;
using conduit::testutil::read_all;

std::string take_all(MappedInput& m, std::size_t piece) {
  std::string got;
  for (;;) {
    auto s = m.next(piece);
    got.append(reinterpret_cast<const char*>(s.data()), s.size());
    if (s.size() < piece) return got;
  }
}

TEST(MappedInput, HandsOutTheFileFromItsOffsetAndLeavesTheOffsetAfterWhatWasTaken) {
  const std::string data = random_bytes(300000, 7);
  TempFile f(data);
  auto fd = f.open(O_RDONLY);
  ASSERT_EQ(::lseek(fd.get(), 100, SEEK_SET), 100);  // not page-aligned
  MappedInput m = MappedInput::map_rest(fd.get(), 4096);
  ASSERT_TRUE(m.active());
  auto first = m.next(1000);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(first.data()), first.size()), data.substr(100, 1000));
  EXPECT_EQ(m.stop(), 0);
  EXPECT_FALSE(m.active());
  EXPECT_TRUE(m.next(10).empty());
  EXPECT_EQ(::lseek(fd.get(), 0, SEEK_CUR), 1100);
  EXPECT_EQ(read_all(fd.get()), data.substr(1100));
}

TEST(MappedInput, AllOfItInPiecesThenNothing) {
  const std::string data = random_bytes(200001, 8);
  TempFile f(data);
  auto fd = f.open(O_RDONLY);
  MappedInput m = MappedInput::map_rest(fd.get(), 1);
  ASSERT_TRUE(m.active());
  EXPECT_EQ(take_all(m, 65536), data);
  EXPECT_EQ(m.handed_out(), data.size());
  EXPECT_TRUE(m.intact(data.size()));
}

TEST(MappedInput, OnlyRegularFilesOnOrdinaryFileSystemsWithEnoughLeft) {
  TempFile small(random_bytes(1000));
  auto fd = small.open(O_RDONLY);
  EXPECT_FALSE(MappedInput::map_rest(fd.get(), 4096).active()) << "less than min_bytes left";
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  EXPECT_FALSE(MappedInput::map_rest(p[0], 1).active()) << "a pipe";
  ::close(p[0]);
  ::close(p[1]);
  conduit::Fd proc(::open("/proc/self/status", O_RDONLY | O_CLOEXEC));
  EXPECT_FALSE(MappedInput::map_rest(proc.get(), 1).active()) << "a proc file";
}

TEST(MappedInput, OneMappingAtATime) {
  TempFile f(random_bytes(100000));
  auto fd1 = f.open(O_RDONLY);
  auto fd2 = f.open(O_RDONLY);
  MappedInput a = MappedInput::map_rest(fd1.get(), 1);
  ASSERT_TRUE(a.active());
  EXPECT_FALSE(MappedInput::map_rest(fd2.get(), 1).active());
  a = MappedInput{};
  EXPECT_TRUE(MappedInput::map_rest(fd2.get(), 1).active()) << "free again once unmapped";
}

TEST(MappedInput, AFileThatShrinksIsReportedNotAFatalSigbus) {
  const std::string data = random_bytes(10 * 4096, 9);
  TempFile f(data);
  auto fd = f.open(O_RDONLY);
  MappedInput m = MappedInput::map_rest(fd.get(), 1);
  ASSERT_TRUE(m.active());
  ASSERT_EQ(::truncate(f.path().c_str(), 4096 + 10), 0);
  // Inside the last remaining page: no fault, the bytes past the new end read as zeros.
  auto s = m.next(2 * 4096);
  EXPECT_EQ(s[4096 + 9], static_cast<std::uint8_t>(data[4096 + 9]));
  EXPECT_EQ(s[4096 + 10], 0);
  EXPECT_TRUE(m.intact(4096 + 10));
  EXPECT_FALSE(m.intact(2 * 4096)) << "the file no longer holds what was handed out";
  // Past it: SIGBUS, caught; the page reads as zeros and the mapping is no longer intact.
  auto t = m.next(4096);
  volatile std::uint8_t byte = t[0];
  EXPECT_EQ(byte, 0);
  EXPECT_FALSE(m.intact(0));
}

TEST(MappedInput, ASigbusOutsideTheMappingStillKills) {
  EXPECT_EXIT(
      {
        TempFile f(random_bytes(100000));
        auto fd = f.open(O_RDONLY);
        MappedInput m = MappedInput::map_rest(fd.get(), 1);
        ::raise(SIGBUS);
      },
      ::testing::KilledBySignal(SIGBUS), "");
}

// --- hw-encrypt's stream through the mapping ---------------------------------------------------

using namespace conduit::crypto;

class MappedStream : public ::testing::Test {
 protected:
  void SetUp() override {
    key_ = Secret(32);
    key_.resize(32);
    for (std::size_t i = 0; i < 32; ++i) key_.data()[i] = static_cast<std::uint8_t>(i + 1);
    backend_ = make_openssl_backend();
  }
  StreamOptions options(bool allow_map, unsigned threads = 1) const {
    StreamOptions o;
    o.backend = backend_.get();
    o.threads = threads;
    o.chunk_log2 = 12;  // 4 KiB chunks, 16 per pipeline block
    o.allow_splice = allow_map;
    return o;
  }
  // Decrypts the stream in file `path`: the plaintext it gave (all of it, or the verified part
  // before a failure, which `result` then holds).
  std::string decrypt(const std::string& path, bool allow_map, StreamResult* result = nullptr) {
    conduit::Fd in(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    conduit::Fd out(::memfd_create("pt", MFD_CLOEXEC));
    Header header;
    StreamResult r = read_stream_header(in.get(), header);
    if (r.ok()) r = decrypt_stream(in.get(), out.get(), header, {KeySource::Key, &key_}, options(allow_map));
    if (result != nullptr) {
      *result = r;
    } else {
      EXPECT_TRUE(r.ok()) << r.message;
    }
    ::lseek(out.get(), 0, SEEK_SET);
    return read_all(out.get());
  }
  Secret key_;
  std::unique_ptr<Backend> backend_;
};

TEST_F(MappedStream, MappedAndReadInputsGiveTheSamePlaintextAtAnyOffset) {
  const std::string data = random_bytes(5 * 65536 + 123, 11);
  TempFile plain(data);
  for (unsigned threads : {1u, 2u}) {
    for (bool map : {true, false}) {
      SCOPED_TRACE(std::string(map ? "mapped" : "read") + " threads " + std::to_string(threads));
      auto in = plain.open(O_RDONLY);
      ::lseek(in.get(), 7, SEEK_SET);
      TempFile sealed;
      auto out = sealed.open(O_WRONLY | O_TRUNC);
      StreamResult r = encrypt_stream(in.get(), out.get(), {KeySource::Key, &key_}, options(map, threads));
      ASSERT_TRUE(r.ok()) << r.message;
      EXPECT_EQ(r.mmap_calls, map ? 1u : 0u);
      EXPECT_EQ(r.bytes_in, data.size() - 7);
      EXPECT_EQ(::lseek(in.get(), 0, SEEK_CUR), static_cast<off_t>(data.size())) << "offset at the end";
      EXPECT_EQ(decrypt(sealed.path(), map), data.substr(7));
      EXPECT_EQ(decrypt(sealed.path(), !map), data.substr(7));
    }
  }
}

TEST_F(MappedStream, AFileThatGrowsWhileMappedIsReadToItsNewEnd) {
  const std::string data = random_bytes(4 * 65536 + 5, 12);
  const std::string more = random_bytes(70000, 13);
  TempFile plain(data);
  auto in = plain.open(O_RDONLY);
  auto appender = plain.open(O_WRONLY | O_APPEND);
  TempFile sealed;
  auto out = sealed.open(O_WRONLY | O_TRUNC);
  StreamOptions o = options(true);
  bool grown = false;
  o.progress = [&](std::uint64_t) {
    if (!grown) {
      ASSERT_EQ(::write(appender.get(), more.data(), more.size()), static_cast<ssize_t>(more.size()));
    }
    grown = true;
  };
  StreamResult r = encrypt_stream(in.get(), out.get(), {KeySource::Key, &key_}, o);
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.mmap_calls, 1u);
  EXPECT_EQ(r.bytes_in, data.size() + more.size());
  EXPECT_EQ(decrypt(sealed.path(), false), data + more);
}

TEST_F(MappedStream, AFileThatShrinksWhileMappedFailsWithoutPassingOnZeros) {
  const std::string data = random_bytes(16 * 65536, 14);
  for (unsigned threads : {1u, 2u}) {
    SCOPED_TRACE("threads " + std::to_string(threads));
    TempFile plain(data);
    auto in = plain.open(O_RDONLY);
    TempFile sealed;
    auto out = sealed.open(O_WRONLY | O_TRUNC);
    StreamOptions o = options(true, threads);
    bool cut = false;
    o.progress = [&](std::uint64_t) {
      if (!cut) {
        ASSERT_EQ(::truncate(plain.path().c_str(), 3 * 65536 + 100), 0);
      }
      cut = true;
    };
    StreamResult r = encrypt_stream(in.get(), out.get(), {KeySource::Key, &key_}, o);
    EXPECT_EQ(r.status, StreamStatus::ReadError);
    EXPECT_EQ(r.message, "the file shrank while it was being read");
    // What was written holds only the file's own bytes, no zeros standing in for the missing
    // ones, and no last chunk: decryption gives back that prefix and then refuses the cut.
    StreamResult d;
    std::string got = decrypt(sealed.path(), false, &d);
    EXPECT_EQ(d.status, StreamStatus::Truncated) << d.message;
    EXPECT_GT(got.size(), 0u);
    EXPECT_LE(got.size(), 3u * 65536 + 100);
    EXPECT_EQ(got, data.substr(0, got.size()));
  }
}

}  // namespace
