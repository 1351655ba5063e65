// follow: splice-cat --follow, the command's side of conduit::follow: tail's option names and
// messages, the conflicts with cat's formatting options, and the end of the run as a status.
//
// Messages are GNU tail 9.1's, word for word where they overlap ("NAME: file truncated", "'NAME'
// has been replaced;  following new file" ...), so scripts and people reading logs see the same.
// The formatting options (-n, -b, -s, -v, -E, -T, -A, -e, -t) are refused: they carry line state
// across inputs, which interleaved growing files would mix up; use tail -f | cat -n for that.
#include "follow.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "conduit/diag.hpp"
#include "conduit/quote.hpp"
#include "options.hpp"

namespace splice_cat {

namespace {

std::optional<conduit::FollowMode> parse_mode(const std::string& text) {
  // GNU's argmatch: a unique prefix will do.
  if (!text.empty() && std::string("descriptor").starts_with(text))
    return conduit::FollowMode::Descriptor;
  if (!text.empty() && std::string("name").starts_with(text)) return conduit::FollowMode::Name;
  return std::nullopt;
}

// tail's quoteaf: a name inside a sentence is always quoted.
std::string quoted(const std::string& name) {
  std::string q = conduit::quote_name(name);
  return q.starts_with('\'') ? q : "'" + q + "'";
}

}  // namespace

void bind_follow(CLI::App& app, FollowOptions& o) {
  app.add_flag("--follow{descriptor}")
      ->description("output appended data as the file grows")
      ->each([&o](const std::string& how) {
        auto mode = parse_mode(how);
        if (!mode)
          throw CLI::ValidationError("invalid argument " + conduit::quote_arg(how) + " for '--follow'\n"
                                     "Valid arguments are:\n  - 'descriptor'\n  - 'name'");
        o.mode = *mode;
      })
      ->type_name("[=HOW]")
      ->trigger_on_parse();
  app.add_flag_callback("-f", [&o] { o.mode = conduit::FollowMode::Descriptor; });
  app.add_flag_callback("-F", [&o] {
    o.mode = conduit::FollowMode::Name;
    o.retry = true;
  });
  app.add_flag("--retry", o.retry, "keep trying to open a file if it is inaccessible");
  app.add_option_function<std::string>(
         "--pid",
         [&o](const std::string& text) {
           char* end = nullptr;
           errno = 0;
           long long v = std::strtoll(text.c_str(), &end, 10);
           if (text.empty() || *end != '\0' || errno != 0 || v < 0 || v > INT32_MAX)
             throw CLI::ValidationError("invalid PID: " + conduit::quote_arg(text));
           o.pid = static_cast<pid_t>(v);
         },
         "with --follow, stop after process PID dies")
      ->type_name("PID")
      ->trigger_on_parse();
  app.add_option_function<std::string>(
         "--sleep-interval",
         [&o](const std::string& text) {
           char* end = nullptr;
           double v = std::strtod(text.c_str(), &end);
           if (text.empty() || *end != '\0' || !std::isfinite(v) || v < 0 || v > 1e6)
             throw CLI::ValidationError("invalid number of seconds: " + conduit::quote_arg(text));
           o.sleep_interval = v;
         },
         "seconds between checks where inotify cannot be used")
      ->type_name("N")
      ->trigger_on_parse();
  app.add_flag("--file-headers", o.file_headers, "with --follow, print ==> NAME <== headers");
}

std::string follow_help_text() {
  return "\n"
         "Following growing files (not in GNU cat; as GNU tail -f):\n"
         "  -f, --follow[=HOW]       after copying each FILE, copy what is appended to it;\n"
         "                             HOW is 'descriptor' (default) or 'name'\n"
         "  -F                       same as --follow=name --retry\n"
         "      --retry              keep trying to open a FILE that is inaccessible\n"
         "      --pid=PID            with --follow, stop after process PID dies\n"
         "      --sleep-interval=N   with --follow, check every N seconds (default 1.0)\n"
         "                             where inotify cannot be used, or PID is watched\n"
         "      --file-headers       with --follow, write ==> FILE <== before each\n"
         "                             file's bytes, as tail -v\n"
         "--follow refuses -A, -b, -e, -E, -n, -s, -t, -T and -v.\n";
}

std::optional<int> follow_usage_error(const Options& o) {
  if (!o.follow.mode || !o.format.any()) return std::nullopt;
  return conduit::cli::usage_error("--follow cannot be combined with -A, -b, -e, -E, -n, -s, -t, -T or -v");
}

void warn_follow_unused(const Options& o) {
  if (o.follow.mode) return;
  conduit::Diag diag;  // named as invoked
  if (o.follow.pid) diag.warn("warning: PID ignored; --pid=PID is useful only when following");
  if (o.follow.retry) diag.warn("warning: --retry ignored; --retry is useful only when following");
}

int follow_files(const Options& o, conduit::Pump& pump, const conduit::FdInfo& out,
                 conduit::Diag& diag, conduit::Stats& stats) {
  static const std::vector<std::string> kStdinOnly{"-"};
  const std::vector<std::string>& paths = o.files.empty() ? kStdinOnly : o.files;
  conduit::FollowSettings settings;
  settings.mode = *o.follow.mode;
  settings.retry = o.follow.retry;
  settings.pid = o.follow.pid;
  settings.sleep_interval = std::chrono::milliseconds(
      static_cast<long long>(std::llround(o.follow.sleep_interval * 1000.0)));
  settings.offset = o.offset;
  settings.length = o.length;
  settings.headers = o.follow.file_headers;
  if (settings.retry && settings.mode == conduit::FollowMode::Descriptor)
    diag.warn("warning: --retry only effective for the initial open");

  auto name = [&](std::size_t i) {
    return paths[i] == "-" ? std::string("standard input") : paths[i];
  };
  bool polling_said = false;
  auto report = [&](const conduit::FollowEvent& e) {
    using K = conduit::FollowEventKind;
    switch (e.kind) {
      case K::OpenFailed:
        diag.error("cannot open " + quoted(name(e.file)) + " for reading", e.error);
        break;
      case K::Truncated:
        diag.warn(conduit::quote_name(name(e.file)) + ": file truncated");
        break;
      case K::Inaccessible:
        diag.warn(quoted(name(e.file)) + " has become inaccessible: " + conduit::errno_text(e.error));
        break;
      case K::Appeared:
        diag.warn(quoted(name(e.file)) + " has appeared;  following new file");
        break;
      case K::Replaced:
        diag.warn(quoted(name(e.file)) + " has been replaced;  following new file");
        break;
      case K::Gone:
        diag.error(conduit::quote_name(name(e.file)), e.error);
        break;
      case K::SameAsOutput:
        diag.error(conduit::quote_name(name(e.file)) + ": input file is output file");
        break;
      case K::NoInotify:
        if (e.file == conduit::kNoFile) {
          diag.warn("inotify cannot be used, reverting to polling: " + conduit::errno_text(e.error));
          polling_said = true;
          break;
        }
        if (e.error == ENOSPC || e.error == EMFILE) diag.warn("inotify resources exhausted");
        else diag.warn("cannot watch " + quoted(name(e.file)) + ": " + conduit::errno_text(e.error));
        if (!polling_said) diag.warn("inotify cannot be used, reverting to polling");
        polling_said = true;
        break;
    }
  };
  conduit::FollowResult r = conduit::follow(paths, STDOUT_FILENO, out, pump, settings, report,
                                            &stats);
  switch (r.end) {
    case conduit::FollowResult::End::OutputError: return r.error;
    case conduit::FollowResult::End::NoFilesRemaining: diag.error("no files remaining"); break;
    case conduit::FollowResult::End::WaitError: diag.error("waiting for changes", r.error); break;
    case conduit::FollowResult::End::PidDied:
    case conduit::FollowResult::End::Done: break;
  }
  return 0;
}

}  // namespace splice_cat
