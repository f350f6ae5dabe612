// The listener. Everything a connection does happens on the thread that accepted it: one
// io_context per worker, no locks on the request path. A connection is one coroutine that owns a
// Session; each worker keeps the set of its live sessions so that Stop() can close the idle ones
// at once and the others at the drain deadline. This module logs nothing.
#include "api/http_server.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <chrono>
#include <string_view>
#include <thread>
#include <type_traits>
#include <unordered_set>
#include <utility>
#include <vector>

#include "common/encoding.h"
#include "common/secret.h"

namespace svault::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using asio::awaitable;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr uint32_t kHeaderLimit = 16 * 1024;
constexpr seconds kReadTimeout{30};  // idle keep-alive wait, and each read or write phase
constexpr seconds kHandshakeTimeout{10};
constexpr seconds kCloseTimeout{2};  // TLS close_notify, and discarding unread input
constexpr size_t kMaxDiscardBytes = 16 * 1024 * 1024;
// Room the read buffer gets for a body: Beast reads at most what the buffer has room for, and
// its buffer keeps the 512 bytes of the first header, so a 60 KB body took 120 reads.
constexpr size_t kBodyReadBytes = 64 * 1024;
constexpr size_t kChunkedReadBytes = 16 * 1024;    // a chunked body's length is not known
constexpr size_t kIdleReadBufferBytes = 4 * 1024;  // kept between requests
constexpr milliseconds kAcceptRetryDelay{50};

using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;
using Parser = http::request_parser<http::string_body>;
using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// Completion token for coroutines: failures land in `ec` instead of being thrown.
auto Await(beast::error_code& ec) { return asio::redirect_error(asio::use_awaitable, ec); }

// What every connection reads and nothing changes after Create().
struct Config {
  size_t max_body_bytes = 0;
  Handler handler;
  OversizeHandler oversize;
  std::unique_ptr<ssl::context> tls;  // null for plain HTTP
};

// A live connection as its worker sees it.
class Connection {
 public:
  virtual ~Connection() = default;
  // Aborts every pending operation; the owning coroutine then winds down.
  virtual void Close() = 0;
  // True while the connection waits on a client with no request in flight (before the next
  // request, during the TLS handshake, while closing).
  bool idle() const { return idle_; }

 protected:
  bool idle_ = true;
};

// One thread's share of the server. After Run() starts, it is touched only from its own thread
// (Stop() reaches it through post()).
struct Worker {
  ~Worker() { destroying = true; }  // frames destroyed with `ioc` must not touch the timers

  void Remove(Connection* connection);
  void BeginDrain(milliseconds drain);
  void CloseAll();

  std::unordered_set<Connection*> connections;  // declared before `ioc` so it outlives the frames
  asio::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  asio::steady_timer drain_deadline{ioc};
  asio::steady_timer accept_retry{ioc};
  bool draining = false;
  bool destroying = false;
};

void Worker::Remove(Connection* connection) {
  connections.erase(connection);
  if (draining && connections.empty() && !destroying) drain_deadline.cancel();
}

// Stops accepting and closes idle connections; busy ones close after their response, or at the
// deadline. The io_context then runs out of work and its thread returns.
void Worker::BeginDrain(milliseconds drain) {
  draining = true;
  beast::error_code ec;
  acceptor.close(ec);
  accept_retry.cancel();
  for (Connection* connection : connections) {
    if (connection->idle()) connection->Close();
  }
  if (connections.empty()) return;
  drain_deadline.expires_after(drain);
  drain_deadline.async_wait([this](beast::error_code ec) {
    if (!ec) CloseAll();
  });
}

void Worker::CloseAll() {
  for (Connection* connection : connections) connection->Close();
}

