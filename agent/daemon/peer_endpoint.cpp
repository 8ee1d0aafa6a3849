#include "agent/daemon/peer_endpoint.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

namespace pydio::agent {

namespace {
constexpr std::chrono::seconds kRetryInterval{2};
constexpr int kRepeatEvery = 30;  // an unchanged failure is logged again every 30 tries (1 min)
}  // namespace

PeerEndpoint::PeerEndpoint(boost::asio::io_context& ioc, const trust::NodeTrust& trust,
                           api::ServerOptions options, std::string listen)
    : ioc_(ioc),
      trust_(trust),
      options_(std::move(options)),
      listen_(std::move(listen)),
      timer_(ioc) {}

void PeerEndpoint::start() {
  if (!ensure_listening()) schedule();
}

void PeerEndpoint::schedule() {
  timer_.expires_after(kRetryInterval);
  timer_.async_wait([this](const boost::system::error_code& error) {
    if (error) return;
    if (!ensure_listening()) schedule();
  });
}

bool PeerEndpoint::ensure_listening() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (server_ || stopped_) return true;
  auto tls = trust_.server_context();
  if (!tls) return false;  // before init or join: nothing to serve yet
  api::ServerOptions options = options_;
  options.tls = tls;
  options.current_tls = [&trust = trust_] { return trust.server_context(); };
  auto server = std::make_unique<api::HttpServer>(ioc_, options);
  auto port = server->listen_tcp(listen_);
  if (!port) {
    const std::string error = port.status().message();
    if (error != last_error_ || failures_ % kRepeatEvery == 0) {
      spdlog::warn("peer API: {}; trying again every {} s", error, kRetryInterval.count());
    }
    last_error_ = error;
    ++failures_;
    return false;
  }
  if (failures_ > 0) {
    spdlog::info("peer API: bound {} after {} failed tries", listen_, failures_);
  }
  spdlog::info("peer API on https://{} (TLS, node certificates of CA {})", listen_,
               trust_.ca_pin());
  server_ = std::move(server);
  failures_ = 0;
  last_error_.clear();
  return true;
}

void PeerEndpoint::stop() {
  std::lock_guard<std::mutex> lock(mutex_);
  stopped_ = true;
  timer_.cancel();
  if (server_) server_->stop();
}

}  // namespace pydio::agent
