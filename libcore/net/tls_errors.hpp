// net/tls_errors (private): OpenSSL's error queue in words for messages.
#pragma once

#include <string>

namespace conduit::net::tls {

// The reason of the most recent error in OpenSSL's queue ("wrong version number"), or
// "unknown error" when the queue is empty; the queue is cleared.
std::string openssl_reason();

}  // namespace conduit::net::tls
