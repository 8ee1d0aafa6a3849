#include "agent/daemon/retrying_listener.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

namespace pydio::agent {

namespace {
constexpr std::chrono::seconds kRetryInterval{2};
constexpr int kRepeatEvery = 30;  // an unchanged failure is logged again every 30 tries (1 min)
}  // namespace

RetryingListener::RetryingListener(boost::asio::io_context& ioc, std::string what,
                                   OptionsSource options, std::string listen)
    : ioc_(ioc),
      what_(std::move(what)),
      options_(std::move(options)),
      listen_(std::move(listen)),
      timer_(ioc) {}

RetryingListener::RetryingListener(boost::asio::io_context& ioc, std::string what,
                                   api::ServerOptions options, std::string listen)
    : RetryingListener(
          ioc, std::move(what),
          [options = std::move(options)] { return std::optional<api::ServerOptions>(options); },
          std::move(listen)) {}

void RetryingListener::start() {
  if (listen_.empty()) {
    spdlog::info("{}: no listener (its listen address is \"\")", what_);
    return;
  }
  if (!ensure_listening()) schedule();
}

void RetryingListener::schedule() {
  timer_.expires_after(kRetryInterval);
  timer_.async_wait([this](const boost::system::error_code& error) {
    if (error) return;
    if (!ensure_listening() && !stopped()) schedule();
  });
}

bool RetryingListener::ensure_listening() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (server_ || stopped_ || listen_.empty()) return server_ != nullptr;
  auto options = options_();
  if (!options) return false;  // nothing to serve yet
  auto server = std::make_unique<api::HttpServer>(ioc_, *options);
  auto port = server->listen_tcp(listen_);
  if (!port) {
    const std::string error = port.status().message();
    if (error != last_error_ || failures_ % kRepeatEvery == 0)
      spdlog::warn("{}: {}; trying again every {} s", what_, error, kRetryInterval.count());
    last_error_ = error;
    ++failures_;
    return false;
  }
  if (failures_ > 0) spdlog::info("{}: bound {} after {} failed tries", what_, listen_, failures_);
  spdlog::info("{}: listening on {}", what_, listen_);
  server_ = std::move(server);
  failures_ = 0;
  last_error_.clear();
  return true;
}

bool RetryingListener::stopped() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stopped_;
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
