// Small file helpers for start-up: private directories and files, the unseal key file.
#ifndef SVAULT_SERVER_FILES_H_
#define SVAULT_SERVER_FILES_H_

#include <string>
#include <string_view>

#include "common/status.h"
#include "crypto/guarded_key.h"
#include "vault/vault.h"

namespace svault::server {

// Creates `dir` (and parents) with mode 0700 when missing.
Status MakePrivateDir(const std::string& dir);
// Writes `contents` to a new or truncated file created 0600, then fsyncs it.
Status WritePrivateFile(const std::string& path, std::string_view contents);
bool FileExists(const std::string& path);

// Reads an unseal key file (64 hex characters, optional trailing newline) into guarded memory.
Result<crypto::GuardedKey> ReadKeyFile(const std::string& path);
// Creates a new random key file (0600, refusing to overwrite) and returns the key.
Result<crypto::GuardedKey> CreateKeyFile(const std::string& path);

// Whether a /proc/swaps-style table (a header line, then one line per swap area) lists any swap.
bool SwapIsOn(const std::string& proc_swaps);

// The auto-unseal key file of the server's configuration, for init with auto_unseal.
class UnsealKeyFileAt : public vault::UnsealKeyFile {
 public:
  explicit UnsealKeyFileAt(std::string path) : path_(std::move(path)) {}
  bool configured() const override { return !path_.empty(); }
  // kConflict when the file exists already (it may be another vault's key).
  Result<crypto::GuardedKey> Create() override;
  void Discard() override;

 private:
  std::string path_;
  bool created_ = false;
};

}  // namespace svault::server

#endif  // SVAULT_SERVER_FILES_H_
