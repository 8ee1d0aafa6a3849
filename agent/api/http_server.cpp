#include "agent/api/http_server.hpp"

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>

#include <boost/system/system_error.hpp>
#include <cerrno>
#include <cstring>
#include <utility>

#include "agent/api/listener.hpp"

namespace pydio::agent::api {

namespace net = boost::asio;
using common::Expected;
using common::Status;

namespace {

constexpr mode_t kSocketDirMode = 0700;
constexpr mode_t kSocketMode = 0600;

std::string errno_text() { return std::strerror(errno); }

// Makes `dir` (one level) with mode 0700, or tightens an existing directory to 0700.
Status prepare_socket_dir(const std::string& dir) {
  if (::mkdir(dir.c_str(), kSocketDirMode) != 0 && errno != EEXIST) {
    return Status::error("mkdir " + dir + ": " + errno_text());
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return Status::error("stat " + dir + ": " + errno_text());
  if (!S_ISDIR(st.st_mode)) return Status::error(dir + ": not a directory");
  if ((st.st_mode & 07777) != kSocketDirMode && ::chmod(dir.c_str(), kSocketDirMode) != 0) {
    return Status::error("chmod 0700 " + dir + ": " + errno_text());
  }
  return Status::ok();
}

// Removes a socket file left behind by a previous run. A socket someone still answers on is
// another live agent: refuse rather than steal its endpoint.
Status remove_stale_socket(net::io_context& ioc, const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::ok();
    return Status::error("stat " + path + ": " + errno_text());
  }
  if (!S_ISSOCK(st.st_mode)) {
    return Status::error(path + ": exists and is not a socket; refusing to replace it");
  }
  net::local::stream_protocol::socket probe(ioc);
  boost::system::error_code ec;
  probe.connect(net::local::stream_protocol::endpoint(path), ec);
  if (!ec) return Status::error(path + ": another process is listening on it");
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return Status::error("remove stale socket " + path + ": " + errno_text());
  }
  return Status::ok();
}

}  // namespace

Expected<std::pair<std::string, std::uint16_t>> split_host_port(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 == text.size()) {
    return Status::error("listen address \"" + text + "\": expected host:port");
  }
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const std::string port_text = text.substr(colon + 1);
  if (port_text.find_first_not_of("0123456789") != std::string::npos || port_text.size() > 5) {
    return Status::error("listen address \"" + text + "\": port must be a number");
  }
  const unsigned long port = std::stoul(port_text);
  if (port > 65535) return Status::error("listen address \"" + text + "\": port out of range");
  if (host.empty()) return Status::error("listen address \"" + text + "\": empty host");
  return std::make_pair(host, static_cast<std::uint16_t>(port));
}

HttpServer::HttpServer(net::io_context& ioc, ServerOptions options)
    : ioc_(ioc), options_(std::make_shared<const ServerOptions>(std::move(options))) {}

HttpServer::~HttpServer() { stop(); }

Expected<std::uint16_t> HttpServer::listen_tcp(const std::string& host_port) {
  auto split = split_host_port(host_port);
  if (!split) return split.status();
  const auto& [host, port] = *split;
  boost::system::error_code ec;
  const auto address = net::ip::make_address(host, ec);
  if (ec) return Status::error("listen address \"" + host_port + "\": " + ec.message());
  const net::ip::tcp::endpoint endpoint(address, port);

  net::ip::tcp::acceptor acceptor(ioc_);
  const std::string where = "listen on " + host_port;
  if (acceptor.open(endpoint.protocol(), ec); ec) return Status::error(where + ": " + ec.message());
  // A restarted agent must rebind at once, not wait for TIME_WAIT of its old connections.
  if (acceptor.set_option(net::socket_base::reuse_address(true), ec); ec) {
    return Status::error(where + ": SO_REUSEADDR: " + ec.message());
  }
  if (acceptor.bind(endpoint, ec); ec) {
    if (ec == net::error::address_in_use)
      return Status::error(where + ": bind: the port is taken by another process");
    return Status::error(where + ": bind: " + ec.message());
  }
  if (acceptor.listen(net::socket_base::max_listen_connections, ec); ec) {
    return Status::error(where + ": listen: " + ec.message());
  }
  const std::uint16_t bound_port = acceptor.local_endpoint(ec).port();
  if (ec) return Status::error(where + ": " + ec.message());

  auto listener = std::make_shared<Listener<net::ip::tcp>>(
      ioc_, std::move(acceptor), options_,
      (options_->tls ? "https://" : "http://") + host + ":" + std::to_string(bound_port));
  listener->run();
  tcp_listeners_.push_back(std::move(listener));
  return bound_port;
}

Status HttpServer::listen_unix(const std::string& path) {
  const std::string where = "listen on unix:" + path;
  const auto slash = path.rfind('/');
  if (path.empty() || path.front() != '/' || slash == std::string::npos) {
    return Status::error(where + ": socket path must be absolute");
  }
  if (path.size() >= sizeof(sockaddr_un::sun_path)) {
    return Status::error(where + ": socket path longer than " +
                         std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " bytes");
  }
  if (slash > 0) {
    if (Status st = prepare_socket_dir(path.substr(0, slash)); !st) return st.with_context(where);
  }
  if (Status st = remove_stale_socket(ioc_, path); !st) return st.with_context(where);

  using Local = net::local::stream_protocol;
  Local::acceptor acceptor(ioc_);
  boost::system::error_code ec;
  if (acceptor.open(Local(), ec); ec) return Status::error(where + ": " + ec.message());
  if (acceptor.bind(Local::endpoint(path), ec); ec) {
    return Status::error(where + ": bind: " + ec.message());
  }
  // bind() creates the file with the process umask; tighten it before anyone can be told about
  // it. The 0700 directory already keeps others out during that instant.
  if (::chmod(path.c_str(), kSocketMode) != 0) {
    const std::string reason = errno_text();
    ::unlink(path.c_str());
    return Status::error(where + ": chmod 0600: " + reason);
  }
  if (acceptor.listen(net::socket_base::max_listen_connections, ec); ec) {
    ::unlink(path.c_str());
    return Status::error(where + ": listen: " + ec.message());
  }

  auto listener =
      std::make_shared<Listener<Local>>(ioc_, std::move(acceptor), options_, "unix:" + path);
  listener->run();
  unix_listeners_.push_back(std::move(listener));
  unix_paths_.push_back(path);
  return Status::ok();
}

void HttpServer::stop() {
  for (auto& listener : tcp_listeners_) listener->stop();
  for (auto& listener : unix_listeners_) listener->stop();
  tcp_listeners_.clear();
  unix_listeners_.clear();
  for (const auto& path : unix_paths_) ::unlink(path.c_str());
  unix_paths_.clear();
}

}  // namespace pydio::agent::api
