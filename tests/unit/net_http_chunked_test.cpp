// net/http_chunked: where a chunked request body ends, fed whole and a byte at a time, and the
// bodies nginx refuses.
#include <gtest/gtest.h>

#include <string>

#include "conduit/net/http_chunked.hpp"

using conduit::net::http::ChunkedBody;

namespace {

// Feeds `data` in pieces of `step` bytes: the status at the end and the bytes taken.
ChunkedBody::Result feed_in_steps(const std::string& data, std::size_t step) {
  ChunkedBody body;
  ChunkedBody::Result total;
  for (std::size_t at = 0; at < data.size();) {
    std::size_t n = std::min(step, data.size() - at);
    ChunkedBody::Result r = body.feed(std::string_view(data).substr(at, n));
    total.status = r.status;
    total.consumed += r.consumed;
    if (r.status != ChunkedBody::Status::More) break;
    at += n;
  }
  return total;
}

}  // namespace

TEST(NetHttpChunked, FindsTheEndWhateverTheSteps) {
  const std::string next = "GET /next HTTP/1.1\r\n\r\n";
  const std::string bodies[] = {
      "0\r\n\r\n",
      "5\r\nhello\r\n0\r\n\r\n",
      "23\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n\r\n0\r\n\r\n",     // a request as data
      "a;name=value;x=\"q\"\r\n0123456789\r\n00000\r\n\r\n",              // extensions, zeros
      "3 ;ext\r\nabc\r\n0\r\nTrailer-Field: x\r\nOther: y\r\n\r\n",      // BWS, trailers
      "3\nabc\n0\n\n",                                                    // bare LF (nginx too)
      "F\r\n" + std::string(15, 'x') + "\r\n0\r\n\r\n",
  };
  for (const std::string& b : bodies) {
    for (std::size_t step : {std::size_t{1}, std::size_t{2}, std::size_t{7}, std::size_t{4096}}) {
      ChunkedBody::Result r = feed_in_steps(b + next, step);
      EXPECT_EQ(r.status, ChunkedBody::Status::Done) << b << " step " << step;
      EXPECT_EQ(r.consumed, b.size()) << b << " step " << step;
    }
  }
}

TEST(NetHttpChunked, WaitsForMoreUntilTheLastChunkAndItsEmptyLine) {
  const std::string whole = "5\r\nhello\r\n0\r\nX: y\r\n\r\n";
  for (std::size_t cut = 0; cut < whole.size(); ++cut) {
    ChunkedBody body;
    ChunkedBody::Result r = body.feed(std::string_view(whole).substr(0, cut));
    EXPECT_EQ(r.status, ChunkedBody::Status::More) << cut;
    EXPECT_EQ(r.consumed, cut);
  }
}

TEST(NetHttpChunked, RefusesWhatNginxRefuses) {
  const std::string bad[] = {
      "\r\n",                                 // no size
      "x\r\n",                                // not hex
      "-1\r\n",                               // a sign
      "5\r\nhelloXX0\r\n\r\n",                // no line end after the data
      "5\r\nhello\r0\r\n\r\n",                // CR without LF
      "8000000000000000\r\n",                 // 2^63: past what fits
      "fffffffffffffffff\r\n",                // 17 digits
      "5 x\r\n",                              // junk after whitespace
      "5;a\x01b\r\n",                         // a control in an extension
      "0\r\n\rX",                             // CR then no LF at the end
  };
  for (const std::string& b : bad) {
    ChunkedBody::Result r = feed_in_steps(b, 4096);
    EXPECT_EQ(r.status, ChunkedBody::Status::Bad) << b;
    EXPECT_EQ(feed_in_steps(b, 1).status, ChunkedBody::Status::Bad) << b;
  }
  // The largest size nginx takes is a size (the data never comes: More).
  EXPECT_EQ(feed_in_steps("7fffffffffffffff\r\nabc", 4096).status, ChunkedBody::Status::More);
}

TEST(NetHttpChunked, TakesNothingAfterTheEnd) {
  ChunkedBody body;
  EXPECT_EQ(body.feed("0\r\n\r\n").status, ChunkedBody::Status::Done);
  ChunkedBody::Result r = body.feed("more");
  EXPECT_EQ(r.status, ChunkedBody::Status::Done);
  EXPECT_EQ(r.consumed, 0u);
}
