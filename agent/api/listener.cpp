#include "agent/api/listener.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <chrono>
#include <utility>

#include "agent/api/session.hpp"

namespace pydio::agent::api {

namespace beast = boost::beast;

namespace {
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};
// An attacker can make every accept evict: one line a minute says so without flooding.
constexpr std::chrono::minutes kPressureReportInterval{1};
}  // namespace

template <class Protocol>
Listener<Protocol>::Listener(boost::asio::io_context& ioc, Acceptor&& acceptor,
                             std::shared_ptr<const ServerOptions> options, std::string description)
    : ioc_(ioc),
      acceptor_(std::move(acceptor)),
      retry_timer_(ioc),
      options_(std::move(options)),
      description_(std::move(description)),
      connections_(std::make_shared<ConnectionLimit>(options_->max_connections)) {}

template <class Protocol>
void Listener<Protocol>::run() {
  accept();
}

template <class Protocol>
void Listener<Protocol>::stop() {
  // Closing from the io_context thread keeps the acceptor single-threaded.
  boost::asio::post(ioc_, [self = this->shared_from_this()] {
    beast::error_code ignored;
    self->retry_timer_.cancel();
    self->acceptor_.close(ignored);
  });
}

template <class Protocol>
void Listener<Protocol>::accept() {
  // Each connection gets its own strand so its handlers never run concurrently.
  acceptor_.async_accept(boost::asio::make_strand(ioc_),
                         beast::bind_front_handler(&Listener::on_accept, this->shared_from_this()));
}

template <class Protocol>
void Listener<Protocol>::on_accept(beast::error_code ec, typename Protocol::socket socket) {
  if (ec == boost::asio::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec) {
    spdlog::warn("{}: accept: {}", description_, ec.message());
    retry_timer_.expires_after(kAcceptRetryDelay);
    retry_timer_.async_wait([self = this->shared_from_this()](beast::error_code wait_ec) {
      if (!wait_ec) self->accept();
    });
    return;
  }
  std::make_shared<Session<Protocol>>(std::move(socket), options_, connections_)->run();
  report_pressure();
  accept();
}

template <class Protocol>
void Listener<Protocol>::report_pressure() {
  const std::uint64_t evicted = connections_->evicted();
  const std::uint64_t refused = connections_->refused();
  if (evicted == reported_evicted_ && refused == reported_refused_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now < next_report_) return;
  spdlog::warn(
      "{}: at the cap of {} connections: closed {} idle connection(s) to admit new ones, "
      "refused {} (every connection busy) since the last report",
      description_, connections_->max_connections(), evicted - reported_evicted_,
      refused - reported_refused_);
  reported_evicted_ = evicted;
  reported_refused_ = refused;
  next_report_ = now + kPressureReportInterval;
}

template class Listener<boost::asio::ip::tcp>;
template class Listener<boost::asio::local::stream_protocol>;

}  // namespace pydio::agent::api
