// The HTTP/1.1 listener: Boost.Beast with keep-alive, one io_context per worker thread, each with
// its own SO_REUSEPORT acceptor, optional TLS. It parses bytes into HttpRequest, calls the
// handler, and writes the HttpResponse back. It holds no domain logic.
#ifndef SVAULT_API_HTTP_SERVER_H_
#define SVAULT_API_HTTP_SERVER_H_

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "api/http_types.h"
#include "common/status.h"

namespace svault::api {

struct HttpServerOptions {
  // An IPv4 or IPv6 literal, or "localhost" (127.0.0.1); no name lookup.
  std::string listen_address = "127.0.0.1";
  uint16_t port = 8200;  // 0 picks a free port; see HttpServer::port()
  int threads = 0;       // 0 = one per core
  size_t max_body_bytes = 4 * 1024 * 1024;
  std::string tls_cert_file;  // both set = TLS; both empty = plain HTTP
  std::string tls_key_file;
};

// Called for every parsed request, on a worker thread, possibly concurrently. The answer is
// awaited on that worker, so a handler that waits (for a disk, say) must do so asynchronously;
// the request outlives the awaitable.
using Handler = std::function<boost::asio::awaitable<HttpResponse>(const HttpRequest&)>;
// A handler that answers at once, as a Handler.
Handler Immediate(std::function<HttpResponse(const HttpRequest&)> answer);
// Called instead of Handler when a request body exceeds max_body_bytes; it chooses the answer
// (413, or 503 when sealed: sealed state is checked before size). The request has no body; an
// announced Content-Length over the limit is refused before any body is read, a chunked body once
// it crosses the limit. The connection closes after this answer. A request that does not parse
// as HTTP gets a 400 in the project's error shape from the listener itself, and calls neither.
using OversizeHandler = std::function<HttpResponse(const HttpRequest&)>;

class HttpServer {
 public:
  // Binds and listens; fails (kUnavailable) when the address cannot be bound (including a port
  // another listener holds, SO_REUSEPORT or not) or TLS files cannot be loaded (or only one of
  // the two is set). Messages name the address or file, never file contents. Does not serve
  // until Run().
  static Result<std::unique_ptr<HttpServer>> Create(const HttpServerOptions& options,
                                                    Handler handler, OversizeHandler oversize);
  virtual ~HttpServer() = default;

  // The bound port (useful with port 0).
  virtual uint16_t port() const = 0;
  // Serves until Stop(); blocks the calling thread, which does not serve itself. Call it once;
  // it must have returned before the server is destroyed.
  virtual void Run() = 0;
  // Stops accepting, lets in-flight requests finish (bounded by `drain_ms`), closes idle
  // keep-alive connections, then makes Run() return. Safe from any thread and from a signal
  // watcher (a thread waiting on signals, e.g. asio::signal_set; it is not async-signal-safe, so
  // not from a raw signal handler). Does not block; later calls do nothing. Before Run(), it makes
  // Run() return at once. A handler still running at the deadline delays Run() until it returns.
  virtual void Stop(int drain_ms = 10'000) = 0;
};

}  // namespace svault::api

#endif  // SVAULT_API_HTTP_SERVER_H_
