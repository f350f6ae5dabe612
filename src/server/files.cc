#include "server/files.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "common/encoding.h"
#include "common/secret.h"

namespace svault::server {
namespace {

Status WriteAll(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Unavailable("cannot write " + path + ": " + std::strerror(errno));
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  if (::fsync(fd) != 0) return Unavailable("cannot sync " + path);
  return Status::Ok();
}

Status WriteFile(const std::string& path, std::string_view contents, int extra_flags) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | extra_flags, 0600);
  if (fd < 0) return Unavailable("cannot create " + path + ": " + std::strerror(errno));
  Status status = WriteAll(fd, contents, path);
  ::close(fd);
  return status;
}

}  // namespace

Status MakePrivateDir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Unavailable("cannot create " + dir + ": " + ec.message());
  if (::chmod(dir.c_str(), 0700) != 0) return Unavailable("cannot restrict " + dir);
  return Status::Ok();
}

Status WritePrivateFile(const std::string& path, std::string_view contents) {
  return WriteFile(path, contents, O_TRUNC);
}

bool FileExists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

Result<crypto::GuardedKey> ReadKeyFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Unavailable("cannot read key file " + path + ": " + std::strerror(errno));
  char buffer[130];
  const ssize_t n = ::read(fd, buffer, sizeof(buffer));
  ::close(fd);
  SecretBytes text(std::string_view(buffer, n > 0 ? static_cast<size_t>(n) : 0));
  sodium_memzero(buffer, sizeof(buffer));

  std::string_view hex = text.Reveal();
  while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r')) hex.remove_suffix(1);
  std::optional<std::string> raw = HexDecode(hex);
  if (!raw || raw->size() != crypto::kKeyBytes) {
    if (raw) WipeString(*raw);
    return Invalid(path, "a key file holds 64 hex characters");
  }
  Result<crypto::GuardedKey> key = crypto::GuardedKey::FromBytes(*raw);
  WipeString(*raw);
  return key;
}

Result<crypto::GuardedKey> CreateKeyFile(const std::string& path) {
  SVAULT_ASSIGN_OR_RETURN(crypto::GuardedKey key, crypto::GuardedKey::Random());
  std::string hex =
      HexEncode(std::string_view(reinterpret_cast<const char*>(key.data()), crypto::kKeyBytes));
  hex += '\n';
  Status written = WriteFile(path, hex, O_EXCL);
  WipeString(hex);
  SVAULT_RETURN_IF_ERROR(written);
  return key;
}

bool SwapIsOn(const std::string& proc_swaps) {
  std::ifstream swaps(proc_swaps);
  std::string line;
  int lines = 0;
  while (std::getline(swaps, line)) {
    if (!line.empty()) ++lines;
  }
  return lines > 1;
}

Result<crypto::GuardedKey> UnsealKeyFileAt::Create() {
  if (FileExists(path_)) {
    return Conflict("unseal key file " + path_ +
                    " already exists (perhaps another vault's key); move it away first");
  }
  SVAULT_ASSIGN_OR_RETURN(crypto::GuardedKey key, CreateKeyFile(path_));
  created_ = true;
  return key;
}

void UnsealKeyFileAt::Discard() {
  if (created_) ::unlink(path_.c_str());
  created_ = false;
}

}  // namespace svault::server
