// options: hw-encrypt's --help text and option binding. Keys and passphrases are never option
// values (they would show in ps); options only name files or descriptors that hold them.
#include "options.hpp"

#include <charconv>

namespace hw_encrypt {

const std::string_view kHelpText =
    "Usage: hw-encrypt [-e|-d] [OPTION]... [IN [OUT]]\n"
    "  or:  hw-encrypt keygen [--hex] [-o FILE]\n"
    "  or:  hw-encrypt --raw --cipher NAME --key-hex-file FILE --iv HEX|random [-d] [IN [OUT]]\n"
    "Encrypt (default) or decrypt IN to OUT with AES-256-GCM in 64 KiB authenticated chunks.\n"
    "IN and OUT default to standard input and output ('-'). A regular file OUT is replaced\n"
    "only on success, keeping its mode (through a temporary file beside it); a device,\n"
    "FIFO or /dev/stdout is written in place, like standard output. A regular file IN is\n"
    "mapped rather than copied by read(2); if it shrinks meanwhile, its input ends there.\n"
    "\n"
    "  -e, --encrypt            encrypt (the default)\n"
    "  -d, --decrypt            decrypt and verify; only verified data is written, and the\n"
    "                             exit status says whether the WHOLE stream verified\n"
    "  -k, --key-file FILE      key: 32 raw bytes or 64 hex digits\n"
    "      --key-fd N           read the key from file descriptor N\n"
    "      --passphrase-file FILE  passphrase: the first line of FILE\n"
    "      --passphrase-fd N    read the passphrase from file descriptor N\n"
    "                           (with no key or passphrase option, ask on the terminal)\n"
    "      --context STRING     bind the stream to STRING (a file name, a date...): it\n"
    "                             decrypts only with the same --context\n"
    "      --scrypt-work N      scrypt cost 2^N for a new passphrase stream (15-20; default 18)\n"
    "  -q, --quiet              no warnings (raw mode, weak passphrases, key file modes)\n"
    "      --whole              all or nothing: verify the whole stream into an unnamed\n"
    "                             file in $TMPDIR first, then copy it to standard output\n"
    "                             (or a device or FIFO OUT); on any failure nothing is written\n"
    "  -t, --threads N          threads computing (default: the CPUs available, less one\n"
    "                           for each of IN and OUT that is a pipe; at least 1)\n"
    "      --backend NAME       auto (default), openssl or kernel (AF_ALG)\n"
    "      --list-backends      show the backends and drivers this machine offers, and exit\n"
    "\n"
    "Raw mode (no header and NO INTEGRITY PROTECTION; compatible with 'openssl enc -K -iv'):\n"
    "      --raw                plain CTR or CBC, byte-identical to openssl enc\n"
    "      --cipher NAME        aes-128-ctr, aes-256-ctr (default), aes-128-cbc, aes-256-cbc\n"
    "      --key-hex-file FILE  the key as hex digits (32 or 64)\n"
    "      --iv HEX|random      the IV or initial counter block, 32 hex digits; 'random'\n"
    "                             (encryption) draws a fresh one and prints it on stderr\n"
    "      --iv-out FILE        with --iv random: write the IV to FILE instead\n"
    "      --nopad              CBC without PKCS#7 padding (openssl enc -nopad)\n"
    "\n"
    "Shared options:\n"
    "      --pipe-size SIZE     grow the input and output pipes toward SIZE (default: sized to\n"
    "                           the work, at most 256K)\n"
    "      --no-splice          never splice input into the backend (kernel backend)\n"
    "      --progress           show a progress meter on stderr\n"
    "      --stats[=FORMAT]     report bytes and system calls on stderr (text or json)\n"
    "\n"
    "keygen writes 32 random bytes (--hex: 64 hex digits) to FILE (mode 0600, never\n"
    "overwriting) or to standard output.\n"
    "\n"
    "      --help               display this help and exit\n"
    "      --version            output version information and exit\n"
    "\n"
    "Exit status: 0 success; 1 usage, I/O or key error; 2 the input is not an authentic\n"
    "stream for this key (wrong key, modified, truncated, reordered or extended).\n"
    "Full documentation: man hw-encrypt\n";

namespace {
// A file descriptor number: 0 to INT_MAX. (CLI::NonNegativeNumber's message quoted DBL_MAX in
// full, three hundred digits.)
CLI::Validator fd_number() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        int fd = -1;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), fd);
        if (ec != std::errc{} || end != text.data() + text.size() || fd < 0)
          return "invalid file descriptor '" + text + "'";
        return "";
      },
      "N");
}
}  // namespace

