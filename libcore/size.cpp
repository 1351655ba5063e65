// size: byte counts with K/M/G suffixes.
#include "conduit/size.hpp"

#include <array>
#include <cstdio>

namespace conduit {

std::optional<std::uint64_t> parse_size(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::uint64_t value = 0;
  size_t i = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    std::uint64_t digit = static_cast<std::uint64_t>(text[i] - '0');
    if (value > (UINT64_MAX - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  if (i == 0) return std::nullopt;
  std::string_view suffix = text.substr(i);
  if (suffix.empty()) return value;

  static constexpr std::string_view kLetters = "KMGTPE";
  char letter = suffix[0] == 'k' ? 'K' : suffix[0];
  size_t power = kLetters.find(letter);
  if (power == std::string_view::npos) return std::nullopt;
  std::string_view rest = suffix.substr(1);
  std::uint64_t base;
  if (rest.empty() || rest == "iB") base = 1024;
  else if (rest == "B") base = 1000;
  else return std::nullopt;

  for (size_t p = 0; p <= power; ++p) {
    if (value > UINT64_MAX / base) return std::nullopt;
    value *= base;
  }
  return value;
}

std::string format_bytes(std::uint64_t bytes) {
  static constexpr std::array<const char*, 6> kUnits = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = static_cast<double>(bytes);
  size_t unit = 0;
  while (v >= 1024.0 && unit + 1 < kUnits.size()) {
    v /= 1024.0;
    ++unit;
  }
  char buf[32];
  if (unit == 0) std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  else std::snprintf(buf, sizeof buf, "%.1f %s", v, kUnits[unit]);
  return buf;
}

}  // namespace conduit
