// A temporary directory removed with its files at the end of a test.
#ifndef SVAULT_TESTS_UNIT_CLI_TEMP_DIR_H_
#define SVAULT_TESTS_UNIT_CLI_TEMP_DIR_H_

#include <filesystem>
#include <fstream>
#include <string>

namespace svault::cli::testing {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "svault-cli-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }

  std::string Path(const std::string& name) const { return (path_ / name).string(); }

  std::string Write(const std::string& name, const std::string& bytes) const {
    std::ofstream(Path(name), std::ios::binary) << bytes;
    return Path(name);
  }

  static std::string Read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

 private:
  std::filesystem::path path_;
};

}  // namespace svault::cli::testing

#endif  // SVAULT_TESTS_UNIT_CLI_TEMP_DIR_H_