void bind(CLI::App& app, Options& o) {
  auto* enc = app.add_flag("-e,--encrypt", o.encrypt);
  auto* dec = app.add_flag("-d,--decrypt", o.decrypt);
  enc->excludes(dec);
  // Options whose value is checked are checked where they stand, so the first bad value on the
  // command line is the one reported, and a repeated one's last value wins (conduit::cli::parse).
  app.add_flag("--whole", o.whole);
  auto* key_file = app.add_option("-k,--key-file", o.key_file)->type_name("FILE");
  auto* key_fd = app.add_option("--key-fd", o.key_fd)
                     ->type_name("N")
                     ->check(fd_number())
                     ->trigger_on_parse();
  auto* pass_file = app.add_option("--passphrase-file", o.passphrase_file)->type_name("FILE");
  auto* pass_fd = app.add_option("--passphrase-fd", o.passphrase_fd)
                      ->type_name("N")
                      ->check(fd_number())
                      ->trigger_on_parse();
  key_file->excludes(key_fd)->excludes(pass_file)->excludes(pass_fd);
  key_fd->excludes(pass_file)->excludes(pass_fd);
  pass_file->excludes(pass_fd);
  app.add_option("--context", o.context)->type_name("STRING");
  app.add_option("--scrypt-work", o.scrypt_log2_n)
      ->type_name("N")
      ->check(CLI::Range(15, 20))
      ->trigger_on_parse();
  app.add_option("-t,--threads", o.threads)
      ->type_name("N")
      ->check(CLI::Range(1, 1024))
      ->trigger_on_parse();
  app.add_option("--backend", o.backend)
      ->type_name("NAME")
      ->check(CLI::IsMember({"auto", "openssl", "kernel"}))
      ->trigger_on_parse();
  app.add_flag("--list-backends", o.list_backends);
  app.add_flag("--raw", o.raw);
  app.add_option("--cipher", o.cipher)
      ->type_name("NAME")
      ->check(CLI::IsMember({"aes-128-ctr", "aes-256-ctr", "aes-128-cbc", "aes-256-cbc"}))
      ->trigger_on_parse();
  app.add_option("--key-hex-file", o.key_hex_file)->type_name("FILE");
  app.add_option("--iv", o.iv)->type_name("HEX");
  app.add_option("--iv-out", o.iv_out)->type_name("FILE");
  app.add_flag("-q,--quiet", o.quiet);
  app.add_flag("--nopad", o.nopad);
  conduit::cli::add_common_options(app, o.common);
  app.add_option("IN", o.in);
  app.add_option("OUT", o.out);

  auto* keygen = app.add_subcommand("keygen", "write a new random key");
  keygen->add_option("-o,--output", o.keygen_out)->type_name("FILE");
  keygen->add_flag("--hex", o.keygen_hex);
  keygen->callback([&o] { o.keygen = true; });
  app.require_subcommand(0, 1);
}

std::string check(const Options& o) {
  bool any_key = !o.key_file.empty() || o.key_fd || !o.passphrase_file.empty() || o.passphrase_fd;
  if (o.context && o.context->empty()) return "--context needs a non-empty STRING";
  if (o.context && (o.raw || o.keygen)) return "--context applies to streams only (not --raw or keygen)";
  if (o.raw) {
    if (any_key) return "--raw takes its key from --key-hex-file only";
    if (o.key_hex_file.empty()) return "--raw needs --key-hex-file FILE";
    if (o.iv.empty()) return "--raw needs --iv HEX";
    if (o.nopad && o.cipher.find("cbc") == std::string::npos)
      return "--nopad applies to CBC ciphers only";
    if (o.iv == "random" && o.decrypt)
      return "--iv random is for encryption: decrypting needs the IV the encryption used";
    if (!o.iv_out.empty() && o.iv != "random") return "--iv-out needs --iv random";
  } else {
    if (!o.key_hex_file.empty() || !o.iv.empty() || !o.iv_out.empty() || o.nopad)
      return "--key-hex-file, --iv, --iv-out and --nopad need --raw";
    if (!o.cipher.empty()) return "--cipher needs --raw (streams are always aes-256-gcm)";
  }
  if (o.keygen && (o.raw || any_key || o.decrypt))
    return "keygen takes no key, --raw or --decrypt options";
  return "";
}

}  // namespace hw_encrypt
