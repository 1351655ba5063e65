// net/tls_errors: OpenSSL's error queue in words for messages.
#include "tls_errors.hpp"

#include <openssl/err.h>

namespace conduit::net::tls {

std::string openssl_reason() {
  unsigned long code = ERR_peek_last_error();
  std::string reason;
  if (code != 0) {
    const char* text = ERR_reason_error_string(code);
    reason = text ? text : "error " + std::to_string(ERR_GET_REASON(code));
  } else {
    reason = "unknown error";
  }
  ERR_clear_error();
  return reason;
}

}  // namespace conduit::net::tls
