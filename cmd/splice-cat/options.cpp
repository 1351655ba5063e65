// options: binds splice-cat's options to CLI11 and holds the --help text (written once, here;
// the extras block comes from conduit::cli::extras_help).
#include "options.hpp"

#include "conduit/quote.hpp"
#include "conduit/size.hpp"

namespace splice_cat {

std::string help_text(std::string_view prog) {
  const std::string name(prog);
  return "Usage: " + name + " [OPTION]... [FILE]...\n" +
         std::string(
             "Concatenate FILE(s) to standard output, moving pages with splice(2) where it can.\n"
             "\n"
             "With no FILE, or when FILE is -, read standard input.\n"
             "\n"
             "  -A, --show-all           equivalent to -vET\n"
             "  -b, --number-nonblank    number nonempty output lines, overrides -n\n"
             "  -e                       equivalent to -vE\n"
             "  -E, --show-ends          display $ at end of each line\n"
             "  -n, --number             number all output lines\n"
             "  -s, --squeeze-blank      suppress repeated empty output lines\n"
             "  -t                       equivalent to -vT\n"
             "  -T, --show-tabs          display TAB characters as ^I\n"
             "  -u                       (ignored)\n"
             "  -v, --show-nonprinting   use ^ and M- notation, except for LFD and TAB\n") +
         follow_help_text() +
         conduit::cli::extras_help(
             "cat", 27,
             {{"--header=TEXT", "write TEXT (literally, no newline added) before the first input"},
              {"--header-file=FILE", "write FILE's contents before the first input"},
              {"--offset=N", "start each input N bytes in (K, M, G suffixes)"},
              {"--length=N", "copy at most N bytes of each input (K, M, G suffixes)"}}) +
         "\n"
         "Examples:\n"
         "  " + name + " f - g  Output f's contents, then standard input, then g's contents.\n"
         "  " + name + "        Copy standard input to standard output.\n"
         "\n"
         "See splice-cat(1) for how the extras combine with each other and with -n, -v ...\n";
}

namespace {

// A byte count option: parse_size() with the option's name in the error.
CLI::Option* add_size(CLI::App& app, const std::string& name, std::optional<std::uint64_t>& to,
                      const std::string& what) {
  return app
      .add_option_function<std::string>(
          name,
          [&to, name](const std::string& text) {
            auto size = conduit::parse_size(text);
            if (!size) throw CLI::ValidationError("invalid " + name.substr(2) + ": " + conduit::quote_arg(text));
            to = *size;
          },
          what)
      ->type_name("N")
      ->trigger_on_parse();  // a bad N is reported in command-line order (conduit::cli::parse)
}

}  // namespace

void bind(CLI::App& app, Options& o) {
  conduit::CatFormatOptions& f = o.format;
  // GNU cat's order: getopt lists an ambiguous prefix's possibilities in this order.
  app.add_flag("-b,--number-nonblank", f.number_nonblank);
  app.add_flag("-n,--number", f.number);
  app.add_flag("-s,--squeeze-blank", f.squeeze_blank);
  app.add_flag("-v,--show-nonprinting", f.show_nonprinting);
  app.add_flag("-E,--show-ends", f.show_ends);
  app.add_flag("-T,--show-tabs", f.show_tabs);
  app.add_flag_callback("-A,--show-all", [&f] {
    f.show_nonprinting = f.show_ends = f.show_tabs = true;
  });
  app.add_flag_callback("-e", [&f] { f.show_nonprinting = f.show_ends = true; });
  app.add_flag_callback("-t", [&f] { f.show_nonprinting = f.show_tabs = true; });
  app.add_flag("-u", o.unbuffered);
  conduit::cli::mark_gnu_options(app);  // GNU's abbreviations win over the extras below

  auto* header = app.add_option("--header", o.header, "text written before the first input")
                     ->type_name("TEXT");
  auto* header_file =
      app.add_option("--header-file", o.header_file, "file written before the first input")
          ->type_name("FILE");
  header->excludes(header_file);
  add_size(app, "--offset", o.offset, "start each input N bytes in");
  add_size(app, "--length", o.length, "copy at most N bytes of each input");
  bind_follow(app, o.follow);
  conduit::cli::add_common_options(app, o.common);

  app.add_option("files", o.files)->type_name("FILE");
  app.allow_extras(false);
}

}  // namespace splice_cat
