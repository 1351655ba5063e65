// hex: one hexadecimal digit and its value, for text that is not secret (HTTP chunk sizes,
// %XX escapes in a request target, an IV on the command line). Key material is decoded by
// crypto::decode_hex_secret instead, which makes no decision on the digits.
#pragma once

namespace conduit {

// The digit for a value 0-15 ('0'-'9', then 'a'-'f', or 'A'-'F' when `upper`).
constexpr char hex_digit(unsigned value, bool upper = false) noexcept {
  return (upper ? "0123456789ABCDEF" : "0123456789abcdef")[value & 15];
}

// 0-15 for '0'-'9', 'a'-'f', 'A'-'F'; -1 for anything else.
constexpr int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace conduit