// "ip:port", with IPv4-mapped addresses shown as IPv4 and IPv6 in brackets.
std::string FormatEndpoint(const tcp::endpoint& endpoint) {
  asio::ip::address address = endpoint.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  std::string host = address.to_string();
  if (address.is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(endpoint.port());
}

std::string DescribePeer(const tcp::socket& socket) {
  beast::error_code ec;
  tcp::endpoint peer = socket.remote_endpoint(ec);
  return ec ? std::string("unknown") : FormatEndpoint(peer);
}

// The project's error shape. Every argument is a constant or a hex id: nothing needs escaping.
std::string ErrorBody(Code code, std::string_view message, std::string_view request_id) {
  std::string body = R"({"error":{"code":")";
  body.append(CodeName(code)).append(R"(","message":")").append(message);
  body.append(R"(","details":[]},"request_id":")").append(request_id).append(R"("})");
  return body;
}

HttpResponse ErrorResponse(int status, Code code, std::string_view message,
                           std::string_view request_id) {
  HttpResponse response;
  response.status = status;
  response.body = ErrorBody(code, message, request_id);
  return response;
}

// Handlers are not expected to throw; if one does, the client gets a 500 and the connection lives.
HttpResponse Call(const OversizeHandler& handler, const HttpRequest& request) {
  try {
    return handler(request);
  } catch (...) {
    return ErrorResponse(500, Code::kInternal, "internal error", request.request_id);
  }
}

awaitable<HttpResponse> Call(const Handler& handler, const HttpRequest& request) {
  try {
    co_return co_await handler(request);
  } catch (...) {
  }
  co_return ErrorResponse(500, Code::kInternal, "internal error", request.request_id);
}

HttpRequest FromHeader(const http::request_header<>& header, const std::string& client) {
  HttpRequest request;
  request.method = header.method_string();
  request.target = header.target();
  size_t question = request.target.find('?');
  request.path = request.target.substr(0, question);
  if (question != std::string::npos) request.query = request.target.substr(question + 1);
  request.authorization = header[http::field::authorization];
  request.content_type = header[http::field::content_type];
  request.client_address = client;
  request.request_id = RandomId("req_");
  return request;
}

// A parse failure the client should hear about (as opposed to the peer going away mid-message).
bool IsMalformed(const beast::error_code& ec) {
  if (ec.category() != http::make_error_code(http::error::bad_method).category()) return false;
  return ec != http::error::end_of_stream && ec != http::error::partial_message;
}

bool ExpectsContinue(const Parser& parser) {
  const auto& header = parser.get();
  return header.version() == 11 && !parser.is_done() &&
         beast::iequals(header[http::field::expect], "100-continue");
}

bool IsToken(std::string_view name) {
  constexpr std::string_view kSymbols = "!#$%&'*+-.^_`|~";
  return !name.empty() && std::all_of(name.begin(), name.end(), [&](unsigned char c) {
    return std::isalnum(c) || kSymbols.find(static_cast<char>(c)) != std::string_view::npos;
  });
}

// Extra headers may not break the framing, which belongs to the listener, nor inject lines.
bool IsAllowedHeader(std::string_view name, std::string_view value) {
  for (std::string_view reserved :
       {"content-length", "transfer-encoding", "connection", "content-type", "x-request-id"}) {
    if (beast::iequals(name, reserved)) return false;
  }
  return IsToken(name) && value.find_first_of(std::string_view("\r\n\0", 3)) == value.npos;
}

http::response<http::string_body> ToMessage(HttpResponse response, const std::string& request_id,
                                            unsigned version, bool keep_alive) {
  http::response<http::string_body> message;
  message.version(version);
  int status = response.status >= 200 && response.status <= 599 ? response.status : 500;
  message.result(static_cast<unsigned>(status));
  for (const auto& [name, value] : response.headers) {
    if (IsAllowedHeader(name, value)) message.insert(name, value);
  }
  message.set("X-Request-Id", request_id);
  if (status != 204 && status != 304) {
    if (!response.content_type.empty())
      message.set(http::field::content_type, response.content_type);
    message.body() = std::move(response.body);
  }
  message.keep_alive(keep_alive);
  message.prepare_payload();
  return message;
}

