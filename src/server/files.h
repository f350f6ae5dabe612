// Small file helpers for start-up: private directories and files, the unseal key file.
#ifndef SVAULT_SERVER_FILES_H_
#define SVAULT_SERVER_FILES_H_

#include <string>
#include <string_view>

#include "common/status.h"
#include "crypto/guarded_key.h"

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

}  // namespace svault::server

#endif  // SVAULT_SERVER_FILES_H_
