// net/http_error_page: the short HTML body of an error response, as nginx writes one, so that a
// browser shows what went wrong instead of an empty page (RFC 9110 15.5: a server SHOULD send
// a representation explaining the error).
#pragma once

#include <string>
#include <string_view>

namespace conduit::net::http {

// "<html>...<h1>404 Not Found</h1>...<center>SERVER</center>...</html>" (no server line when
// `server` is empty). Served as text/html; its size is the response's Content-Length.
std::string error_page(int status, std::string_view server);

inline constexpr std::string_view kErrorPageType = "text/html";

}  // namespace conduit::net::http
