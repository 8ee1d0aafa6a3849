#include "agent/api/agent_check.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>

#include "agent/api/http_server.hpp"

namespace pydio::agent::api {

namespace net = boost::asio;
using tcp = net::ip::tcp;

std::string agent_check_reply(bool draining) { return draining ? "drain\n" : "ready up\n"; }

AgentCheckListener::AgentCheckListener(net::io_context& ioc, Reply reply)
    : ioc_(ioc),
      acceptor_(ioc),
      retry_timer_(ioc),
      reply_(std::move(reply)),
      connections_(std::make_shared<ConnectionLimit>(kMaxConnections)) {}

common::Status AgentCheckListener::listen(const std::string& host_port) {
  auto split = split_host_port(host_port);
  if (!split) return split.status();
  description_ = "agent-check " + host_port;
  boost::system::error_code ec;
  const auto address = net::ip::make_address(split->first, ec);
  if (ec) return common::Status::error(description_ + ": " + ec.message());
  const tcp::endpoint endpoint(address, split->second);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    return common::Status::error(description_ + ": " + ec.message());
  }
  accept();
  return common::Status::ok();
}

void AgentCheckListener::stop() {
  net::post(ioc_, [self = shared_from_this()] {
    boost::system::error_code ignored;
    self->retry_timer_.cancel();
    self->acceptor_.close(ignored);
  });
}

std::uint16_t AgentCheckListener::port() const {
  boost::system::error_code ec;
  const auto endpoint = acceptor_.local_endpoint(ec);
  return ec ? 0 : endpoint.port();
}

void AgentCheckListener::accept() {
  acceptor_.async_accept(
      net::make_strand(ioc_),
      [self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
        self->on_accept(ec, std::move(socket));
      });
}

void AgentCheckListener::on_accept(boost::system::error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec) {
    // E.g. out of descriptors: try again shortly rather than spin.
    spdlog::warn("{}: accept: {}", description_, ec.message());
    retry_timer_.expires_after(std::chrono::milliseconds(100));
    retry_timer_.async_wait([self = shared_from_this()](boost::system::error_code wait_ec) {
      if (!wait_ec) self->accept();
    });
    return;
  }
  auto shared = std::make_shared<tcp::socket>(std::move(socket));
  auto id = connections_->admit([shared] {
    net::post(shared->get_executor(), [shared] {
      boost::system::error_code ignored;
      shared->close(ignored);
    });
  });
  if (id) {
    auto line = std::make_shared<std::string>(reply_());
    net::async_write(
        *shared, net::buffer(*line),
        [shared, line, id, connections = connections_](boost::system::error_code, std::size_t) {
          boost::system::error_code ignored;
          shared->shutdown(tcp::socket::shutdown_both, ignored);
          shared->close(ignored);
          connections->remove(*id);
        });
  } else {
    boost::system::error_code ignored;
    shared->close(ignored);
  }
  accept();
}

}  // namespace pydio::agent::api
