// messages: hw-encrypt's words for the library's verdicts on a stream. The library states the
// fact ("unknown format version 7") and names no program; hw-encrypt, the writer of the format,
// says what it writes and reads.
#pragma once

#include <string>

#include "conduit/crypto/stream_result.hpp"
#include "conduit/result.hpp"

namespace hw_encrypt {

// r.message, in hw-encrypt's words where r.rule is one of the format's rules.
std::string in_our_words(const conduit::crypto::StreamResult& r);

// A key loader's failure, in hw-encrypt's words: a key file that is typed text gets how to make
// a real key.
std::string key_words(const conduit::Status& failed);

}  // namespace hw_encrypt
