// result: the library's one result value for whatever is not a plain number (docs/ARCHITECTURE.md,
// "Errors"): the outcome, a positive errno in `error` (0 = success) and, where strerror is not
// enough, a `reason` without program or file prefix. Functions that return a number return
// -errno instead and need none of this.
#pragma once

#include <string>
#include <utility>

namespace conduit {

// Success or failure, without a value.
struct Status {
  int error = 0;       // positive errno; 0 = success
  std::string reason;  // what went wrong, in words (may be empty: then strerror(error) says it)

  bool ok() const noexcept { return error == 0; }
  // `reason`, or strerror(error) when there is none.
  std::string message() const;

  static Status failure(int err, std::string why = {}) { return Status{err, std::move(why)}; }
};

// A value, or why there is none.
template <typename T>
struct Result : Status {
  T value{};

  Result() = default;
  Result(T v) : value(std::move(v)) {}  // NOLINT(google-explicit-constructor): `return value;`
  Result(Status failed) : Status(std::move(failed)) {}  // NOLINT: `return Status::failure(...)`
};

}  // namespace conduit
