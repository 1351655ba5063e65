// stream_result: how an encryption or decryption run ended, as a value the command turns into a
// message and an exit status. Statuses after InputRejected say the input is not an authentic
// stream for this key; the ones before it are the machine's fault (I/O, memory, cipher).
#pragma once

#include <cstdint>
#include <string>

namespace conduit::crypto {

enum class StreamStatus : std::uint8_t {
  Ok,
  ReadError,    // err = errno of the failed read
  WriteError,   // err = errno of the failed write
  CipherError,  // err = errno from the backend (not an authentication failure)
  // --- the input was rejected ---
  InputRejected,
  NotThisFormat,     // bad magic, or shorter than a header
  BadHeader,         // unknown version / algorithm / parameters
  KeyKindMismatch,   // passphrase stream given a key, or the reverse
  WrongKey,          // header MAC failed under the key
  WrongPassphrase,   // header MAC failed under the passphrase
  ModifiedChunk,     // a chunk failed authentication
  OutOfOrder,        // a chunk authenticates, but at another position
  Truncated,         // the stream ends before its last chunk
  TrailingData,      // bytes after the last chunk
  NonCanonical,      // authentic, but not as a writer writes it (an empty last chunk after
                     // others, more chunks than the limit)
};

// A rule of the format that the input broke (or a context binding the credentials did not
// match), for the failures a program explains by what it writes and reads (the library names no
// program: `message` states the fact, and a program that writes the format adds its own words,
// as hw-encrypt does).
enum class FormatRule : std::uint8_t {
  None,
  EmptyInput,      // NotThisFormat: nothing at all
  Magic,           // NotThisFormat: the magic is wrong
  Version,         // BadHeader: a version other than kFormatVersion / kFormatVersionContext
  ScryptParams,    // BadHeader: scrypt parameters other than r=kScryptR, p=kScryptP, N in range
  EmptyLastChunk,  // NonCanonical: an empty last chunk after full ones (never written)
  ChunkLimit,      // NonCanonical: more chunks than the limit (never written)
  RequestLimit,    // CipherError (EMSGSIZE): chunks larger than the backend takes in one request
  ContextMissing,  // KeyKindMismatch: the stream is bound to a context and none was given
  ContextGiven,    // KeyKindMismatch: a context was given for a stream bound to none
};

struct StreamResult {
  StreamStatus status = StreamStatus::Ok;
  FormatRule rule = FormatRule::None;
  int err = 0;          // positive errno for ReadError / WriteError / CipherError
  std::string message;  // what went wrong, without program or file prefix
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  // For --stats: system calls made on the data path, and payload bytes that went into the
  // backend by splice (the rest was read into memory).
  std::uint64_t read_calls = 0;
  std::uint64_t write_calls = 0;
  std::uint64_t spliced_bytes = 0;

  bool ok() const noexcept { return status == StreamStatus::Ok; }
  bool rejected() const noexcept { return status > StreamStatus::InputRejected; }

  static StreamResult failure(StreamStatus status, std::string message, int err = 0) {
    StreamResult r;
    r.status = status;
    r.err = err;
    r.message = std::move(message);
    return r;
  }
  static StreamResult broken(StreamStatus status, FormatRule rule, std::string message) {
    StreamResult r = failure(status, std::move(message));
    r.rule = rule;
    return r;
  }
};

}  // namespace conduit::crypto
