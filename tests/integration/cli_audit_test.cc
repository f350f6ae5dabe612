// `svault audit verify` through the API: an edited, removed or reordered record is found and
// named; a torn last line (a crash mid-write) is told apart from tampering; the chain holds
// across rotated files.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "harness.h"

namespace svault::testing {
namespace {

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

void WriteLines(const std::string& path, const std::vector<std::string>& lines,
                bool final_newline = true) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  for (size_t i = 0; i < lines.size(); ++i) {
    out << lines[i];
    if (i + 1 < lines.size() || final_newline) out << "\n";
  }
}

class CliAuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Small audit files so that a few requests rotate them.
    vault_ =
        std::make_unique<VaultProcess>(std::vector<std::string>{"--audit-max-file-bytes", "4096"});
    env_ = {{"SVAULT_ADDR", "http://127.0.0.1:" + std::to_string(vault_->port())},
            {"SVAULT_TOKEN", vault_->root_token()}};
    ASSERT_EQ(
        vault_->Request("POST", "/api/v1/environments", vault_->root_token(), R"({"id":"acme"})")
            .status,
        201);
    for (int i = 0; i < 12; ++i) {
      ASSERT_EQ(vault_
                    ->Request("PUT", "/api/v1/environments/acme/secrets/K" + std::to_string(i),
                              vault_->root_token(), R"({"value":"v"})")
                    .status,
                201);
    }
    files_ = FilesUnder(vault_->dir() + "/audit");
    std::sort(files_.begin(), files_.end());
    ASSERT_GE(files_.size(), 2u) << "expected rotation";
    // Work on copies: the live file keeps growing while we verify.
    for (size_t i = 0; i < files_.size(); ++i) {
      const std::string copy = vault_->dir() + "/copy-" + std::to_string(i) + ".jsonl";
      WriteLines(copy, Lines(ReadFile(files_[i])));
      copies_.push_back(copy);
    }
  }

  // Verifies the copies as an excerpt (--partial): the live chain has moved on since they were
  // taken, so only what lies inside them is checked.
  CliResult Verify() {
    std::vector<std::string> args = {"audit", "verify", "--partial"};
    args.insert(args.end(), copies_.begin(), copies_.end());
    return RunCli(args, "", env_);
  }
  // The audit files as they are now, oldest first.
  std::vector<std::string> LiveFiles() {
    std::vector<std::string> files = FilesUnder(vault_->dir() + "/audit");
    std::sort(files.begin(), files.end());
    return files;
  }
  // Verifies files as the whole chain: from seq 1 up to the vault's head.
  CliResult VerifyLive(std::vector<std::string> files) {
    std::vector<std::string> args = {"audit", "verify"};
    args.insert(args.end(), files.begin(), files.end());
    return RunCli(args, "", env_);
  }

  std::unique_ptr<VaultProcess> vault_;
  std::map<std::string, std::string> env_;
  std::vector<std::string> files_;
  std::vector<std::string> copies_;
};

TEST_F(CliAuditTest, IntactChainAcrossRotatedFilesVerifies) {
  CliResult excerpt = Verify();
  EXPECT_EQ(excerpt.exit_code, 0) << excerpt.out << excerpt.err;
  // The directory form lists the files after fetching the head, so nothing slips between.
  CliResult whole = VerifyLive({vault_->dir() + "/audit"});
  EXPECT_EQ(whole.exit_code, 0) << whole.out << whole.err;
}

TEST_F(CliAuditTest, RecordsCutFromTheEndAreFound) {
  // The newest file goes, and the one before loses its last record, as an attacker trimming
  // the trail would do. What is left is a valid chain from seq 1: only the head tells.
  std::vector<std::string> files = LiveFiles();
  ASSERT_GE(files.size(), 2u);
  files.pop_back();
  std::vector<std::string> lines = Lines(ReadFile(files.back()));
  ASSERT_GE(lines.size(), 2u);
  lines.pop_back();
  files.back() = vault_->dir() + "/trimmed.jsonl";
  WriteLines(files.back(), lines);
  CliResult r = VerifyLive(files);
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.out.find("newer records are missing"), std::string::npos) << r.out;
}

