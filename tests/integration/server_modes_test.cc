// How the server starts: dev mode, auto-unseal from a key file, refusal otherwise; what it
// leaves on disk.
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <string_view>

#include "harness.h"

namespace svault::testing {
namespace {

std::string TempDir() {
  char tmpl[] = "/tmp/svault-modes-XXXXXX";
  return mkdtemp(tmpl);
}

TEST(ServerModesTest, WithoutDevItStartsUninitialisedAndCreatesNoKey) {
  const std::string dir = TempDir();
  VaultProcess vault({}, dir, /*dev=*/false);
  EXPECT_EQ(vault.root_token(), "");
  EXPECT_EQ(vault.Request("GET", "/api/v1/sys/health").status, 503);
  EXPECT_EQ(vault.Request("GET", "/api/v1/environments", "x").ErrorCode(), "uninitialized");
  EXPECT_NE(vault.LogText().find("not initialised"), std::string::npos) << vault.LogText();
  EXPECT_FALSE(std::filesystem::exists(dir + "/unseal.key"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/root.token"));
  ASSERT_EQ(vault.Stop(), 0);
  std::filesystem::remove_all(dir);
  std::filesystem::remove(dir + ".log");
}

TEST(ServerModesTest, BadConfigurationIsAUsageError) {
  CliResult r = RunCli({"server", "--dev", "--max-value-bytes", "2000000"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("max_value_bytes"), std::string::npos) << r.err;
  CliResult unknown = RunCli({"server", "--dev", "--no-such-flag"});
  EXPECT_EQ(unknown.exit_code, 1);
}

TEST(ServerModesTest, AutoUnsealInitWritesTheKeyFileThenUnsealsAtEveryStart) {
  const std::string dir = TempDir();
  const std::string key_file = dir + "/unseal.key";
  std::string root;
  {
    VaultProcess vault({"--unseal-key-file", key_file}, dir + "/data", /*dev=*/false);
    EXPECT_FALSE(std::filesystem::exists(key_file)) << "only init creates it";
    Response init = vault.Request("POST", "/api/v1/sys/init", "", R"({"auto_unseal":true})");
    ASSERT_EQ(init.status, 200) << init.body;
    EXPECT_TRUE(init.Json().at("shares").as_array().empty());
    root = std::string(init.Json().at("root_token").as_string());
    EXPECT_EQ(init.headers["cache-control"], "no-store");
    struct stat st {};
    ASSERT_EQ(::stat(key_file.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    // Unsealed at once.
    EXPECT_EQ(vault.Request("POST", "/api/v1/environments", root, R"({"id":"acme"})").status, 201);
    EXPECT_EQ(vault.Request("POST", "/api/v1/sys/init", "", R"({"auto_unseal":true})").status, 409);
    EXPECT_EQ(vault.LogText().find(root), std::string::npos) << "the root token is never logged";
    EXPECT_EQ(vault.LogText().find("DEV MODE"), std::string::npos);
    ASSERT_EQ(vault.Stop(), 0);
  }
  {
    VaultProcess vault({"--unseal-key-file", key_file}, dir + "/data", /*dev=*/false);
    EXPECT_EQ(vault.Request("GET", "/api/v1/environments/acme", root).status, 200);
    ASSERT_EQ(vault.Stop(), 0);
  }
  // Another key cannot open it.
  std::filesystem::remove(key_file);
  std::ofstream(key_file) << std::string(64, 'a') << "\n";
  ::chmod(key_file.c_str(), 0600);
  CliResult r = RunCli({"server", "--data", dir + "/data", "--listen", "127.0.0.1:0",
                        "--unseal-key-file", key_file});
  EXPECT_EQ(r.exit_code, 2);
  std::filesystem::remove_all(dir);
}

TEST(ServerModesTest, AutoUnsealInitNeedsAConfiguredAndFreshKeyFile) {
  const std::string dir = TempDir();
  {
    VaultProcess vault({}, dir + "/a", /*dev=*/false);
    Response r = vault.Request("POST", "/api/v1/sys/init", "", R"({"auto_unseal":true})");
    EXPECT_EQ(r.status, 422) << r.body;
    EXPECT_NE(r.body.find("unseal_key_file"), std::string::npos) << r.body;
    // Nothing happened: a share init still works.
    EXPECT_EQ(vault.Request("POST", "/api/v1/sys/init", "", "{}").status, 200);
  }
  {
    const std::string key_file = dir + "/existing.key";
    std::ofstream(key_file) << "old\n";
    ::chmod(key_file.c_str(), 0600);
    VaultProcess vault({"--unseal-key-file", key_file}, dir + "/b", /*dev=*/false);
    Response r = vault.Request("POST", "/api/v1/sys/init", "", R"({"auto_unseal":true})");
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_EQ(ReadFile(key_file), "old\n") << "an existing key file is never overwritten";
    EXPECT_EQ(vault.Request("GET", "/api/v1/sys/seal-status").Json().at("initialized"), false);
  }
  std::filesystem::remove_all(dir);
}

TEST(ServerModesTest, OutsideDevAKeyOrConfigOpenToOthersIsRefused) {
  const std::string dir = TempDir();
  const std::string key = dir + "/unseal.key";
  {
    VaultProcess vault({"--unseal-key-file", key}, dir + "/data", /*dev=*/false);
    ASSERT_EQ(vault.Request("POST", "/api/v1/sys/init", "", R"({"auto_unseal":true})").status, 200);
    ASSERT_EQ(vault.Stop(), 0);
  }
  ASSERT_EQ(::chmod(key.c_str(), 0640), 0);
  CliResult r = RunCli(
      {"server", "--data", dir + "/data", "--listen", "127.0.0.1:0", "--unseal-key-file", key});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE((r.out + r.err).find("chmod 600"), std::string::npos) << r.out << r.err;
  ASSERT_EQ(::chmod(key.c_str(), 0604), 0);
  r = RunCli(
      {"server", "--data", dir + "/data", "--listen", "127.0.0.1:0", "--unseal-key-file", key});
  EXPECT_EQ(r.exit_code, 2);

  const std::string config = dir + "/svault.toml";
  std::ofstream(config) << "log_level = \"info\"\n";
  ASSERT_EQ(::chmod(config.c_str(), 0644), 0);
  CliResult c = RunCli({"server", "--config", config, "--data", dir + "/data"});
  EXPECT_EQ(c.exit_code, 1);
  EXPECT_NE(c.err.find("chmod 600"), std::string::npos) << c.err;
  std::filesystem::remove_all(dir);
}

TEST(ServerModesTest, EveryFileItCreatesIsPrivate) {
  VaultProcess vault;
  ASSERT_EQ(
      vault.Request("POST", "/api/v1/environments", vault.root_token(), R"({"id":"acme"})").status,
      201);
  ASSERT_EQ(vault.Stop(), 0);
  size_t checked = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(vault.dir())) {
    struct stat st {};
    ASSERT_EQ(::stat(entry.path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0077, 0u) << entry.path() << " is open to group or others";
    ++checked;
  }
  EXPECT_GE(checked, 5u);  // vault.db, -wal/-shm, unseal.key, root.token, audit/, a file in it
}

// The kernel's view of the running server: no core file can be written, and the keys sit in
// locked memory (libsodium's guarded allocations), so they are never swapped out.
TEST(ServerModesTest, NoCoreDumpsAndKeysInLockedMemory) {
  VaultProcess vault;
  const std::string proc = "/proc/" + std::to_string(vault.pid());
  const std::string limits = ReadFile(proc + "/limits");
  std::smatch m;
  ASSERT_TRUE(
      std::regex_search(limits, m, std::regex("Max core file size +([0-9a-z]+) +([0-9a-z]+)")))
      << limits;
  EXPECT_EQ(m[1], "0");
  EXPECT_EQ(m[2], "0");
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer turns mlock into a no-op; the plain build checks VmLck";
#endif
  const std::string status = ReadFile(proc + "/status");
  ASSERT_TRUE(std::regex_search(status, m, std::regex("VmLck:\\s+([0-9]+) kB"))) << status;
  EXPECT_GT(std::stoi(m[1]), 0) << "no locked memory: keys could reach swap";
}

// Copies of `needle` in the writable memory of process `pid`.
int CopiesInMemoryOf(pid_t pid, std::string_view needle) {
  const std::string proc = "/proc/" + std::to_string(pid);
  std::ifstream maps(proc + "/maps");
  const int mem = ::open((proc + "/mem").c_str(), O_RDONLY | O_CLOEXEC);
  int copies = 0;
  std::string region;
  for (std::string line; std::getline(maps, line);) {
    uintptr_t begin = 0, end = 0;
    char perms[5] = {};
    if (sscanf(line.c_str(), "%lx-%lx %4s", &begin, &end, perms) != 3 || perms[1] != 'w') continue;
    region.resize(end - begin);
    const ssize_t got = ::pread(mem, region.data(), region.size(), static_cast<off_t>(begin));
    if (got <= 0) continue;
    const std::string_view read(region.data(), static_cast<size_t>(got));
    for (size_t at = read.find(needle); at != std::string_view::npos;
         at = read.find(needle, at + 1)) {
      ++copies;
    }
  }
  ::close(mem);
  return copies;
}

// The raw request does not outlive its answer in the server's memory: Beast's read buffer is
// wiped once the request is parsed, and whenever it is freed (as when it grows for a body).
TEST(ServerModesTest, RawRequestIsNotLeftInServerMemory) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "scanning every mapping would read AddressSanitizer's reserved shadow memory";
#endif
  VaultProcess vault;
  std::random_device random;
  const std::string needle = fmt::format("MEMSCAN-{:08x}{:08x}", random(), random());
  const std::string body = needle + std::string(2000, 'v');  // beyond the first 512-byte read
  for (int i = 0; i < 4; ++i) {
    const std::string answer = vault.Raw(
        "POST /api/v1/no-such-route HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        "Content-Length: " +
        std::to_string(body.size()) + "\r\n\r\n" + body);
    ASSERT_TRUE(answer.starts_with("HTTP/1.1 401 ")) << answer.substr(0, 200);  // no token
  }
  EXPECT_EQ(CopiesInMemoryOf(vault.pid(), needle), 0);
}

TEST(ServerModesTest, DevModeWarnsAndPrintsTheRootTokenOnce) {
  VaultProcess vault;
  const std::string log = vault.LogText();
  EXPECT_NE(log.find("DEV MODE"), std::string::npos);
  EXPECT_NE(log.find(vault.root_token()), std::string::npos);
  struct stat st {};
  ASSERT_EQ(::stat((vault.dir() + "/root.token").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

}  // namespace
}  // namespace svault::testing
