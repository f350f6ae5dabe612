// Start-up file helpers: the swap check, and the auto-unseal key file that init writes.
#include "server/files.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

namespace svault::server {
namespace {

class FilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/svault-files-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(FilesTest, SwapIsOnOnlyWhenTheTableListsAnArea) {
  const std::string path = dir_ + "/swaps";
  std::ofstream(path) << "Filename\tType\tSize\tUsed\tPriority\n";
  EXPECT_FALSE(SwapIsOn(path));
  std::ofstream(path, std::ios::app) << "/dev/sda2\tpartition\t1048572\t0\t-2\n";
  EXPECT_TRUE(SwapIsOn(path));
  EXPECT_FALSE(SwapIsOn(dir_ + "/missing"));
}

TEST_F(FilesTest, KeyFileIsCreatedPrivateNeverOverwrittenAndDiscardedOnlyIfItsOwn) {
  ASSERT_TRUE(crypto::InitCrypto());
  const std::string path = dir_ + "/unseal.key";
  UnsealKeyFileAt file(path);
  EXPECT_TRUE(file.configured());
  EXPECT_FALSE(UnsealKeyFileAt("").configured());
  ASSERT_TRUE(file.Create().ok());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto read = ReadKeyFile(path);
  ASSERT_TRUE(read.ok());

  UnsealKeyFileAt again(path);
  EXPECT_EQ(again.Create().status().code(), Code::kConflict);
  again.Discard();  // not its own: stays
  EXPECT_TRUE(std::filesystem::exists(path));
  file.Discard();
  EXPECT_FALSE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace svault::server
