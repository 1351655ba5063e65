// crypto/keys: the loaders' failures as result values: the errno of a failed open or read, EINVAL
// for content that is not a key or passphrase, EKEYREJECTED for a key file that is typed text;
// each with its reason, and none naming a program.
#include "conduit/crypto/keys.hpp"

#include <fcntl.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <string>

#include "test_util.hpp"

using namespace conduit;
using namespace conduit::crypto;

TEST(CryptoKeys, LoadersSayWhyAsAnErrnoAndAReason) {
  Secret key;
  Status missing = load_key_file("/nonexistent/key", key);
  EXPECT_EQ(missing.error, ENOENT);
  EXPECT_NE(missing.reason.find("/nonexistent/key: No such file or directory"), std::string::npos) << missing.reason;

  testutil::TempFile typed(std::string(32, 'a'));
  Status text = load_key_file(typed.path(), key);
  EXPECT_EQ(text.error, EKEYREJECTED);
  EXPECT_NE(text.reason.find("not a key"), std::string::npos) << text.reason;
  EXPECT_EQ(text.reason.find("hw-encrypt"), std::string::npos) << text.reason;

  testutil::TempFile short_key("0123");
  Status bad = load_key_file(short_key.path(), key);
  EXPECT_EQ(bad.error, EINVAL);
  EXPECT_NE(bad.reason.find("must hold 32 bytes or 64 hex digits"), std::string::npos) << bad.reason;

  testutil::TempFile hex(std::string(64, 'f') + "\n");
  EXPECT_TRUE(load_key_file(hex.path(), key).ok());
  EXPECT_EQ(key.size(), 32u);

  Secret pass;
  testutil::TempFile empty("\n");
  Status none = load_passphrase_file(empty.path(), pass);
  EXPECT_EQ(none.error, EINVAL);
  EXPECT_NE(none.reason.find("empty passphrase"), std::string::npos) << none.reason;
  Status closed = load_passphrase_fd(-1, pass);
  EXPECT_EQ(closed.error, EBADF);
}
