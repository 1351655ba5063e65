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

// What a directory request is answered with when the directory holds it (nginx's default
// `index`).
constexpr std::string_view kIndexName = "index.html";

// The "?query" of a target, for a redirect to carry along (nginx and python's http.server keep
// it): as received (its bytes are visible ASCII or past 0x7f, the request line's rule), the
// bytes past 0x7f %-encoded so that the Location header stays ASCII.
std::string query_of(std::string_view target) {
  auto q = target.find('?');
  if (q == std::string_view::npos) return {};
  return percent_encode(target.substr(q), [](unsigned char c) { return c < 0x80; });
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
    // "/" is the files' directory: their index.html when one is named so, as a directory's.
    if (path.components.empty() && !has_file(kIndexName)) return list_files(path);
    std::string_view wanted = path.components.empty() ? kIndexName : path.components[0];
    if (path.components.size() > 1 || (path.trailing_slash && !path.components.empty())) return out;
    for (const auto& [name, fd] : files_) {
      if (name != wanted) continue;
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
    return index_or_list(fd, path);
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

Resources::Entry Resources::open_entry(const std::string& relative) const {
  Entry e;
  int fd = open_beneath(root_, relative, O_PATH, force_fallback_);
  if (fd < 0) {
    e.err = fd;
    return e;
  }
  Fd path_fd(fd);
  if (::fstat(fd, &e.st) != 0) {
    e.err = -errno;
    return e;
  }
  // The fallback walk's O_NOFOLLOW gives a symlink itself to O_PATH; the real open refuses it.
  if (S_ISLNK(e.st.st_mode)) e.err = -ELOOP;
  if (e.err < 0 || !(S_ISREG(e.st.st_mode) || S_ISDIR(e.st.st_mode))) return e;
  fd = open_beneath(root_, relative, O_RDONLY | O_NONBLOCK | O_NOCTTY, force_fallback_);
  if (fd < 0) e.err = fd;
  else e.fd.reset(fd);
  return e;
}

// A directory's index.html, as nginx's `index` and python3 -m http.server serve it: a regular file
// beneath the root is served as itself (its validators, Range, type by its name); one a request
// for it would refuse (a symlink out of the root, no permission) gets that refusal, as nginx
// answers, not a listing that would show what its owner meant to hide. Only where there is none
// (or it is not a regular file: python's rule) does the directory get listed, or 403.
Lookup Resources::index_or_list(int dir_fd, const TargetPath& path) const {
  std::vector<std::string> components = path.components;
  components.emplace_back(kIndexName);
  Entry index = open_entry(relative_path(components));
  if (index.err == -ENOENT || (index.err == 0 && !S_ISREG(index.st.st_mode)))
    return list(dir_fd, path);
  Lookup out;
  if (index.err < 0) {
    out.status = status_for_errno(-index.err);
    return out;
  }
  out.status = 200;
  out.fd = index.fd.get();
  out.owned = std::move(index.fd);
  out.st = index.st;
  out.name = kIndexName;
  out.label = quote_name(relative_path(components));
  return out;
}

// Whether a request for `relative` would get the entry (a file, a directory's 301 and then its
// index.html or listing) rather than a refusal, resolved as the request resolves it: a listing
// that links to a 403 (a symlink out of the root, a device, a file without permission, a
// directory whose index.html is refused) breaks `wget -r` (exit 8).
bool Resources::reachable(const std::string& relative, bool& is_dir) const {
  Entry e = open_entry(relative);
  if (e.err < 0 || !e.fd) return false;
  is_dir = S_ISDIR(e.st.st_mode);
  if (!is_dir) return true;
  Entry index = open_entry(relative + "/" + std::string(kIndexName));
  return index.err == 0 || index.err == -ENOENT;
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
  std::vector<std::string> entry = path.components;
  entry.emplace_back();
  while (dirent* e = ::readdir(dir)) {
    std::string_view name = e->d_name;
    if (name.empty() || name.front() == '.') continue;
    entry.back() = name;
    bool is_dir = false;
    if (e->d_type == DT_REG) {
      // Beneath the root by construction, no symlink to resolve: whether it may be read is all
      // a request would ask (one call, no descriptor: a listing of thousands stays cheap).
      if (::faccessat(dir_fd, e->d_name, R_OK, AT_EACCESS | AT_SYMLINK_NOFOLLOW) != 0) continue;
    } else if (!reachable(relative_path(entry), is_dir)) {
      continue;
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

bool Resources::has_file(std::string_view name) const {
  return std::any_of(files_.begin(), files_.end(), [&](const auto& f) { return f.first == name; });
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
