// diag: `prog: what: reason` on stderr, written in one write() so lines never interleave.
#include "conduit/diag.hpp"

#include <unistd.h>

#include <cstring>

namespace conduit {

namespace {
void emit(const std::string& line) {
  // One write: diagnostics from concurrent commands stay whole lines.
  ssize_t rc = ::write(STDERR_FILENO, line.data(), line.size());
  (void)rc;  // Nothing sensible to do when stderr itself fails.
}
}  // namespace

std::string errno_text(int err) { return std::strerror(err); }

void Diag::error(std::string_view what, int err) {
  failed_ = true;
  std::string line = prog_;
  line += ": ";
  line += what;
  line += ": ";
  line += errno_text(err);
  line += '\n';
  emit(line);
}

void Diag::error(std::string_view message) {
  failed_ = true;
  warn(message);
}

void Diag::warn(std::string_view message) {
  std::string line = prog_;
  line += ": ";
  line += message;
  line += '\n';
  emit(line);
}

std::string quote_name(std::string_view name) {
  bool plain = !name.empty();
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              std::strchr("/._-+,:@%^=", c) != nullptr;
    if (!ok) { plain = false; break; }
  }
  if (plain) return std::string(name);
  std::string out = "'";
  for (char c : name) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  out += '\'';
  return out;
}

}  // namespace conduit
