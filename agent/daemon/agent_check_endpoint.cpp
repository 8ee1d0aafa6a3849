#include "agent/daemon/agent_check_endpoint.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

#include "common/release_target.hpp"

namespace pydio::agent {

namespace {
constexpr std::chrono::seconds kInterval{2};
}  // namespace

std::optional<std::string> agent_check_address(const common::DesiredState& desired,
                                               const std::string& node_name) {
  const common::NodeSpec* self = desired.find_node(node_name);
  if (self == nullptr || !self->has_role(common::Role::kCompute)) return std::nullopt;
  if (desired.nodes_with_role(common::Role::kLb).empty()) return std::nullopt;
  return self->address + ":" + std::to_string(desired.load_balancer.agent_port);
}

bool agent_check_draining(const common::DesiredState* desired, const std::string& node_name,
                          bool operator_drained) {
  return operator_drained ||
         (desired != nullptr && common::rollout_drains(desired->web, node_name));
}

AgentCheckEndpoint::AgentCheckEndpoint(boost::asio::io_context& ioc, Desired desired,
                                       std::string node_name, api::AgentCheckListener::Reply reply)
    : ioc_(ioc),
      desired_(std::move(desired)),
      node_name_(std::move(node_name)),
      reply_(std::move(reply)),
      timer_(ioc) {}

void AgentCheckEndpoint::start() {
  update();
  schedule();
}

void AgentCheckEndpoint::schedule() {
  timer_.expires_after(kInterval);
  timer_.async_wait([this](const boost::system::error_code& error) {
    if (error) return;
    update();
    schedule();
  });
}

void AgentCheckEndpoint::update() {
  auto desired = desired_();
  const std::string wanted =
      desired ? agent_check_address(*desired, node_name_).value_or("") : std::string();
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopped_ || wanted == bound_) return;
  if (listener_) {
    listener_->stop();
    listener_.reset();
    spdlog::info("agent-check: stopped listening on {}", bound_);
    bound_.clear();
  }
  if (wanted.empty()) {
    last_error_.clear();
    return;
  }
  auto listener = std::make_shared<api::AgentCheckListener>(ioc_, reply_);
  common::Status listening = listener->listen(wanted);
  if (!listening) {
    // Logged once per distinct error; tried again every interval.
    if (listening.message() != last_error_)
      spdlog::warn("{}; trying again every {} s", listening.message(), kInterval.count());
    last_error_ = listening.message();
    return;
  }
  last_error_.clear();
  listener_ = std::move(listener);
  bound_ = wanted;
  spdlog::info("agent-check for HAProxy on {}", bound_);
}

std::string AgentCheckEndpoint::problem() const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (last_error_.empty()) return "";
  return last_error_ + " (HAProxy's agent-check would reach whoever holds that port)";
}

void AgentCheckEndpoint::stop() {
  std::lock_guard<std::mutex> lock(mutex_);
  stopped_ = true;
  timer_.cancel();
  if (listener_) listener_->stop();
}

}  // namespace pydio::agent
