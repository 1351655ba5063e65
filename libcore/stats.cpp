// stats: per-path byte counters and their text and JSON summaries.
#include "conduit/stats.hpp"

#include <cstdio>

#include "conduit/size.hpp"

namespace conduit {

std::string_view to_string(Path path) noexcept {
  switch (path) {
    case Path::CopyFileRange: return "copy_file_range";
    case Path::Sendfile: return "sendfile";
    case Path::Splice: return "splice";
    case Path::SpliceBroker: return "splice_broker";
    case Path::Tee: return "tee";
    case Path::Vmsplice: return "vmsplice";
    case Path::ReadWrite: return "read_write";
  }
  return "?";
}

std::string_view to_string(Call call) noexcept {
  switch (call) {
    case Call::Splice: return "splice";
    case Call::Tee: return "tee";
    case Call::Vmsplice: return "vmsplice";
    case Call::Sendfile: return "sendfile";
    case Call::CopyFileRange: return "copy_file_range";
    case Call::Read: return "read";
    case Call::Write: return "write";
    case Call::Poll: return "poll";
  }
  return "?";
}

std::uint64_t Stats::total_bytes() const noexcept {
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < kPathCount; ++i)
    if (static_cast<Path>(i) != Path::Tee) total += bytes[i];
  return total;
}

void Stats::merge(const Stats& other) noexcept {
  for (std::size_t i = 0; i < kPathCount; ++i) bytes[i] += other.bytes[i];
  for (std::size_t i = 0; i < kCallCount; ++i) calls[i] += other.calls[i];
  fallbacks += other.fallbacks;
  waits += other.waits;
}

namespace {
std::string number(std::uint64_t n) { return std::to_string(n); }

std::string rate(std::uint64_t bytes, double seconds) {
  if (seconds <= 0) return "-";
  return format_bytes(static_cast<std::uint64_t>(static_cast<double>(bytes) / seconds)) + "/s";
}
}  // namespace

std::string format_stats_text(const Stats& stats, std::string_view prog, double seconds) {
  std::string p(prog);
  std::string out;
  out += p + ": " + number(stats.total_bytes()) + " bytes (" + format_bytes(stats.total_bytes()) +
         ") in " + format_elapsed(seconds) + " s, " + rate(stats.total_bytes(), seconds) + "\n";
  for (std::size_t i = 0; i < kPathCount; ++i) {
    if (stats.bytes[i] == 0) continue;
    char line[96];
    std::snprintf(line, sizeof line, "  %-16s %20llu bytes\n",
                  std::string(to_string(static_cast<Path>(i))).c_str(),
                  static_cast<unsigned long long>(stats.bytes[i]));
    out += p + ": " + line;
  }
  std::string calls;
  for (std::size_t i = 0; i < kCallCount; ++i) {
    if (stats.calls[i] == 0) continue;
    if (!calls.empty()) calls += ", ";
    calls += std::string(to_string(static_cast<Call>(i))) + " " + number(stats.calls[i]);
  }
  out += p + ":   syscalls: " + (calls.empty() ? "none" : calls) + "\n";
  if (stats.fallbacks > 0)
    out += p + ":   fallbacks to a slower path: " + number(stats.fallbacks) + "\n";
  if (stats.waits > 0) out += p + ":   waits for more input: " + number(stats.waits) + "\n";
  return out;
}

std::string format_stats_json(const Stats& stats, std::string_view prog, double seconds) {
  std::string out = "{\"program\":\"";
  out += prog;  // our own program names: nothing to escape
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.6f", seconds);
  out += "\",\"bytes\":" + number(stats.total_bytes()) + ",\"seconds\":" + secs + ",\"paths\":{";
  for (std::size_t i = 0; i < kPathCount; ++i) {
    if (i > 0) out += ',';
    out += "\"" + std::string(to_string(static_cast<Path>(i))) + "\":" + number(stats.bytes[i]);
  }
  out += "},\"syscalls\":{";
  for (std::size_t i = 0; i < kCallCount; ++i) {
    if (i > 0) out += ',';
    out += "\"" + std::string(to_string(static_cast<Call>(i))) + "\":" + number(stats.calls[i]);
  }
  out += "},\"fallbacks\":" + number(stats.fallbacks);
  // Only a follower waits: other commands' objects keep their keys.
  if (stats.waits > 0) out += ",\"waits\":" + number(stats.waits);
  out += "}\n";
  return out;
}

std::string format_seconds(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", seconds);
  return text;
}

std::string format_elapsed(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", seconds);
  return text;
}

}  // namespace conduit
