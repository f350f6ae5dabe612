#include "harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

namespace svault::testing {
namespace {

std::string MakeTempDir() {
  char tmpl[] = "/tmp/svault-it-XXXXXX";
  return mkdtemp(tmpl);
}

int ConnectTo(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  timeval timeout{30, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  return fd;
}

void SendAll(int fd, const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;  // the server may close early (e.g. an oversize body)
    sent += static_cast<size_t>(n);
  }
}

std::string ReceiveAll(int fd) {
  std::string out;
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
    if (n <= 0) break;
    out.append(buffer, static_cast<size_t>(n));
  }
  return out;
}

Response ParseResponse(const std::string& raw) {
  Response r;
  const size_t header_end = raw.find("\r\n\r\n");
  if (header_end == std::string::npos) return r;
  std::istringstream head(raw.substr(0, header_end));
  std::string line;
  std::getline(head, line);
  if (line.size() >= 12) r.status = std::stoi(line.substr(9, 3));
  while (std::getline(head, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    r.headers[name] = value;
  }
  r.body = raw.substr(header_end + 4);
  if (auto it = r.headers.find("content-length"); it != r.headers.end()) {
    r.body.resize(std::min(r.body.size(), static_cast<size_t>(std::stoul(it->second))));
  }
  return r;
}

}  // namespace

boost::json::value Response::Json() const {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(body, ec);
  return ec ? boost::json::value() : v;
}

std::string Response::ErrorCode() const {
  boost::json::value v = Json();
  if (!v.is_object()) return "";
  const boost::json::value* error = v.as_object().if_contains("error");
  if (error == nullptr || !error->is_object()) return "";
  const boost::json::value* code = error->as_object().if_contains("code");
  return code && code->is_string() ? std::string(code->as_string()) : "";
}

VaultProcess::VaultProcess(std::vector<std::string> extra_args, std::string data_dir, bool dev) {
  if (data_dir.empty()) {
    dir_ = MakeTempDir();
    owns_dir_ = true;
  } else {
    dir_ = std::move(data_dir);
  }
  std::vector<std::string> args = {"server",      "--data",    dir_, "--listen",
                                   "127.0.0.1:0", "--threads", "2"};
  if (dev) args.insert(args.begin() + 1, "--dev");
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  Start(args);
}

VaultProcess::~VaultProcess() {
  if (pid_ > 0) Kill();
  if (owns_dir_) {
    std::filesystem::remove_all(dir_);
    std::filesystem::remove(dir_ + ".log");
  }
}

void VaultProcess::Start(const std::vector<std::string>& args) {
  const std::string log_path = dir_ + ".log";
  std::filesystem::remove(log_path);
  pid_ = ::fork();
  if (pid_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // a crashed test never leaves a server behind
    const int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    ::dup2(log, 1);
    ::dup2(log, 2);
    std::vector<char*> argv = {const_cast<char*>(SVAULT_BINARY)};
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(SVAULT_BINARY, argv.data());
    _exit(127);
  }

  // Wait for "server listening address=127.0.0.1:PORT".
  const std::regex listening("server listening address=127\\.0\\.0\\.1:([0-9]+)");
  for (int i = 0; i < 300 && port_ == 0; ++i) {
    std::smatch m;
    const std::string log = LogText();
    if (std::regex_search(log, m, listening)) port_ = std::stoi(m[1]);
    int status = 0;
    if (port_ == 0 && ::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      FAIL() << "svault exited at start:\n" << log;
    }
    if (port_ == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_NE(port_, 0) << "svault did not start listening:\n" << LogText();
  root_token_ = ReadFile(dir_ + "/root.token");
}

std::string VaultProcess::LogText() const { return ReadFile(dir_ + ".log"); }

Response VaultProcess::Request(const std::string& method, const std::string& target,
                               const std::string& token, const std::string& body,
                               const std::string& content_type) const {
  std::string request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  if (!token.empty()) request += "Authorization: Bearer " + token + "\r\n";
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    request += "Content-Type: " + content_type + "\r\n";
    request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  request += "Connection: close\r\n\r\n" + body;
  return ParseResponse(Raw(request));
}

std::string VaultProcess::Raw(const std::string& bytes) const {
  const int fd = ConnectTo(port_);
  if (fd < 0) return "";
  SendAll(fd, bytes);
  std::string answer = ReceiveAll(fd);
  ::close(fd);
  return answer;
}

int VaultProcess::Stop() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 300; ++i) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  Kill();
  return -1;
}

void VaultProcess::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

CliResult RunCli(const std::vector<std::string>& args, const std::string& stdin_data,
                 const std::map<std::string, std::string>& env) {
  const std::string dir = MakeTempDir();
  const std::string in_path = dir + "/in", out_path = dir + "/out", err_path = dir + "/err";
  std::ofstream(in_path, std::ios::binary) << stdin_data;
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int in = ::open(in_path.c_str(), O_RDONLY);
    const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT, 0600);
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT, 0600);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::unsetenv("SVAULT_ADDR");
    ::unsetenv("SVAULT_TOKEN");
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> argv = {const_cast<char*>(SVAULT_BINARY)};
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(SVAULT_BINARY, argv.data());
    _exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  CliResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = ReadFile(out_path);
  result.err = ReadFile(err_path);
  std::filesystem::remove_all(dir);
  return result;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<std::string> FilesUnder(const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) files.push_back(entry.path().string());
  }
  return files;
}

}  // namespace svault::testing
