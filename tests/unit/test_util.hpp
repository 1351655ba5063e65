// Helpers shared by the unit tests: temporary files, random data, whole-fd reads.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <random>
#include <string>
#include <vector>

#include "conduit/fd.hpp"

namespace conduit::testutil {

inline std::string random_bytes(std::size_t n, unsigned seed = 42) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

// A file in $TMPDIR removed when the object dies.
class TempFile {
 public:
  explicit TempFile(const std::string& content = "") {
    const char* dir = std::getenv("TMPDIR");
    path_ = std::string(dir ? dir : "/tmp") + "/conduit-unit-XXXXXX";
    int fd = ::mkstemp(path_.data());
    if (fd >= 0) {
      std::size_t done = 0;
      while (done < content.size()) {
        ssize_t n = ::write(fd, content.data() + done, content.size() - done);
        if (n <= 0) break;
        done += static_cast<std::size_t>(n);
      }
      ::close(fd);
    }
  }
  ~TempFile() { ::unlink(path_.c_str()); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }
  Fd open(int flags) const { return Fd(::open(path_.c_str(), flags | O_CLOEXEC, 0600)); }

 private:
  std::string path_;
};

inline std::string read_all(int fd) {
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

inline std::string file_content(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  return read_all(fd.get());
}

}  // namespace conduit::testutil
