// diag: `prog: what: reason` on stderr, written in one write() so lines never interleave.
#include "conduit/diag.hpp"

#include <unistd.h>

#include <clocale>
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

namespace {
std::string& name_storage() {
  static std::string name;
  return name;
}
std::string_view& name_view() {
  static std::string_view view;
  return view;
}
}  // namespace

void init_program(int argc, char** argv, std::string_view fallback) {
  std::string_view arg0 = argc > 0 && argv[0] != nullptr ? argv[0] : "";
  std::size_t slash = arg0.rfind('/');
  if (slash != std::string_view::npos) arg0.remove_prefix(slash + 1);
  name_storage() = arg0.empty() ? fallback : arg0;
  name_view() = name_storage();
  std::setlocale(LC_CTYPE, "");
}

const std::string_view& program_name() noexcept { return name_view(); }

}  // namespace conduit
