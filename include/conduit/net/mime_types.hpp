// net/mime_types: Content-Type by file name extension, from a mime.types file (Debian's
// media-types package installs /etc/mime.types: "type/subtype ext1 ext2 ..." per line, '#'
// comments), with a few built-in types for a system without one. Lookups are case-insensitive
// on the extension; a name without a known extension gets the fallback. ts is video/mp2t
// whatever the file says (Debian's gives it to Qt Linguist translations), as nginx has it.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>

#include "conduit/result.hpp"

namespace conduit::net::http {

class MimeTypes {
 public:
  // The built-in table only.
  MimeTypes();
  // Adds (and overrides with) the entries of a mime.types text.
  void add_text(std::string_view text);
  // Adds the entries of the file at `path`. On failure the table is unchanged: the errno of
  // the open or read (ENOENT: there is none, EISDIR ...), or EFBIG for a file over 4 MiB (not a
  // mime.types file).
  Status load(const std::string& path);
  // The type for `name` (a file name or path), or `fallback`.
  std::string_view lookup(std::string_view name, std::string_view fallback = "application/octet-stream") const;
  std::size_t size() const noexcept { return by_ext_.size(); }

 private:
  std::unordered_map<std::string, std::string> by_ext_;
};

// A media type fit for a header: non-empty, no control characters (CR and LF would split the
// response head), nothing outside printable ASCII.
bool valid_header_value(std::string_view value);

}  // namespace conduit::net::http
