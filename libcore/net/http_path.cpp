// net/http_path: target decoding and resolution beneath a root (see the header).
#include "conduit/net/http_path.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

#include "conduit/hex.hpp"

namespace conduit::net::http {

namespace {

// openat2 seen to be missing: don't ask the kernel again on every request.
std::atomic<bool> g_no_openat2{false};

int walk_nofollow(int root, const std::string& relative, int flags) {
  // Every component but the last is a directory opened O_PATH|O_NOFOLLOW|O_DIRECTORY; the last
  // is opened with the caller's flags and O_NOFOLLOW. decode_target() leaves no ".." here, but
  // the walk refuses one anyway: this function must be safe alone.
  Fd dir;
  int at = root;
  std::string_view rest = relative;
  for (;;) {
    auto slash = rest.find('/');
    std::string name(rest.substr(0, slash));
    if (name == "..") return -EXDEV;
    bool last = slash == std::string_view::npos;
    if (last) {
      int fd = ::openat(at, name.c_str(), flags | O_CLOEXEC | O_NOFOLLOW);
      return fd < 0 ? -errno : fd;
    }
    int fd = ::openat(at, name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOTDIR) {
      // O_NOFOLLOW|O_DIRECTORY on a symlink says ENOTDIR: refused as openat2 refuses a way out
      // (ELOOP); a file where a directory was meant is simply not there.
      struct stat st {};
      bool link = ::fstatat(at, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
      return link ? -ELOOP : -ENOENT;
    }
    if (fd < 0) return -errno;
    dir.reset(fd);
    at = fd;
    rest.remove_prefix(slash + 1);
  }
}

}  // namespace

TargetPath decode_target(std::string_view target) {
  TargetPath out;
  // absolute-form (RFC 9112 3.2.2): a server MUST accept it; only its path matters here.
  if (target.size() > 7 && (target.substr(0, 7) == "http://" || target.substr(0, 8) == "https://")) {
    auto scheme_end = target.find("//") + 2;
    auto path_start = target.find('/', scheme_end);
    target = path_start == std::string_view::npos ? std::string_view("/") : target.substr(path_start);
  }
  if (target.empty() || target.front() != '/') return out;  // "*", authority-form, junk: 400
  auto query = target.find_first_of("?#");
  if (query != std::string_view::npos) target = target.substr(0, query);

  std::string component;
  bool hidden = false;
  auto finish = [&]() -> bool {
    if (component.empty() || component == ".") {
      // dropped
    } else if (component == "..") {
      if (out.components.empty()) return false;  // above the root
      out.components.pop_back();
    } else {
      if (component.front() == '.') hidden = true;
      out.components.push_back(component);
    }
    component.clear();
    return true;
  };
  for (std::size_t i = 1; i <= target.size(); ++i) {
    if (i == target.size() || target[i] == '/') {
      if (!finish()) return out;
      continue;
    }
    char c = target[i];
    if (c == '%') {
      if (i + 2 >= target.size()) return out;
      int hi = hex_value(target[i + 1]), lo = hex_value(target[i + 2]);
      if (hi < 0 || lo < 0) return out;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
      // Decoded once: "%2F" is a byte of a name, and no name holds '/' or NUL. "%25" stays '%'.
      if (c == '\0' || c == '/') return out;
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return out;
    }
    component += c;
  }
  out.trailing_slash = target.back() == '/' || out.components.empty() ||
                       target.ends_with("/.") || target.ends_with("/..");
  std::string path(1, '/');  // not `= "/"`: GCC 12 warns falsely there (-Wrestrict, PR 105329)
  for (const auto& c : out.components) {
    path += c;
    path += '/';
  }
  if (!out.trailing_slash && !out.components.empty()) path.pop_back();
  out.path = std::move(path);
  out.status = hidden ? TargetPath::Status::Hidden : TargetPath::Status::Ok;
  return out;
}

std::string relative_path(const std::vector<std::string>& components) {
  if (components.empty()) return ".";
  std::string out;
  for (const auto& c : components) {
    if (!out.empty()) out += '/';
    out += c;
  }
  return out;
}

int open_beneath(int root, const std::string& relative, int flags, bool force_fallback) {
  if (!force_fallback && !g_no_openat2.load(std::memory_order_relaxed)) {
    open_how how{};
    how.flags = static_cast<std::uint64_t>(flags | O_CLOEXEC);
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    for (;;) {
      long fd = ::syscall(SYS_openat2, root, relative.c_str(), &how, sizeof how);
      if (fd >= 0) return static_cast<int>(fd);
      if (errno == EINTR || errno == EAGAIN) continue;  // EAGAIN: a rename raced (RESOLVE_* only)
      if (errno != ENOSYS) return -errno;
      g_no_openat2.store(true, std::memory_order_relaxed);
      break;
    }
  }
  return walk_nofollow(root, relative, flags);
}

std::string percent_encode(std::string_view text, bool (*keep)(unsigned char)) {
  std::string out;
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (keep(c)) {
      out += ch;
    } else {
      out += '%';
      out += hex_digit(c >> 4, true);
      out += hex_digit(c & 15, true);
    }
  }
  return out;
}

std::string percent_encode(std::string_view component) {
  return percent_encode(component, [](unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("-._~!$&'()*+,;=:@").find(static_cast<char>(c)) != std::string_view::npos;
  });
}

}  // namespace conduit::net::http