// One connection: reads requests, calls the handlers, writes the answers. Lives in the frame of
// the coroutine that serves the connection, on the worker that accepted it.
template <class Stream>
class Session final : public Connection {
 public:
  template <class... Args>
  Session(Worker& worker, const Config& config, std::string client, Args&&... stream_args)
      : worker_(worker),
        config_(config),
        client_(std::move(client)),
        stream_(std::forward<Args>(stream_args)...) {
    worker_.connections.insert(this);
  }
  ~Session() override { worker_.Remove(this); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void Close() override { beast::get_lowest_layer(stream_).close(); }
  awaitable<bool> Handshake();  // TLS only
  awaitable<void> Serve();

 private:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  awaitable<bool> ServeOne();
  awaitable<bool> ServeBody(Parser& parser, HttpRequest request);
  void WipeReadBuffer();
  awaitable<bool> RejectOversize(const HttpRequest& request, unsigned version, bool head);
  awaitable<bool> RejectMalformed();
  awaitable<bool> Write(HttpResponse response, const std::string& request_id, unsigned version,
                        bool keep_alive, bool head);
  awaitable<void> SendContinue();
  awaitable<void> Finish();
  awaitable<void> Discard();
  void Expire(seconds timeout) { beast::get_lowest_layer(stream_).expires_after(timeout); }

  Worker& worker_;
  const Config& config_;
  std::string client_;
  Stream stream_;
  // Holds the raw request (a token, a value being written): wiped whenever it is freed,
  // including when Beast grows it, and once each request is parsed (WipeReadBuffer).
  beast::basic_flat_buffer<WipingAllocator<char>> buffer_;
  bool linger_ = false;  // the client may still be sending: drain its input before closing
};

template <class Stream>
awaitable<bool> Session<Stream>::Handshake() {
  beast::error_code ec;
  Expire(kHandshakeTimeout);
  co_await stream_.async_handshake(ssl::stream_base::server, Await(ec));
  co_return !ec;
}

template <class Stream>
awaitable<void> Session<Stream>::Serve() {
  while (!worker_.draining) {
    bool keep_alive = co_await ServeOne();
    if (!keep_alive) break;
  }
  idle_ = true;
  co_await Finish();
}

// Reads one request and answers it; false when the connection should close.
template <class Stream>
awaitable<bool> Session<Stream>::ServeOne() {
  Parser parser;
  parser.header_limit(kHeaderLimit);
  parser.body_limit(boost::none);  // the announced length is checked once the header is in

  beast::error_code ec;
  idle_ = buffer_.size() == 0;
  Expire(kReadTimeout);
  co_await http::async_read_header(stream_, buffer_, parser, Await(ec));
  idle_ = false;
  if (IsMalformed(ec)) co_return co_await RejectMalformed();
  if (ec) co_return false;
  // Two credentials in one request: which one counts would depend on who reads it. Refuse.
  if (parser.get().count(http::field::authorization) > 1) co_return co_await RejectMalformed();

  HttpRequest request = FromHeader(parser.get(), client_);
  bool head = parser.get().method() == http::verb::head;
  boost::optional<uint64_t> length = parser.content_length();
  if (length && *length > config_.max_body_bytes) {
    co_return co_await RejectOversize(request, parser.get().version(), head);
  }
  co_return co_await ServeBody(parser, std::move(request));
}

template <class Stream>
awaitable<bool> Session<Stream>::ServeBody(Parser& parser, HttpRequest request) {
  unsigned version = parser.get().version();
  bool head = parser.get().method() == http::verb::head;
  if (ExpectsContinue(parser)) co_await SendContinue();

  beast::error_code ec;
  parser.body_limit(config_.max_body_bytes);  // also bounds chunked bodies
  if (!parser.is_done()) {                    // a body follows
    const uint64_t room = parser.content_length().value_or(kChunkedReadBytes);
    buffer_.reserve(buffer_.size() + static_cast<size_t>(std::min<uint64_t>(room, kBodyReadBytes)));
  }
  Expire(kReadTimeout);
  co_await http::async_read(stream_, buffer_, parser, Await(ec));
  if (ec == http::error::body_limit) co_return co_await RejectOversize(request, version, head);
  if (IsMalformed(ec)) co_return co_await RejectMalformed();
  if (ec) co_return false;

  request.body = std::move(parser.get().body());
  WipeReadBuffer();
  bool keep_alive = parser.keep_alive() && !worker_.draining;
  HttpResponse response = co_await Call(config_.handler, request);
  WipeString(request.body);  // it may hold a value
  bool written = co_await Write(std::move(response), request.request_id, version, keep_alive, head);
  co_return written&& keep_alive;
}

// The raw request (a token, a value being written, a share being entered) is wiped from the
// read buffer once parsed, unless a pipelined next request already follows it there; a large
// buffer is then given back (and wiped by its allocator).
template <class Stream>
void Session<Stream>::WipeReadBuffer() {
  if (buffer_.size() != 0) return;
  if (buffer_.capacity() > kIdleReadBufferBytes) {
    buffer_.shrink_to_fit();  // frees it, and its allocator wipes it
    return;
  }
  const auto whole = buffer_.prepare(buffer_.capacity());
  WipeBytes(whole.data(), whole.size());
}

template <class Stream>
awaitable<bool> Session<Stream>::RejectOversize(const HttpRequest& request, unsigned version,
                                                bool head) {
  linger_ = true;
  HttpResponse response = Call(config_.oversize, request);
  co_await Write(std::move(response), request.request_id, version, false, head);
  co_return false;
}

template <class Stream>
awaitable<bool> Session<Stream>::RejectMalformed() {
  linger_ = true;
  std::string request_id = RandomId("req_");
  HttpResponse response =
      ErrorResponse(400, Code::kBadRequest, "malformed HTTP request", request_id);
  co_await Write(std::move(response), request_id, 11, false, false);
  co_return false;
}

// Writes a response; a HEAD request gets the header alone. False when the write failed.
template <class Stream>
awaitable<bool> Session<Stream>::Write(HttpResponse response, const std::string& request_id,
                                       unsigned version, bool keep_alive, bool head) {
  auto message = ToMessage(std::move(response), request_id, version, keep_alive);
  http::response_serializer<http::string_body> serializer(message);
  beast::error_code ec;
  Expire(kReadTimeout);
  if (head) {
    co_await http::async_write_header(stream_, serializer, Await(ec));
  } else {
    co_await http::async_write(stream_, serializer, Await(ec));
  }
  WipeString(message.body());  // a revealed value; kernel and TLS buffers are out of reach
  co_return !ec;
}

// A failed write shows up as a failed body read right after, so its error is not checked here.
template <class Stream>
awaitable<void> Session<Stream>::SendContinue() {
  http::response<http::empty_body> message{http::status::continue_, 11};
  beast::error_code ec;
  Expire(kReadTimeout);
  co_await http::async_write(stream_, message, Await(ec));
}

template <class Stream>
awaitable<void> Session<Stream>::Finish() {
  beast::error_code ec;
  if constexpr (kTls) {
    if (linger_) co_await Discard();
    Expire(kCloseTimeout);
    co_await stream_.async_shutdown(Await(ec));
  } else {
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (linger_) co_await Discard();
  }
  Close();
}

// Reads and drops what the client is still sending (bounded in time and bytes): closing with
// unread input makes the kernel send a reset, which can destroy the answer before it is read.
template <class Stream>
awaitable<void> Session<Stream>::Discard() {
  std::array<char, 16 * 1024> scratch;
  size_t discarded = 0;
  beast::error_code ec;
  Expire(kCloseTimeout);  // one deadline for the whole loop
  while (!ec && discarded < kMaxDiscardBytes) {
    discarded += co_await stream_.async_read_some(asio::buffer(scratch), Await(ec));
  }
}

awaitable<void> ServePlain(Worker& worker, const Config& config, tcp::socket socket) {
  if (worker.draining) co_return;
  std::string client = DescribePeer(socket);
  Session<PlainStream> session(worker, config, std::move(client), std::move(socket));
  co_await session.Serve();
}

awaitable<void> ServeTls(Worker& worker, const Config& config, tcp::socket socket) {
  if (worker.draining) co_return;
  std::string client = DescribePeer(socket);
  Session<TlsStream> session(worker, config, std::move(client), std::move(socket), *config.tls);
  if (co_await session.Handshake()) co_await session.Serve();  // a failed handshake just closes
}

awaitable<void> AcceptLoop(Worker& worker, const Config& config) {
  while (!worker.draining) {
    beast::error_code ec;
    tcp::socket socket = co_await worker.acceptor.async_accept(Await(ec));
    if (worker.draining) break;
    if (ec) {  // e.g. out of file descriptors: back off instead of spinning
      worker.accept_retry.expires_after(kAcceptRetryDelay);
      co_await worker.accept_retry.async_wait(Await(ec));
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    if (config.tls) {
      asio::co_spawn(worker.ioc, ServeTls(worker, config, std::move(socket)), asio::detached);
    } else {
      asio::co_spawn(worker.ioc, ServePlain(worker, config, std::move(socket)), asio::detached);
    }
  }
}

Status TlsError(std::string message) {
  ERR_clear_error();  // leave no stale entries in this thread's OpenSSL error queue
  return Unavailable(std::move(message));
}

// Null for plain HTTP. Messages name the files, never their contents.
Result<std::unique_ptr<ssl::context>> LoadTls(const HttpServerOptions& options) {
  if (options.tls_cert_file.empty() && options.tls_key_file.empty()) {
    return std::unique_ptr<ssl::context>();
  }
  if (options.tls_cert_file.empty() || options.tls_key_file.empty()) {
    return Unavailable("TLS needs both a certificate file and a key file");
  }
  auto context = std::make_unique<ssl::context>(ssl::context::tls_server);
  context->set_options(ssl::context::default_workarounds | ssl::context::single_dh_use);
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
  // An encrypted key must fail to load, not prompt on the terminal.
  context->set_password_callback([](size_t, ssl::context::password_purpose) { return ""; });

  beast::error_code ec;
  context->use_certificate_chain_file(options.tls_cert_file, ec);
  if (ec) return TlsError("cannot load TLS certificate chain from " + options.tls_cert_file);
  context->use_private_key_file(options.tls_key_file, ssl::context::pem, ec);
  if (ec) return TlsError("cannot load TLS private key from " + options.tls_key_file);
  if (SSL_CTX_check_private_key(context->native_handle()) != 1) {
    return TlsError("TLS private key " + options.tls_key_file + " does not match certificate " +
                    options.tls_cert_file);
  }
  return context;
}

Result<tcp::endpoint> ParseEndpoint(const HttpServerOptions& options) {
  std::string host = options.listen_address == "localhost" ? "127.0.0.1" : options.listen_address;
  beast::error_code ec;
  asio::ip::address address = asio::ip::make_address(host, ec);
  if (ec) return Unavailable("cannot listen on " + options.listen_address + ": not an IP address");
  return tcp::endpoint(address, options.port);
}

Status BindError(const tcp::endpoint& endpoint, const beast::error_code& ec) {
  return Unavailable("cannot listen on " + FormatEndpoint(endpoint) + ": " + ec.message());
}

// SO_REUSEPORT would let this server share a port, silently, with a listener of the same user
// (a second vault started by mistake, say). A plain bind first turns that into an error.
Status CheckPortFree(asio::io_context& ioc, const tcp::endpoint& endpoint) {
  if (endpoint.port() == 0) return Status::Ok();
  tcp::acceptor probe(ioc);
  beast::error_code ec;
  probe.open(endpoint.protocol(), ec);
  if (!ec) probe.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) probe.bind(endpoint, ec);
  if (ec) return BindError(endpoint, ec);
  return Status::Ok();
}

Status BindAcceptor(tcp::acceptor& acceptor, const tcp::endpoint& endpoint) {
  beast::error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.set_option(ReusePort(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return BindError(endpoint, ec);
  return Status::Ok();
}

size_t WorkerCount(int threads) {
  if (threads > 0) return static_cast<size_t>(threads);
  return std::max(1u, std::thread::hardware_concurrency());
}

class HttpServerImpl final : public HttpServer {
 public:
  HttpServerImpl(Config config, size_t workers) : config_(std::move(config)) {
    for (size_t i = 0; i < workers; ++i) workers_.push_back(std::make_unique<Worker>());
  }

  Status Listen(const HttpServerOptions& options);
  uint16_t port() const override { return port_; }
  void Run() override;
  void Stop(int drain_ms) override;

 private:
  Config config_;  // declared before the workers: sessions refer to it until they end
  std::vector<std::unique_ptr<Worker>> workers_;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
};

// With port 0 the first acceptor picks the port and the others join it.
Status HttpServerImpl::Listen(const HttpServerOptions& options) {
  SVAULT_ASSIGN_OR_RETURN(tcp::endpoint endpoint, ParseEndpoint(options));
  SVAULT_RETURN_IF_ERROR(CheckPortFree(workers_.front()->ioc, endpoint));
  for (auto& worker : workers_) {
    SVAULT_RETURN_IF_ERROR(BindAcceptor(worker->acceptor, endpoint));
    beast::error_code ec;
    tcp::endpoint bound = worker->acceptor.local_endpoint(ec);
    if (ec) return BindError(endpoint, ec);
    endpoint.port(bound.port());
  }
  port_ = endpoint.port();
  return Status::Ok();
}

void HttpServerImpl::Run() {
  for (auto& worker : workers_) {
    asio::co_spawn(worker->ioc, AcceptLoop(*worker, config_), asio::detached);
  }
  std::vector<std::thread> threads;
  for (auto& worker : workers_) {
    threads.emplace_back([&ioc = worker->ioc] { ioc.run(); });
  }
  for (std::thread& thread : threads) thread.join();
}

void HttpServerImpl::Stop(int drain_ms) {
  if (stopping_.exchange(true)) return;
  milliseconds drain(std::max(drain_ms, 0));
  for (auto& worker : workers_) {
    asio::post(worker->ioc, [&worker = *worker, drain] { worker.BeginDrain(drain); });
  }
}

}  // namespace

Handler Immediate(std::function<HttpResponse(const HttpRequest&)> answer) {
  return [answer = std::move(answer)](const HttpRequest& request) -> awaitable<HttpResponse> {
    return [](const std::function<HttpResponse(const HttpRequest&)>& answer,
              const HttpRequest& request) -> awaitable<HttpResponse> {
      co_return answer(request);
    }(answer, request);
  };
}

Result<std::unique_ptr<HttpServer>> HttpServer::Create(const HttpServerOptions& options,
                                                       Handler handler, OversizeHandler oversize) {
  Config config;
  config.max_body_bytes = options.max_body_bytes;
  config.handler = std::move(handler);
  config.oversize = std::move(oversize);
  SVAULT_ASSIGN_OR_RETURN(config.tls, LoadTls(options));

  auto server = std::make_unique<HttpServerImpl>(std::move(config), WorkerCount(options.threads));
  SVAULT_RETURN_IF_ERROR(server->Listen(options));
  return std::unique_ptr<HttpServer>(std::move(server));
}

}  // namespace svault::api
