#pragma once
// The agent's HTTP/1.1 server: one handler, any number of endpoints on one io_context, TCP
// ("host:port", for GET /health and the peer API) and unix-domain sockets (the root-only admin
// API). Connections are kept alive; every read and write has the idle timeout; request bodies
// over the limit get 413. The handler runs on the io_context thread and must not block;
// requests the options mark `blocking` run on the `offload` pool instead (server_options.hpp).
//
// Thread safety: listen_*() and stop() are called from one thread (the one that owns the
// server); the io_context may be run by any number of threads.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "agent/api/server_options.hpp"
#include "common/status.hpp"

namespace pydio::agent::api {

template <class Protocol>
class Listener;

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& ioc, ServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds "host:port" ("0.0.0.0:8480", "127.0.0.1:0", "[::1]:8480") and starts accepting once
  // the io_context runs. Port 0 picks a free port. Returns the bound port.
  common::Expected<std::uint16_t> listen_tcp(const std::string& host_port);

  // Listens on a unix socket at `path`. Creates the parent directory with mode 0700 (or sets
  // 0700 on it if it exists), removes a stale socket file left by a previous run, and leaves the
  // socket file with mode 0600, so only root (the owner) can connect. Refuses when `path`
  // exists and is not a socket, or when another process still answers on it.
  common::Status listen_unix(const std::string& path);

  // Stops accepting on every endpoint and removes the unix socket files this server created.
  // Connections in progress end on their own (idle timeout) or when the io_context stops.
  void stop();

 private:
  boost::asio::io_context& ioc_;
  std::shared_ptr<const ServerOptions> options_;
  std::vector<std::shared_ptr<Listener<boost::asio::ip::tcp>>> tcp_listeners_;
  std::vector<std::shared_ptr<Listener<boost::asio::local::stream_protocol>>> unix_listeners_;
  std::vector<std::string> unix_paths_;
};

// Splits "host:port" / "[v6]:port". Errors name the offending text.
common::Expected<std::pair<std::string, std::uint16_t>> split_host_port(const std::string& text);

}  // namespace pydio::agent::api
