// cat_format and cat_copy: the library's GNU cat formatter checked byte for byte against GNU cat
// itself (/usr/bin/cat, the oracle) on generated inputs, fed in chunks of every size and split
// into several inputs so that the state carried across reads and files is exercised; and the
// per-input rules of cat_copy (same file, stream offsets, planned totals, the formatted copy).
#include "conduit/cat_format.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "conduit/cat_copy.hpp"
#include "conduit/pipe.hpp"
#include "conduit/pump.hpp"
#include "conduit/sys.hpp"
#include "test_util.hpp"

namespace conduit {
namespace {

using testutil::TempFile;

// GNU cat's output for `flags` over the files holding `parts`, in order.
std::string gnu_cat(const std::string& flags, const std::vector<std::string>& parts) {
  std::vector<std::unique_ptr<TempFile>> files;
  std::string cmd = "cat " + flags;
  for (const std::string& part : parts) {
    files.push_back(std::make_unique<TempFile>(part));
    cmd += " '" + files.back()->path() + "'";
  }
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return "popen failed";
  char buf[65536];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  ::pclose(p);
  return out;
}

CatFormatOptions options_for(const std::string& flags) {
  CatFormatOptions o;
  for (char c : flags) {
    switch (c) {
      case 'n': o.number = true; break;
      case 'b': o.number_nonblank = true; break;
      case 's': o.squeeze_blank = true; break;
      case 'v': o.show_nonprinting = true; break;
      case 'E': o.show_ends = true; break;
      case 'T': o.show_tabs = true; break;
      case 'A': o.show_nonprinting = o.show_ends = o.show_tabs = true; break;
      case 'e': o.show_nonprinting = o.show_ends = true; break;
      case 't': o.show_nonprinting = o.show_tabs = true; break;
      default: break;
    }
  }
  return o;
}

// The formatter's output for `parts` (one formatter for all, as for one cat run), each part fed
// in pieces of `step` bytes.
std::string formatted(const CatFormatOptions& options, const std::vector<std::string>& parts,
                      std::size_t step) {
  CatFormatter f(options);
  std::string out;
  for (const std::string& part : parts) {
    for (std::size_t at = 0; at < part.size();) {
      std::span<const char> piece(part.data() + at, std::min(step, part.size() - at));
      while (!piece.empty()) {
        std::size_t took = f.format(piece);
        piece = piece.subspan(took);
        at += took;
        out.append(f.output().data(), f.output().size());
        f.clear_output();
      }
    }
  }
  f.finish();
  out.append(f.output().data(), f.output().size());
  return out;
}

// Bytes with what cat's options care about, often: newlines (runs of them: empty lines),
// "\r\n", lone '\r' at the end of a part, TABs, control bytes, DEL, high bytes.
std::string cat_food(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  static const char kPicks[] = {'\n', '\n', '\n', '\r', '\t', '\0', 0x1b, 0x7f,
                                '\x80', '\x89', '\x8a', '\xff', 'a', ' ', '~', 'Z'};
  std::string s;
  while (s.size() < n) {
    unsigned r = rng() % 10;
    if (r < 5) s += kPicks[rng() % sizeof kPicks];
    else if (r < 6) s += "\r\n";
    else s.append(rng() % 20, static_cast<char>('A' + rng() % 26));
  }
  s.resize(n);
  return s;
}

const char* const kFlagSets[] = {"-n", "-b", "-s", "-v", "-E", "-T", "-A", "-e", "-t",
                                 "-ET", "-sn", "-sb", "-nbs", "-nE", "-bA", "-snET", "-vT"};

TEST(CatFormatter, MatchesGnuCatForEveryOptionAcrossReadsAndFiles) {
  // Parts end anywhere: in a line, on '\r' (the "\r\n" split across files), after empty lines.
  std::vector<std::string> parts = {cat_food(5000, 1), "\r", "\n\n\n", cat_food(3000, 2) + "\r",
                                    "\nlast line without newline\r"};
  for (const char* flags : kFlagSets) {
    std::string want = gnu_cat(flags, parts);
    ASSERT_FALSE(want.empty()) << flags;
    for (std::size_t step : {std::size_t{1}, std::size_t{7}, std::size_t{4096}, std::size_t{1} << 20})
      EXPECT_EQ(formatted(options_for(flags + 1), parts, step), want) << flags << " step " << step;
  }
}

TEST(CatFormatter, EveryByteValueAsGnuCatShowsIt) {
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  for (const char* flags : {"-v", "-A", "-t", "-e", "-T", "-E"})
    EXPECT_EQ(formatted(options_for(flags + 1), {all, all}, 3), gnu_cat(flags, {all, all})) << flags;
}

TEST(CatFormatter, LineNumbersWiderThanSixDigits) {
  std::string lines(1'000'005, '\n');
  lines += "x";
  EXPECT_EQ(formatted(options_for("n"), {lines}, CatFormatter::kChunk), gnu_cat("-n", {lines}));
}

TEST(CatFormatter, TakesLessWhenItsOutputIsFull) {
  // Without clear_output() between calls the formatter stops taking input rather than overflow.
  CatFormatter f(options_for("A"));
  std::string in(CatFormatter::kChunk, '\x01');  // 2 output bytes per input byte
  std::size_t taken = 0;
  for (int i = 0; i < 30; ++i) taken += f.format(in);
  EXPECT_LT(taken, 30 * in.size());
  EXPECT_EQ(f.output().size(), 2 * taken);
}

TEST(CatCopy, InputIsOutputOnlyBeforeTheEndOfTheSameFile) {
  TempFile file("0123456789");
  Fd in = file.open(O_RDONLY);
  Fd out = file.open(O_WRONLY | O_APPEND);
  TempFile other("x");
  Fd other_in = other.open(O_RDONLY);
  FdInfo in_info, out_info, other_info;
  ASSERT_EQ(classify(in.get(), in_info), 0);
  ASSERT_EQ(classify(out.get(), out_info), 0);
  ASSERT_EQ(classify(other_in.get(), other_info), 0);
  EXPECT_TRUE(input_is_output(in.get(), in_info, out_info, {}));
  EXPECT_TRUE(input_is_output(in.get(), in_info, out_info, Range{9, std::nullopt}));
  EXPECT_FALSE(input_is_output(in.get(), in_info, out_info, Range{10, std::nullopt}));
  EXPECT_FALSE(input_is_output(other_in.get(), other_info, out_info, {}));
  ASSERT_EQ(::lseek(in.get(), 10, SEEK_SET), 10);  // read on from its end: nothing to repeat
  EXPECT_FALSE(input_is_output(in.get(), in_info, out_info, {}));
  Pipe p;
  ASSERT_EQ(p.open(), 0);
  FdInfo pipe_info;
  ASSERT_EQ(classify(p.write_fd(), pipe_info), 0);
  EXPECT_FALSE(input_is_output(in.get(), in_info, pipe_info, Range{0, std::nullopt}));
}

TEST(CatCopy, PositionStreamMovesASeekableInputAndKeepsAPipesOffset) {
  TempFile file("0123456789");
  Fd in = file.open(O_RDONLY);
  ASSERT_EQ(::lseek(in.get(), 2, SEEK_SET), 2);
  FdInfo info;
  ASSERT_EQ(classify(in.get(), info), 0);
  Range range{3, 4};
  ASSERT_EQ(position_stream(in.get(), info, range), 0);
  EXPECT_FALSE(range.offset);
  EXPECT_EQ(range.length, 4u);
  EXPECT_EQ(::lseek(in.get(), 0, SEEK_CUR), 5);
  // Beyond what a position can hold: moved to the end, nothing left to read.
  Range far{UINT64_MAX - 1, std::nullopt};
  ASSERT_EQ(position_stream(in.get(), info, far), 0);
  EXPECT_FALSE(far.offset);
  EXPECT_EQ(far.length, 0u);
  EXPECT_EQ(::lseek(in.get(), 0, SEEK_CUR), 10);
  Pipe p;
  ASSERT_EQ(p.open(), 0);
  FdInfo pipe_info;
  ASSERT_EQ(classify(p.read_fd(), pipe_info), 0);
  Range stream{3, std::nullopt};
  ASSERT_EQ(position_stream(p.read_fd(), pipe_info, stream), 0);
  EXPECT_EQ(stream.offset, 3u);
}

TEST(CatCopy, PlannedTotalCountsRangesAndStopsAtAStream) {
  TempFile a("0123456789");
  TempFile b("abc");
  std::vector<std::string> names{a.path(), b.path(), "/nonexistent/file"};
  EXPECT_EQ(planned_total(names, {}), 13u);
  EXPECT_EQ(planned_total(names, Range{2, 5}), 5u + 1u);
  Fd stdin_file = a.open(O_RDONLY);
  ASSERT_EQ(::lseek(stdin_file.get(), 4, SEEK_SET), 4);
  std::vector<std::string> dashes{"-", "-"};  // the second reads on where the first stopped
  EXPECT_EQ(planned_total(dashes, Range{std::nullopt, 4}, stdin_file.get()), 4u + 2u);
  Pipe p;
  ASSERT_EQ(p.open(), 0);
  EXPECT_FALSE(planned_total(dashes, {}, p.read_fd()));
}

TEST(CatCopy, FormattedCopyOfRangesFromFilesAndPipesAsGnuCat) {
  std::string data = cat_food(300'000, 7);
  TempFile file(data);
  TempFile out_file;
  Fd out = out_file.open(O_WRONLY | O_TRUNC);
  FdInfo out_info;
  ASSERT_EQ(classify(out.get(), out_info), 0);
  Pump pump(PumpOptions{});
  Stats stats;
  FormattedCopy copy(options_for("nE"), pump, &stats);

  Fd in = file.open(O_RDONLY);
  FdInfo in_info;
  ASSERT_EQ(classify(in.get(), in_info), 0);
  PumpResult r = copy.run(in.get(), in_info, out.get(), Range{1000, 200'000});
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.bytes, 200'000u);
  EXPECT_EQ(::lseek(in.get(), 0, SEEK_CUR), 0);  // read at an offset: the position untouched

  // A pipe: the offset is read and dropped. The state carries on from the file's last line.
  Pipe p;
  ASSERT_EQ(p.open(), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(p.read_fd());
    ssize_t n = sys::write_all(p.write_fd(), std::as_bytes(std::span(data)));
    ::_exit(n == static_cast<ssize_t>(data.size()) ? 0 : 1);
  }
  p.write_end().reset();
  FdInfo pipe_info;
  ASSERT_EQ(classify(p.read_fd(), pipe_info), 0);
  r = copy.run(p.read_fd(), pipe_info, out.get(), Range{5, std::nullopt});
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.bytes, data.size() - 5);
  ASSERT_TRUE(copy.finish(out.get()).ok());
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_GT(stats.calls[static_cast<std::size_t>(Call::Read)], 0u);

  EXPECT_EQ(testutil::file_content(out_file.path()),
            gnu_cat("-nE", {data.substr(1000, 200'000), data.substr(5)}));
}

TEST(CatCopy, FormattedCopyNamesTheSideThatFailed) {
  TempFile file("a\nb\n");
  Fd in = file.open(O_RDONLY);
  FdInfo in_info;
  ASSERT_EQ(classify(in.get(), in_info), 0);
  Pump pump(PumpOptions{});
  FormattedCopy copy(options_for("n"), pump);
  Fd full(::open("/dev/full", O_WRONLY | O_CLOEXEC));
  ASSERT_TRUE(full);
  PumpResult r = copy.run(in.get(), in_info, full.get());
  EXPECT_EQ(r.error, ENOSPC);
  EXPECT_EQ(r.side, PumpResult::Side::Output);
  Fd wronly = file.open(O_WRONLY);
  FdInfo w_info;
  ASSERT_EQ(classify(wronly.get(), w_info), 0);
  r = copy.run(wronly.get(), w_info, full.get());
  EXPECT_EQ(r.error, EBADF);
  EXPECT_EQ(r.side, PumpResult::Side::Input);
}

}  // namespace
}  // namespace conduit
