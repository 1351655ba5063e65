// run: encrypt or decrypt the authenticated stream format, and the shared plumbing of the modes.
//
// Order matters for the user: option and key problems are reported before any I/O; when
// decrypting, the header is read first (so "not an hw-encrypt stream" comes before a passphrase
// prompt, and the header says whether a key or a passphrase is needed).
#include "run.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <optional>

#include "conduit/crypto/backend.hpp"
#include "conduit/crypto/keys.hpp"
#include "conduit/crypto/stream.hpp"
#include "conduit/diag.hpp"
#include "conduit/pipe.hpp"
#include "conduit/sigbus_guard.hpp"
#include "conduit/sigpipe.hpp"
#include "conduit/stats.hpp"
#include "messages.hpp"
#include "output.hpp"
#include "threads.hpp"

namespace hw_encrypt {

using namespace conduit::crypto;

void error(const std::string& message) {
  conduit::Diag diag{std::string(kProg)};
  diag.error(message);
}

void write_failed(int err, const std::string& message, bool to_stdout, const std::string& out_name) {
  if (err == EPIPE && conduit::sigpipe_fatal()) conduit::raise_sigpipe();
  error((to_stdout ? std::string("write error") : out_name) + ": " + message);
}

void warn(const std::string& message) {
  conduit::Diag diag{std::string(kProg)};
  diag.warn("warning: " + message);
}

std::string input_name(const std::string& path) {
  return path == "-" ? "standard input" : conduit::quote_name(path);
}

bool open_input(const std::string& path, conduit::Fd& owner, int& fd) {
  if (path == "-") {
    fd = STDIN_FILENO;
    return true;
  }
  int f = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (f < 0) {
    error(input_name(path) + ": " + conduit::errno_text(errno));
    return false;
  }
  owner.reset(f);
  fd = f;
  return true;
}

// Standard input and output (and named FIFOs) are the pipeline's pipes, not ours: sized to the
// work and capped like splice-cat's and xtee's (conduit::shared_pipe_target, docs/ARCHITECTURE.md).
// 256 KiB measured as fast as 1 MiB here (docs/benchmarks.md, session 6).
void grow_pipes(const Options& options, int in_fd, int out_fd) {
  std::optional<std::uint64_t> input_bytes;
  struct stat st {};
  if (::fstat(in_fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
    input_bytes = static_cast<std::uint64_t>(st.st_size);
  std::size_t target = conduit::shared_pipe_target(input_bytes, options.common.pipe_size,
                                                   options.common.pipe_size_given);
  if (target == 0) return;
  conduit::grow_pipe(in_fd, target);
  conduit::grow_pipe(out_fd, target);
}

Report::Report(const Options& options, int in_fd)
    : options_(options), start_(std::chrono::steady_clock::now()) {
  if (!options.common.progress) return;
  std::optional<std::uint64_t> total;
  conduit::FdInfo info;
  if (conduit::classify(in_fd, info) == 0 && info.kind == conduit::FdKind::Regular && info.size > 0)
    total = static_cast<std::uint64_t>(info.size);
  meter_ = std::make_unique<conduit::Progress>(std::string(kProg), total);
}

std::function<void(std::uint64_t)> Report::progress() {
  if (!meter_) return {};
  return [m = meter_.get()](std::uint64_t n) { m->advance(n); };
}

void Report::finish(const StreamResult& r) {
  if (meter_) meter_->finish();
  if (options_.common.stats == conduit::cli::StatsFormat::None) return;
  conduit::Stats stats;
  stats.add(conduit::Path::ReadWrite, r.bytes_out);
  if (r.spliced_bytes > 0) stats.add(conduit::Path::Splice, r.spliced_bytes);
  stats.count(conduit::Call::Read, r.read_calls);
  stats.count(conduit::Call::Write, r.write_calls);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  conduit::cli::report_stats(options_.common.stats, stats, kProg, seconds);
}

namespace {

constexpr std::size_t kMinPassphraseChars = 12;

// Loads what the options name; when they name nothing, asks on the terminal if `allow_prompt`.
// `want` is the kind the stream needs (decryption) or nullopt (encryption: a prompt confirms).
bool load_credentials(const Options& o, std::optional<KeySource> want, Secret& secret,
                      KeySource& source) {
  conduit::Status loaded;
  if (!o.key_file.empty()) {
    source = KeySource::Key;
    loaded = load_key_file(o.key_file, secret);
  } else if (o.key_fd) {
    source = KeySource::Key;
    loaded = load_key_fd(*o.key_fd, secret);
  } else if (!o.passphrase_file.empty()) {
    source = KeySource::Passphrase;
    loaded = load_passphrase_file(o.passphrase_file, secret);
  } else if (o.passphrase_fd) {
    source = KeySource::Passphrase;
    loaded = load_passphrase_fd(*o.passphrase_fd, secret);
  } else if (want && *want == KeySource::Key) {
    loaded = conduit::Status::failure(EINVAL, "this stream was encrypted with a key: give -k FILE or --key-fd N");
  } else {
    source = KeySource::Passphrase;
    loaded = prompt_passphrase(!want.has_value(), secret);
  }
  if (!loaded.ok()) {
    error(key_words(loaded));
    return false;
  }
  if (!o.quiet) {
    std::string exposed = !o.key_file.empty()
                              ? secret_file_warning(o.key_file, "key file")
                              : !o.passphrase_file.empty()
                                    ? secret_file_warning(o.passphrase_file, "passphrase file")
                                    : "";
    if (!exposed.empty()) warn(exposed);
  }
  if (!want && source == KeySource::Passphrase && !o.quiet) {
    // Characters, not bytes: UTF-8 continuation bytes do not count.
    std::size_t chars = 0;
    for (std::uint8_t b : secret.span()) chars += (b & 0xC0) != 0x80 ? 1 : 0;
    if (chars < kMinPassphraseChars)
      warn("the passphrase has fewer than " + std::to_string(kMinPassphraseChars) +
           " characters: it can be guessed; prefer a long one, or a key (hw-encrypt keygen)");
  }
  return true;
}

std::unique_ptr<Backend> pick_backend(const Options& o) {
  auto backend = select_backend(*parse_backend_choice(o.backend), Algorithm::Aes256Gcm);
  if (!backend.ok()) error(backend.message());
  return std::move(backend.value);
}

int run_stream(const Options& o) {
  auto backend = pick_backend(o);
  if (!backend) return kExitError;
  StreamOptions so;
  so.backend = backend.get();
  so.scrypt.log2_n = static_cast<std::uint8_t>(o.scrypt_log2_n);

  conduit::Fd in_owner;
  int in_fd = -1;
  const std::string in_name = input_name(o.in);
  Secret secret;
  Credentials cred;
  Header header;
  StreamResult header_read;

  if (o.decrypt) {
    if (!open_input(o.in, in_owner, in_fd)) return kExitError;
    header_read = read_stream_header(in_fd, header);
    if (!header_read.ok()) {
      return report_failure(header_read, in_name, false, "");
    }
    if (!load_credentials(o, header.source, secret, cred.source)) return kExitError;
  } else {
    if (o.out == "-" && ::isatty(STDOUT_FILENO) == 1) {
      error("refusing to write ciphertext to a terminal");
      return kExitError;
    }
    if (!load_credentials(o, std::nullopt, secret, cred.source)) return kExitError;
    if (!open_input(o.in, in_owner, in_fd)) return kExitError;
  }
  cred.secret = &secret;
  cred.context = o.context.value_or("");

  conduit::AtomicOutput out;
  if (!open_output(o, out)) return kExitError;
  grow_pipes(o, in_fd, out.fd());
  Report report(o, in_fd);
  so.threads = o.threads != 0 ? o.threads : default_threads(in_fd, out.fd());
  so.progress = report.progress();
  so.allow_splice = !o.common.no_splice;
  // A regular-file input is read through a mapping (no copy from the page cache); the guard
  // makes a file that shrinks meanwhile an earlier end of input, as read(2) would, instead of a
  // death by SIGBUS inside the cipher. Without it (sigaction failed), read(2).
  so.map_input = conduit::install_sigbus_guard() == 0;
  StreamResult r = o.decrypt ? decrypt_stream(in_fd, out.fd(), header, cred, so)
                             : encrypt_stream(in_fd, out.fd(), cred, so);
  secret.wipe();
  report.finish(r);
  return finish_output(out, r, in_name);
}

}  // namespace

int run(const Options& o) {
  if (o.list_backends) {
    std::string text = list_backends_text();
    std::fwrite(text.data(), 1, text.size(), stdout);
    return std::fflush(stdout) == 0 ? kExitOk : kExitError;
  }
  // From here on keys are held: no core dumps, no ptrace by the same user.
  protect_process_secrets();
  if (o.keygen) return run_keygen(o);
  if (o.raw) return run_raw(o);
  return run_stream(o);
}

}  // namespace hw_encrypt
