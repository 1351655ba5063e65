// net/http_resources: request target -> file, directory listing or status (see the header).
#include "conduit/net/http_resources.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "conduit/quote.hpp"

namespace conduit::net::http {

namespace {

// The "?query" of a target, for a redirect to carry along (nginx and python's http.server keep
// it): as received (its bytes are visible ASCII or past 0x7f, the request line's rule), the
// bytes past 0x7f %-encoded so that the Location header stays ASCII.
std::string query_of(std::string_view target) {
  auto q = target.find('?');
  if (q == std::string_view::npos) return {};
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : target.substr(q)) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x80) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string page_head(const std::string& title) {
  return "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Index of " + title +
         "</title></head>\n<body><h1>Index of " + title + "</h1><hr><pre>\n";
}

int status_for_errno(int err) {
  switch (err) {
    case ENOENT: case ENOTDIR: case ENAMETOOLONG: return 404;
    case EMFILE: case ENFILE: case ENOMEM: return 503;
    default: return 403;  // EXDEV, ELOOP (out of the root), EACCES, EPERM ...
  }
}

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

Resources Resources::directory(int root, bool index) {
  Resources r;
  r.root_ = root;
  r.index_ = index;
  return r;
}

Resources Resources::files(std::vector<std::pair<std::string, int>> files, bool index, std::string prefix) {
  Resources r;
  r.files_ = std::move(files);
  r.index_ = index;
  r.prefix_ = std::move(prefix);
  return r;
}

Lookup Resources::lookup(std::string_view target) const {
  Lookup out;
  TargetPath path = decode_target(target);
  if (path.status == TargetPath::Status::Bad) {
    out.status = 400;
    return out;
  }
  if (path.status == TargetPath::Status::Hidden) return out;  // 404
  if (root_ < 0) {
    if (path.components.empty()) return list_files(path);
    if (path.components.size() != 1 || path.trailing_slash) return out;
    for (const auto& [name, fd] : files_) {
      if (name != path.components[0]) continue;
      if (::fstat(fd, &out.st) != 0) {
        out.status = 500;
        return out;
      }
      out.status = 200;
      out.fd = fd;
      out.name = name;
      // With several files the server's one label is the last FILE's: name this one
      if (files_.size() > 1) out.label = quote_name(name);
      out.prefix_of_file = prefix_;
      return out;
    }
    return out;
  }
  int fd = open_beneath(root_, relative_path(path.components), O_RDONLY | O_NONBLOCK | O_NOCTTY,
                        force_fallback_);
  if (fd < 0) {
    out.status = status_for_errno(-fd);
    return out;
  }
  out.owned.reset(fd);
  if (::fstat(fd, &out.st) != 0) {
    out.status = 500;
    return out;
  }
  if (S_ISDIR(out.st.st_mode)) {
    if (!path.trailing_slash) {
      out.status = 301;
      std::string loc;
      for (const auto& c : path.components) loc += "/" + percent_encode(c);
      out.location = loc + "/" + query_of(target);
      return out;
    }
    return list(fd, path);
  }
  if (!S_ISREG(out.st.st_mode)) {
    out.status = 403;
    return out;
  }
  if (path.trailing_slash) return out;  // "file/": 404, as nginx
  out.status = 200;
  out.fd = fd;
  out.name = path.components.back();
  out.label = quote_name(relative_path(path.components));
  return out;
}

Lookup Resources::list(int dir_fd, const TargetPath& path) const {
  Lookup out;
  if (!index_) {
    out.status = 403;
    return out;
  }
  int copy = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (copy < 0) {
    out.status = status_for_errno(errno);
    return out;
  }
  DIR* dir = ::fdopendir(copy);
  if (!dir) {
    ::close(copy);
    out.status = 503;
    return out;
  }
  std::vector<std::string> names;
  while (dirent* e = ::readdir(dir)) {
    std::string_view name = e->d_name;
    if (name.empty() || name.front() == '.') continue;
    bool is_dir = e->d_type == DT_DIR;
    if (e->d_type == DT_UNKNOWN || e->d_type == DT_LNK) {
      struct stat st {};
      is_dir = ::fstatat(dir_fd, e->d_name, &st, 0) == 0 && S_ISDIR(st.st_mode);
    }
    names.push_back(std::string(name) + (is_dir ? "/" : ""));
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  std::string title = html_escape(path.path);
  out.body = page_head(title);
  if (!path.components.empty()) out.body += "<a href=\"../\">../</a>\n";
  for (const auto& n : names) {
    bool is_dir = n.back() == '/';
    std::string bare = is_dir ? n.substr(0, n.size() - 1) : n;
    out.body += "<a href=\"" + percent_encode(bare) + (is_dir ? "/" : "") + "\">" + html_escape(n) + "</a>\n";
  }
  out.body += "</pre><hr></body></html>\n";
  out.status = 200;
  out.listing = true;
  return out;
}

Lookup Resources::list_files(const TargetPath& path) const {
  Lookup out;
  if (!index_) {
    out.status = 403;
    return out;
  }
  std::vector<std::string> names;
  for (const auto& f : files_) names.push_back(f.first);
  std::sort(names.begin(), names.end());
  out.body = page_head(html_escape(path.path));
  for (const auto& n : names)
    out.body += "<a href=\"" + percent_encode(n) + "\">" + html_escape(n) + "</a>\n";
  out.body += "</pre><hr></body></html>\n";
  out.status = 200;
  out.listing = true;
  return out;
}

}  // namespace conduit::net::http
