// Micro benchmarks of the vault's per-request pieces (issue #5): value encryption and decryption,
// token lookup, the access check, and audit appends. Each comes with a baseline measured in the
// same run, so results read as ratios that carry over between machines:
//   - AEAD seal/open of a value   vs  copying the same bytes (BM_Memcpy);
//   - token lookup (Authenticate) vs  its keyed hash alone (BM_TokenHash) and one store read;
//   - audit append (durable)      vs  a bare write + fdatasync of a record-sized line.
//
//   core_bench [benchmark flags]     (state lives in a temporary directory, removed at exit)
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <memory>
#include <string>

#include "common/clock.h"
#include "common/secret.h"
#include "crypto/aead.h"
#include "crypto/guarded_key.h"
#include "crypto/mac.h"
#include "storage/sqlite/sqlite_store.h"
#include "vault/audit_log.h"
#include "vault/vault.h"

namespace {

using namespace svault;  // NOLINT(build/namespaces): a benchmark file of one namespace's pieces

// One vault on a temporary SQLite store, with an environment, a value and a runtime token.
struct Fixture {
  Fixture() {
    char tmpl[] = "/tmp/svault-core-bench-XXXXXX";
    dir = mkdtemp(tmpl);
    crypto::InitCrypto();
    store = std::move(storage::OpenSqliteStore({.path = dir + "/vault.db"}).value());
    vault::VaultOptions options;
    options.audit.dir = dir + "/audit";
    vault = std::make_unique<vault::Vault>(*store, clock, options);
    auto unseal = std::move(crypto::GuardedKey::Random().value());
    root_token = std::string(vault->Initialize(unseal).value().Reveal());
    if (!vault->Unseal(unseal).ok()) std::abort();
    root = vault->Authenticate(root_token).value();
    vault->CreateEnvironment(root, "acme", "").value();
    vault::SecretWrite write;
    write.value = SecretBytes(std::string(32, 'v'));
    vault->WriteSecret(root, "acme", "DB_PASSWORD", std::move(write), nullptr).value();
    vault::TokenSpec spec;
    spec.role = vault::Role::kRuntime;
    spec.environments = {"acme"};
    spec.key_patterns = {"DB_*"};
    auto made = vault->CreateToken(root, spec).value();
    runtime_token = std::string(made.token.Reveal());
    runtime = made.metadata;
  }
  ~Fixture() {
    vault.reset();
    store.reset();
    std::filesystem::remove_all(dir);
  }

  std::string dir;
  SystemClock& clock = SystemClock::Get();
  std::unique_ptr<storage::Store> store;
  std::unique_ptr<vault::Vault> vault;
  std::string root_token;
  std::string runtime_token;
  vault::Principal root;
  vault::Principal runtime;
};

Fixture& F() {
  static Fixture fixture;
  return fixture;
}

void BM_Memcpy(benchmark::State& state) {
  const std::string from(static_cast<size_t>(state.range(0)), 'x');
  std::string to(from.size(), '\0');
  for (auto _ : state) {
    std::memcpy(to.data(), from.data(), from.size());
    benchmark::DoNotOptimize(to.data());
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_Memcpy)->Arg(32)->Arg(4096);

void BM_AeadSeal(benchmark::State& state) {
  crypto::InitCrypto();
  auto key = std::move(crypto::GuardedKey::Random().value());
  const std::string value(static_cast<size_t>(state.range(0)), 'x');
  for (auto _ : state) benchmark::DoNotOptimize(crypto::AeadSeal(key, value, "ad"));
}
BENCHMARK(BM_AeadSeal)->Arg(32)->Arg(4096);

void BM_AeadOpen(benchmark::State& state) {
  crypto::InitCrypto();
  auto key = std::move(crypto::GuardedKey::Random().value());
  const std::string sealed =
      crypto::AeadSeal(key, std::string(static_cast<size_t>(state.range(0)), 'x'), "ad");
  for (auto _ : state) benchmark::DoNotOptimize(crypto::AeadOpen(key, sealed, "ad"));
}
BENCHMARK(BM_AeadOpen)->Arg(32)->Arg(4096);

void BM_TokenHash(benchmark::State& state) {
  crypto::InitCrypto();
  auto key = std::move(crypto::GuardedKey::Random().value());
  const std::string token = "svt_" + std::string(64, 'a');
  for (auto _ : state) benchmark::DoNotOptimize(crypto::TokenHash(key, token));
}
BENCHMARK(BM_TokenHash);

// One store read in a fresh read transaction: the floor under Authenticate.
void BM_StoreGet(benchmark::State& state) {
  Fixture& f = F();
  for (auto _ : state) {
    auto txn = std::move(f.store->Begin(storage::TxnMode::kRead).value());
    benchmark::DoNotOptimize(txn->Get("envs/acme"));
  }
}
BENCHMARK(BM_StoreGet);

void BM_Authenticate(benchmark::State& state) {
  Fixture& f = F();
  for (auto _ : state) {
    Result<vault::Principal> p = f.vault->Authenticate(f.runtime_token);
    if (!p.ok()) state.SkipWithError("authenticate failed");
  }
}
BENCHMARK(BM_Authenticate);

void BM_Authorize(benchmark::State& state) {
  Fixture& f = F();
  for (auto _ : state) {
    if (!f.vault->Authorize(f.runtime, vault::Capability::kResolve, "acme").ok()) {
      state.SkipWithError("authorize failed");
    }
  }
}
BENCHMARK(BM_Authorize);

void BM_RevealSecret(benchmark::State& state) {
  Fixture& f = F();
  for (auto _ : state) {
    if (!f.vault->RevealSecret("acme", "DB_PASSWORD", std::nullopt).ok()) {
      state.SkipWithError("reveal failed");
    }
  }
}
BENCHMARK(BM_RevealSecret);

// The baseline of a durable append: write one record-sized line and fdatasync it.
void BM_WriteFdatasync(benchmark::State& state) {
  const std::string path = F().dir + "/probe";
  const int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_APPEND | O_CLOEXEC, 0600);
  const std::string line(300, 'x');
  for (auto _ : state) {
    if (::write(fd, line.data(), line.size()) < 0 || ::fdatasync(fd) != 0) {
      state.SkipWithError("write failed");
    }
  }
  ::close(fd);
}
BENCHMARK(BM_WriteFdatasync)->UseRealTime();

// Durable audit appends from 1 and 8 threads: with 8, appends share fdatasyncs (group commit).
void BM_AuditAppend(benchmark::State& state) {
  static std::shared_ptr<vault::AuditLog> log;
  if (state.thread_index() == 0) log = F().vault->audit_log();
  vault::AuditEntry entry;
  entry.request_id = "req_0123456789abcdef";
  entry.phase = "request";
  entry.action = "secret.reveal";
  entry.token_id = "tok_0123456789abcdef";
  entry.role = "runtime";
  entry.environment = "acme";
  entry.keys = {{"DB_PASSWORD", std::nullopt}};
  entry.client = "127.0.0.1:5000";
  for (auto _ : state) {
    if (!log->Append(entry).ok()) state.SkipWithError("append failed");
  }
}
BENCHMARK(BM_AuditAppend)->Threads(1)->Threads(8)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
