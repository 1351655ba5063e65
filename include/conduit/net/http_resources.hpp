// net/http_resources: what an HTTP server's request target names: a file beneath a directory
// (the directory form), one of a list of files served by their names (the file form), or a
// directory to list. The lookup is net/http_path's decoding and openat2 resolution plus the
// status a miss deserves, as nginx answers:
//   malformed target (`*`, bad %-escape, %00, %2F, ".." above the root)   400
//   dot-file, nothing there, a trailing slash after a file                404
//   symlink out of the root (or any symlink where openat2 is missing),
//   no permission, not a regular file or directory                        403
//   a directory without its trailing slash                                301 to "path/?query"
//   a directory: a listing with `index`, else                             403
//   no descriptor left (EMFILE, ENFILE)                                   503
// The listing is a small HTML page: names escaped, links %-encoded, dot-files left out.
#pragma once

#include <sys/stat.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "conduit/fd.hpp"
#include "conduit/net/http_path.hpp"

namespace conduit::net::http {

struct Lookup {
  int status = 404;     // 200: a file (or a directory listing); else the answer
  int fd = -1;          // the file (or directory), borrowed from `owned` or the file list
  Fd owned;             // opened for this request (directory form)
  struct stat st {};
  std::string name;     // the file's name (MIME type by extension, Content-Disposition)
  std::string label;    // for messages: the path beneath the root, or the name among several
                        // files, quoted; empty in the one-file form
  std::string prefix_of_file;  // bytes served before the file (the file form's header)
  bool listing = false;
  std::string body;     // a listing's HTML
  std::string location; // 301: where to
};

class Resources {
 public:
  // The directory form: everything beneath `root` (a directory fd, borrowed).
  static Resources directory(int root, bool index);
  // The file form: each file by its name ("/NAME"); `files` are (name, fd) with fds borrowed.
  // `prefix` goes before the file (one-file form's --header).
  static Resources files(std::vector<std::pair<std::string, int>> files, bool index, std::string prefix = {});

  Lookup lookup(std::string_view target) const;
  // Test hook: take the openat2-less walk.
  void force_fallback(bool on) noexcept { force_fallback_ = on; }

 private:
  Resources() = default;
  Lookup list(int dir_fd, const TargetPath& path) const;
  Lookup list_files(const TargetPath& path) const;

  int root_ = -1;
  std::vector<std::pair<std::string, int>> files_;
  std::string prefix_;
  bool index_ = false;
  bool force_fallback_ = false;
};

// "&<>\"'" as entities.
std::string html_escape(std::string_view text);

}  // namespace conduit::net::http
