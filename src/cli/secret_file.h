// Files the CLI writes secret material into (a revealed value, a new token).
//
// Choice: the file is created new, 0600, with O_CREAT | O_EXCL | O_NOFOLLOW. An existing file or
// symlink at the path is never replaced or followed, so a planted link cannot redirect a secret
// and a secret never lands in a file with looser permissions; remove the old file first to
// replace it. The file is created before the server is asked, so an unusable path fails before a
// value is revealed (and audited) or a token created, and it is removed again unless the secret
// was written completely.
#ifndef SVAULT_CLI_SECRET_FILE_H_
#define SVAULT_CLI_SECRET_FILE_H_

#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace svault::cli {

class SecretFile {
 public:
  // Creates `path` as described above. kBadRequest (with the path and the system's reason) when
  // it exists or cannot be created.
  static Result<SecretFile> Create(std::string path);
  // Create(path) when a path is given, nothing when `path` is empty (-o left out).
  static Result<std::optional<SecretFile>> CreateIfNamed(std::string path);

  SecretFile(SecretFile&& other) noexcept;
  SecretFile& operator=(SecretFile&&) = delete;
  SecretFile(const SecretFile&) = delete;
  ~SecretFile();  // removes the file unless Commit() succeeded

  // Writes `bytes` (the whole content), syncs and closes. On failure the file is removed by the
  // destructor and the error names the path, never the bytes.
  Status Commit(std::string_view bytes);

  const std::string& path() const { return path_; }

 private:
  SecretFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}

  std::string path_;
  int fd_ = -1;
  bool committed_ = false;
};

}  // namespace svault::cli

#endif  // SVAULT_CLI_SECRET_FILE_H_
