#include "agent/daemon/retrying_listener.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

namespace pydio::agent {

namespace {
constexpr std::chrono::seconds kRetryInterval{2};
constexpr int kRepeatEvery = 30;  // a failure is logged again every 30 tries (1 min)
}  // namespace

RetryingListener::RetryingListener(boost::asio::io_context& ioc, std::string what,
                                   api::ServerOptions options, std::string listen)
    : ioc_(ioc),
      what_(std::move(what)),
      options_(std::move(options)),
      listen_(std::move(listen)),
      timer_(ioc) {}

void RetryingListener::start() {
  if (listen_.empty()) {
    spdlog::info("{}: no listener (its listen address is \"\")", what_);
    return;
  }
  if (!try_listen()) schedule();
}

void RetryingListener::schedule() {
  timer_.expires_after(kRetryInterval);
  timer_.async_wait([this](const boost::system::error_code& error) {
    if (error) return;
    if (!try_listen()) schedule();
  });
}

bool RetryingListener::try_listen() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (server_ || stopped_) return true;
  auto server = std::make_unique<api::HttpServer>(ioc_, options_);
  auto port = server->listen_tcp(listen_);
  if (!port) {
    if (failures_ % kRepeatEvery == 0)
      spdlog::warn("{}: {}; trying again every {} s", what_, port.status().message(),
                   kRetryInterval.count());
    ++failures_;
    return false;
  }
  spdlog::info("{}: listening on {}", what_, listen_);
  server_ = std::move(server);
  return true;
}

bool RetryingListener::listening() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return server_ != nullptr;
}

void RetryingListener::stop() {
  std::lock_guard<std::mutex> lock(mutex_);
  stopped_ = true;
  timer_.cancel();
  if (server_) server_->stop();
}

}  // namespace pydio::agent
