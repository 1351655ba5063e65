// net/mime_types: the extension table (see the header).
#include "conduit/net/mime_types.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "conduit/fd.hpp"

namespace conduit::net::http {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// Enough for a machine without /etc/mime.types to serve a web page and its media sensibly.
constexpr std::string_view kBuiltin =
    "text/html html htm\n"
    "text/plain txt text log\n"
    "text/css css\n"
    "text/javascript js mjs\n"
    "application/json json\n"
    "application/pdf pdf\n"
    "application/xml xml\n"
    "image/png png\nimage/jpeg jpg jpeg\nimage/gif gif\nimage/svg+xml svg svgz\nimage/webp webp\n"
    "video/mp4 mp4 m4v\nvideo/webm webm\nvideo/x-matroska mkv\nvideo/mp2t ts\n"
    "audio/mpeg mp3\naudio/ogg ogg oga\naudio/flac flac\naudio/mp4 m4a\n"
    "application/vnd.apple.mpegurl m3u8\n"
    "application/gzip gz\napplication/zstd zst\napplication/x-xz xz\napplication/x-tar tar\n"
    "application/zip zip\n";

// Kept over any mime.types file: Debian's media-types gives ts to Qt Linguist translations
// (text/vnd.trolltech.linguist), which no web server serves, and a media server's .ts files
// (recordings, HLS segments) would reach players and browsers as text. nginx says video/mp2t.
constexpr std::string_view kOverrides = "video/mp2t ts\n";

}  // namespace

MimeTypes::MimeTypes() {
  add_text(kBuiltin);
  add_text(kOverrides);
}

void MimeTypes::add_text(std::string_view text) {
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    std::string_view type;
    bool first = true;
    while (!line.empty()) {
      auto start = line.find_first_not_of(" \t\r");
      if (start == std::string_view::npos) break;
      line.remove_prefix(start);
      auto end = line.find_first_of(" \t\r");
      std::string_view word = line.substr(0, end);
      line.remove_prefix(end == std::string_view::npos ? line.size() : end);
      if (first) {
        type = word;
        first = false;
        if (!valid_header_value(type) || type.find('/') == std::string_view::npos) break;
      } else {
        by_ext_[lower(word)] = std::string(type);
      }
    }
  }
}

Status MimeTypes::load(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return Status::failure(errno);
  std::string text;
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::failure(errno);
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > (4u << 20)) return Status::failure(EFBIG);  // not a mime.types file
  }
  add_text(text);
  add_text(kOverrides);
  return {};
}

std::string_view MimeTypes::lookup(std::string_view name, std::string_view fallback) const {
  auto slash = name.rfind('/');
  if (slash != std::string_view::npos) name.remove_prefix(slash + 1);
  auto dot = name.rfind('.');
  if (dot == std::string_view::npos || dot + 1 == name.size()) return fallback;
  auto it = by_ext_.find(lower(name.substr(dot + 1)));
  return it == by_ext_.end() ? fallback : std::string_view(it->second);
}

bool valid_header_value(std::string_view value) {
  if (value.empty()) return false;
  for (char ch : value) {
    auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c >= 0x7f) return false;
  }
  return true;
}

}  // namespace conduit::net::http
