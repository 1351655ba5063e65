// result: the words of a failed Status (see the header).
#include "conduit/result.hpp"

#include <cstring>

namespace conduit {

std::string Status::message() const { return reason.empty() ? std::string(std::strerror(error)) : reason; }

}  // namespace conduit
