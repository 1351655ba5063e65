// net/http_error_page: nginx's error page layout (CRLF lines, title and heading the status).
#include "conduit/net/http_error_page.hpp"

#include "conduit/net/http.hpp"

namespace conduit::net::http {

std::string error_page(int status, std::string_view server) {
  std::string title = std::to_string(status) + " " + std::string(reason_phrase(status));
  std::string page = "<html>\r\n<head><title>" + title + "</title></head>\r\n<body>\r\n<center><h1>" + title +
                     "</h1></center>\r\n";
  if (!server.empty()) {
    page += "<hr><center>";
    page += server;  // the program's own name: nothing from a client goes into the page
    page += "</center>\r\n";
  }
  page += "</body>\r\n</html>\r\n";
  return page;
}

}  // namespace conduit::net::http
