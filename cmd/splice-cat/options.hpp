// options: splice-cat's command line: GNU cat's options, conduit's shared extras, and the
// cat-specific extras (--header, --header-file, --offset, --length).
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conduit/cat_format.hpp"
#include "conduit/cli.hpp"
#include "follow.hpp"

namespace splice_cat {

inline constexpr std::string_view kProg = "splice-cat";

struct Options {
  conduit::CatFormatOptions format;
  bool unbuffered = false;  // -u: accepted and ignored, as GNU cat does
  std::optional<std::string> header;       // --header TEXT, written literally
  std::optional<std::string> header_file;  // --header-file FILE
  std::optional<std::uint64_t> offset;     // --offset N of each input
  std::optional<std::uint64_t> length;     // --length N of each input
  FollowOptions follow;                    // --follow and its companions (follow.cpp)
  conduit::cli::CommonOptions common;
  std::vector<std::string> files;          // none means "-"
};

// Declares every option on `app`, bound to `options`.
void bind(CLI::App& app, Options& options);

// The --help text (GNU cat's, plus the extras), naming the command `prog` as invoked (GNU's
// usage() prints program_name).
std::string help_text(std::string_view prog);

}  // namespace splice_cat
