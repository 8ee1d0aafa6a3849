#pragma once
// Accepts connections on one bound acceptor and starts a Session for each, within the
// options' max_connections (ConnectionLimit: at the cap the longest-idle connection is
// closed; evictions and refusals are logged at most once a minute). Accept errors (e.g. out
// of file descriptors) are logged and accepting goes on after a short pause, so a burst of
// connections never stops the endpoint for good. Instantiated for TCP and unix-domain stream
// sockets (listener.cpp).

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "agent/api/connection_limit.hpp"
#include "agent/api/server_options.hpp"

namespace pydio::agent::api {

template <class Protocol>
class Listener : public std::enable_shared_from_this<Listener<Protocol>> {
 public:
  using Acceptor = typename Protocol::acceptor;

  // REQUIRES: `acceptor` is open, bound and listening.
  Listener(boost::asio::io_context& ioc, Acceptor&& acceptor,
           std::shared_ptr<const ServerOptions> options, std::string description);
  void run();
  // Stops accepting; connections already accepted finish on their own (idle timeout).
  void stop();

 private:
  void accept();
  void on_accept(boost::beast::error_code ec, typename Protocol::socket socket);
  // Logs evictions and refusals since the last report, at most once a minute.
  void report_pressure();

  boost::asio::io_context& ioc_;
  Acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;
  std::shared_ptr<const ServerOptions> options_;
  std::string description_;  // "http://127.0.0.1:8480" or "unix:/run/pydio-agent/admin.sock"
  std::shared_ptr<ConnectionLimit> connections_;
  // Touched only by the accept chain (one accept at a time): no lock.
  std::uint64_t reported_evicted_ = 0;
  std::uint64_t reported_refused_ = 0;
  std::chrono::steady_clock::time_point next_report_{};
};

extern template class Listener<boost::asio::ip::tcp>;
extern template class Listener<boost::asio::local::stream_protocol>;

}  // namespace pydio::agent::api
