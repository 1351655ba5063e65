// net/http_path: from an HTTP request target to a file beneath a root, and nothing outside it.
//
// Two steps, each its own function so that each can be tested alone:
//  - decode_target(): the target's path, %-decoded exactly once, split into components. Refused
//    (400): what is not origin-form or absolute-form (`*`, authority-form), a %-escape that is
//    not two hex digits, a decoded NUL, a decoded '/' inside a component (%2F: names never hold
//    one), and ".." that would climb above the root. "." and empty components are dropped.
//    Refused (404): a component that starts with a dot (dot-files and dot-directories are
//    never served, as `location ~ /\.` in nginx configurations does).
//  - open_beneath(): opens that relative path under a directory fd with openat2(2)
//    RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS, so no "..", absolute symlink or symlink that leaves
//    the root can reach outside it (EXDEV); symlinks that stay beneath the root are followed.
//    Kernels without openat2 (ENOSYS; before 5.6, or a seccomp filter) get a component walk by
//    openat(O_NOFOLLOW): just as strict, stricter in fact: it follows no symlink at all (ELOOP).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conduit/fd.hpp"

namespace conduit::net::http {

struct TargetPath {
  enum class Status : unsigned char { Ok, Bad, Hidden };
  Status status = Status::Bad;
  std::vector<std::string> components;  // decoded; none for "/"
  bool trailing_slash = false;          // the path ends in '/' (or is "/"): a directory is meant
  std::string path;                     // the decoded path, normalized ("/a/b/"), for listings
};

TargetPath decode_target(std::string_view target);

// "a/b/c" from components ("." for none), for openat.
std::string relative_path(const std::vector<std::string>& components);

// Opens `relative` (no leading '/') beneath `root` (a directory fd, O_PATH will do) with `flags`
// (O_CLOEXEC is added). Returns the fd or -errno: EXDEV or ELOOP for a path that would leave the
// root (or, in the fallback, any symlink), ENOENT, EACCES ...
// `force_fallback`: take the component walk even where openat2 exists (tests).
int open_beneath(int root, const std::string& relative, int flags, bool force_fallback = false);

// Minimal %-encoding of a path component for a link (listings, redirects): everything but
// unreserved characters and a few safe ones is escaped.
std::string percent_encode(std::string_view component);
// %-encoding of every byte `keep` refuses (uppercase digits, RFC 3986 2.1).
std::string percent_encode(std::string_view text, bool (*keep)(unsigned char));

}  // namespace conduit::net::http
