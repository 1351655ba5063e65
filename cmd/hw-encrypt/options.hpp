// options: hw-encrypt's options, its --help text (written once, here) and their CLI11 binding.
#pragma once

#include <CLI/CLI.hpp>

#include "conduit/cli.hpp"
#include "conduit/diag.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace hw_encrypt {

// The name messages use: the one it was invoked under (conduit::init_program in main).
inline const std::string_view& kProg = conduit::program_name();

// Exit statuses (hw-encrypt(1), EXIT STATUS).
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;     // usage, I/O, keys, backend
inline constexpr int kExitRejected = 2;  // the input is not an authentic stream for this key

struct Options {
  bool encrypt = false;
  bool decrypt = false;
  std::string in = "-";
  std::string out = "-";
  bool quiet = false;  // -q: no warnings
  bool whole = false;  // --whole: nothing reaches an in-place OUT unless the whole run succeeded

  std::string key_file;
  std::optional<int> key_fd;
  std::string passphrase_file;
  std::optional<int> passphrase_fd;
  unsigned scrypt_log2_n = 18;
  std::optional<std::string> context;  // --context: bind the stream to this string

  unsigned threads = 0;  // 0: the CPUs available
  std::string backend = "auto";
  bool list_backends = false;

  bool raw = false;
  std::string cipher;  // --raw: default aes-256-ctr
  std::string key_hex_file;
  std::string iv;      // 32 hex digits, or "random" (encryption: drawn and reported)
  std::string iv_out;  // --iv random: write the IV here instead of standard error
  bool nopad = false;

  conduit::cli::CommonOptions common;  // --pipe-size, --no-splice, --progress, --stats

  // keygen subcommand
  bool keygen = false;
  std::string keygen_out;
  bool keygen_hex = false;
};

extern const std::string_view kHelpText;

// Binds every option to `options`; `keygen` becomes a subcommand.
void bind(CLI::App& app, Options& options);

// Option combinations CLI11 cannot check; returns an error message or "".
std::string check(const Options& options);

}  // namespace hw_encrypt
