#include "agent/daemon/metrics_endpoint.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

namespace pydio::agent {

namespace {
constexpr std::chrono::seconds kRetryInterval{2};
constexpr int kRepeatEvery = 30;  // a failure is logged again every 30 tries (1 min)
}  // namespace

MetricsEndpoint::MetricsEndpoint(boost::asio::io_context& ioc, api::ServerOptions options,
                                 std::string listen)
    : ioc_(ioc), options_(std::move(options)), listen_(std::move(listen)), timer_(ioc) {}

void MetricsEndpoint::start() {
  if (listen_.empty()) {
    spdlog::info("metrics: no listener (metricsListen is \"\")");
    return;
  }
  if (!try_listen()) schedule();
}

void MetricsEndpoint::schedule() {
  timer_.expires_after(kRetryInterval);
  timer_.async_wait([this](const boost::system::error_code& error) {
    if (error) return;
    if (!try_listen()) schedule();
  });
}

bool MetricsEndpoint::try_listen() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (server_ || stopped_) return true;
  auto server = std::make_unique<api::HttpServer>(ioc_, options_);
  auto port = server->listen_tcp(listen_);
  if (!port) {
    if (failures_ % kRepeatEvery == 0)
      spdlog::warn("metrics endpoint: {}; trying again every {} s", port.status().message(),
                   kRetryInterval.count());
    ++failures_;
    return false;
  }
  spdlog::info("metrics on http://{}/metrics", listen_);
  server_ = std::move(server);
  return true;
}

void MetricsEndpoint::stop() {
  std::lock_guard<std::mutex> lock(mutex_);
  stopped_ = true;
  timer_.cancel();
  if (server_) server_->stop();
}

}  // namespace pydio::agent
