// stats and progress: the summaries scripts and people read.
#include "conduit/stats.hpp"

#include <gtest/gtest.h>

#include "conduit/progress.hpp"

using namespace conduit;

TEST(Stats, TotalsExcludeTeeDuplicates) {
  Stats s;
  s.add(Path::Splice, 100);
  s.add(Path::ReadWrite, 5);
  s.add(Path::Tee, 100);
  EXPECT_EQ(s.total_bytes(), 105u);
  Stats t;
  t.add(Path::Splice, 1);
  t.count(Call::Splice, 3);
  s.merge(t);
  EXPECT_EQ(s.bytes_of(Path::Splice), 101u);
  EXPECT_EQ(s.calls_of(Call::Splice), 3u);
}

TEST(Stats, JsonHasEveryPathAndCall) {
  Stats s;
  s.add(Path::Sendfile, 42);
  s.count(Call::Sendfile, 2);
  std::string json = format_stats_json(s, "splice-net", 0.5);
  EXPECT_EQ(json.rfind("{\"program\":\"splice-net\",\"bytes\":42,", 0), 0u) << json;
  EXPECT_NE(json.find("\"sendfile\":42"), std::string::npos);
  EXPECT_NE(json.find("\"syscalls\":{\"splice\":0,"), std::string::npos);
  EXPECT_NE(json.find("\"sendfile\":2"), std::string::npos);
  EXPECT_EQ(json.back(), '\n');
}

TEST(Stats, TextNamesUsedPathsOnly) {
  Stats s;
  s.add(Path::Splice, 1 << 20);
  s.count(Call::Splice, 4);
  std::string text = format_stats_text(s, "splice-cat", 1.0);
  EXPECT_NE(text.find("splice-cat: 1048576 bytes (1.0 MiB)"), std::string::npos) << text;
  EXPECT_NE(text.find("splice "), std::string::npos);
  EXPECT_EQ(text.find("read_write"), std::string::npos);
  EXPECT_NE(text.find("syscalls: splice 4"), std::string::npos);
}

TEST(Progress, RenderShowsPercentAndEta) {
  std::string line = Progress::render("x", 512, 1024, 1.0);
  EXPECT_NE(line.find("512 B"), std::string::npos) << line;
  EXPECT_NE(line.find(" 50%"), std::string::npos) << line;
  EXPECT_NE(line.find("ETA 0:00:01"), std::string::npos) << line;
  std::string unknown = Progress::render("x", 2048, std::nullopt, 2.0);
  EXPECT_EQ(unknown.find('%'), std::string::npos);
  EXPECT_NE(unknown.find("1.0 KiB/s"), std::string::npos) << unknown;
}
