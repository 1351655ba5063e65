// size: parsing byte counts with suffixes, as users type them on the command line.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace conduit {

// "4096", "64K", "1M", "2G", "1T" (powers of 1024; "KiB"/"MiB"/"GiB", "k" also accepted),
// "1KB"/"1MB"/"1GB" (powers of 1000, as GNU). Empty, negative, junk or overflow: nullopt.
std::optional<std::uint64_t> parse_size(std::string_view text);

// 1536 -> "1.5 KiB"; for human-facing meters and summaries.
std::string format_bytes(std::uint64_t bytes);

}  // namespace conduit
