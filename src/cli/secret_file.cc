#include "cli/secret_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace svault::cli {
namespace {

Status FileError(std::string_view what, const std::string& path, int error) {
  return Status(Code::kBadRequest, std::string(what) + " " + path + ": " + std::strerror(error));
}

}  // namespace

Result<SecretFile> SecretFile::Create(std::string path) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    const int error = errno;
    if (error == EEXIST) {
      return Status(Code::kBadRequest, path +
                                           " exists; svault does not overwrite files, remove "
                                           "it first");
    }
    return FileError("cannot create", path, error);
  }
  return SecretFile(std::move(path), fd);
}

SecretFile::SecretFile(SecretFile&& other) noexcept
    : path_(std::move(other.path_)), fd_(other.fd_), committed_(other.committed_) {
  other.fd_ = -1;
  other.committed_ = true;  // the moved-from object owns nothing to remove
}

SecretFile::~SecretFile() {
  if (fd_ >= 0) close(fd_);
  if (!committed_) unlink(path_.c_str());
}

Status SecretFile::Commit(std::string_view bytes) {
  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = write(fd_, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return FileError("cannot write", path_, errno);
    written += static_cast<size_t>(n);
  }
  if (fsync(fd_) != 0) return FileError("cannot sync", path_, errno);

  const int fd = fd_;
  fd_ = -1;
  if (close(fd) != 0) return FileError("cannot close", path_, errno);
  committed_ = true;
  return Status::Ok();
}

Result<std::optional<SecretFile>> SecretFile::CreateIfNamed(std::string path) {
  if (path.empty()) return std::optional<SecretFile>();
  SVAULT_ASSIGN_OR_RETURN(SecretFile file, Create(std::move(path)));
  return std::optional<SecretFile>(std::move(file));
}

}  // namespace svault::cli
