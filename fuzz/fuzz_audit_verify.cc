// Fuzzes audit verification (vault/audit_log.h) on arbitrary file content under a fixed chain
// key: alone, continuing the very first chain state (prev 64 zeros, seq 0), and split at a line
// boundary into two files verified one after the other. Nothing may crash and every report must
// be consistent with itself and with the content.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/guarded_key.h"
#include "vault/audit_log.h"

namespace svault::fuzz {
namespace {

using vault::AuditVerifyReport;

// The key the seed corpus (fuzz/corpus/fuzz_audit_verify/) was written under.
constexpr std::string_view kChainKey = "svault-fuzz-audit-chain-key-32by";
const std::string kZeroMac(64, '0');

void Require(bool condition) {
  if (!condition) __builtin_trap();
}

const crypto::GuardedKey& ChainKey() {
  static const crypto::GuardedKey* key = [] {
    if (!crypto::InitCrypto()) std::abort();
    Result<crypto::GuardedKey> made = crypto::GuardedKey::FromBytes(kChainKey);
    if (!made.ok()) std::abort();
    return new crypto::GuardedKey(std::move(made).value());
  }();
  return *key;
}

size_t CountNewlines(std::string_view content) {
  size_t n = 0;
  for (char c : content) n += c == '\n';
  return n;
}

// The report against the content: a break names a known reason and the line where it is, a
// torn tail is never counted as a record, and records never outnumber the lines.
void CheckReport(const AuditVerifyReport& report, std::string_view content) {
  const size_t complete = CountNewlines(content);
  const bool unterminated = !content.empty() && content.back() != '\n';
  Require(report.records <= complete + (unterminated ? 1 : 0));
  if (report.ok) {
    Require(report.reason.empty() && report.break_line == 0 && !report.break_seq);
    // Every line verified, but for a torn tail which is not counted.
    if (report.torn_tail) Require(unterminated && report.records == complete);
    if (!report.torn_tail) Require(report.records == complete + (unterminated ? 1 : 0));
  } else {
    Require(report.reason == "hmac_mismatch" || report.reason == "prev_mismatch" ||
            report.reason == "seq_gap" || report.reason == "unparseable");
    Require(!report.torn_tail);
    Require(report.break_line == report.records + 1);
  }
  if (report.records > 0) Require(report.last_hmac.size() == 64 && report.last_seq.has_value());
}

// Verifying the content in two files, split after a complete line, says what verifying it
// whole says.
void CheckSplit(std::string_view content, const AuditVerifyReport& whole) {
  const size_t mid = content.find('\n', content.size() / 2);
  if (mid == std::string_view::npos) return;
  const std::string_view first = content.substr(0, mid + 1);
  const std::string_view second = content.substr(mid + 1);

  const AuditVerifyReport head =
      vault::VerifyAuditFile(ChainKey(), first, std::nullopt, std::nullopt);
  CheckReport(head, first);
  if (!head.ok || head.records == 0) return;
  const AuditVerifyReport tail =
      vault::VerifyAuditFile(ChainKey(), second, head.last_hmac, head.last_seq);
  CheckReport(tail, second);
  Require(tail.ok == whole.ok && tail.torn_tail == whole.torn_tail);
  Require(head.records + tail.records == whole.records);
  Require(tail.reason == whole.reason);
  if (!tail.ok) Require(head.records + tail.break_line == whole.break_line);
  if (tail.records > 0) Require(tail.last_hmac == whole.last_hmac);
}

}  // namespace
}  // namespace svault::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using svault::fuzz::ChainKey;
  using svault::fuzz::Require;
  const std::string_view content(reinterpret_cast<const char*>(data), size);

  const svault::vault::AuditVerifyReport unpinned =
      svault::vault::VerifyAuditFile(ChainKey(), content, std::nullopt, std::nullopt);
  svault::fuzz::CheckReport(unpinned, content);

  // Pinning the start of the chain can only find more breaks, never fewer.
  const svault::vault::AuditVerifyReport pinned =
      svault::vault::VerifyAuditFile(ChainKey(), content, svault::fuzz::kZeroMac, 0);
  svault::fuzz::CheckReport(pinned, content);
  Require(pinned.records <= unpinned.records);
  if (pinned.ok) Require(unpinned.ok);

  svault::fuzz::CheckSplit(content, unpinned);
  return 0;
}