TEST_F(CliAuditTest, RecordsCutFromTheStartAreFound) {
  const std::vector<std::string> live = LiveFiles();
  std::vector<std::string> without_first(live.begin() + 1, live.end());
  CliResult r = VerifyLive(without_first);
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  std::vector<std::string> args = {"audit", "verify", "--partial"};
  args.insert(args.end(), without_first.begin(), without_first.end());
  EXPECT_EQ(RunCli(args, "", env_).exit_code, 0) << "an excerpt may start anywhere";
}

TEST_F(CliAuditTest, EditedRecordIsFound) {
  std::vector<std::string> lines = Lines(ReadFile(copies_[0]));
  ASSERT_GE(lines.size(), 3u);
  const size_t at = lines[1].find("\"status\"") != std::string::npos ? 1 : 2;
  size_t pos = lines[at].find("acme");
  if (pos == std::string::npos) pos = lines[at].find("request");
  ASSERT_NE(pos, std::string::npos);
  lines[at][pos] = lines[at][pos] == 'a' ? 'b' : 'a';
  WriteLines(copies_[0], lines);
  CliResult r = Verify();
  EXPECT_EQ(r.exit_code, 3) << r.out;
  EXPECT_NE((r.out + r.err).find("hmac_mismatch"), std::string::npos) << r.out << r.err;
}

TEST_F(CliAuditTest, RemovedRecordIsFound) {
  std::vector<std::string> lines = Lines(ReadFile(copies_[0]));
  lines.erase(lines.begin() + 1);
  WriteLines(copies_[0], lines);
  CliResult r = Verify();
  EXPECT_EQ(r.exit_code, 3);
  const std::string all = r.out + r.err;
  EXPECT_TRUE(all.find("prev_mismatch") != std::string::npos ||
              all.find("seq_gap") != std::string::npos)
      << all;
}

TEST_F(CliAuditTest, ReorderedRecordsAreFound) {
  std::vector<std::string> lines = Lines(ReadFile(copies_[0]));
  std::swap(lines[1], lines[2]);
  WriteLines(copies_[0], lines);
  EXPECT_EQ(Verify().exit_code, 3);
}

TEST_F(CliAuditTest, RemovedWholeFileBreaksTheChain) {
  ASSERT_GE(copies_.size(), 3u);
  copies_.erase(copies_.begin() + 1);
  EXPECT_EQ(Verify().exit_code, 3);
}

TEST_F(CliAuditTest, TornTailIsReportedAsACrashNotTampering) {
  std::vector<std::string> lines = Lines(ReadFile(copies_.back()));
  lines.back() = lines.back().substr(0, lines.back().size() / 2);
  WriteLines(copies_.back(), lines, /*final_newline=*/false);
  CliResult r = Verify();
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("torn"), std::string::npos) << r.out;
}

TEST_F(CliAuditTest, TornTailIsCutAtRestartAndTheChainContinues) {
  const std::string dir = vault_->dir();
  ASSERT_EQ(vault_->Stop(), 0);
  const std::string live = files_.back();
  std::string text = ReadFile(live);
  text += R"({"seq":99999,"time":"2026-)";  // a crash mid-write
  std::ofstream(live, std::ios::binary | std::ios::trunc) << text;

  VaultProcess restarted({"--audit-max-file-bytes", "4096"}, dir);
  EXPECT_NE(restarted.LogText().find("torn"), std::string::npos) << restarted.LogText();
  ASSERT_EQ(restarted.Request("GET", "/api/v1/environments/acme", restarted.root_token()).status,
            200);
  // The whole chain, up to the head.
  std::vector<std::string> args = {"audit", "verify", dir + "/audit"};
  auto env = env_;
  env["SVAULT_ADDR"] = "http://127.0.0.1:" + std::to_string(restarted.port());
  CliResult r = RunCli(args, "", env);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

}  // namespace
}  // namespace svault::testing
