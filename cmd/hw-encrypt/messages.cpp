// messages: see the header.
#include "messages.hpp"

#include <cerrno>

#include "conduit/crypto/format.hpp"

namespace hw_encrypt {

std::string in_our_words(const conduit::crypto::StreamResult& r) {
  using namespace conduit::crypto;
  switch (r.rule) {
    case FormatRule::None: break;
    case FormatRule::EmptyInput: return "empty input, not an hw-encrypt stream";
    case FormatRule::Magic: return "not an hw-encrypt stream (bad magic)";
    case FormatRule::Version:
      return r.message + " (this hw-encrypt reads versions " + std::to_string(kFormatVersion) + " and " +
             std::to_string(kFormatVersionContext) + ")";
    case FormatRule::ScryptParams:
      return r.message + " (hw-encrypt writes and reads r=" + std::to_string(kScryptR) +
             ", p=" + std::to_string(kScryptP) + ", N=2^" + std::to_string(kMinScryptLog2N) + "..2^" +
             std::to_string(kMaxScryptLog2N) + ")";
    case FormatRule::EmptyLastChunk: return r.message + " (hw-encrypt never writes one)";
    case FormatRule::ChunkLimit: return r.message + " (hw-encrypt never writes that many)";
    case FormatRule::RequestLimit: return r.message + ": use --backend openssl";
    case FormatRule::ContextMissing: return "the stream is bound to a context: give it with --context";
    case FormatRule::ContextGiven: return "the stream is not bound to a context (it was made without --context)";
  }
  return r.message;
}

std::string key_words(const conduit::Status& failed) {
  if (failed.error == EKEYREJECTED)
    return failed.reason + " (make a key with 'hw-encrypt keygen -o FILE', or give a passphrase with --passphrase-file)";
  return failed.message();
}

}  // namespace hw_encrypt
