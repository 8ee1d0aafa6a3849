#include "agent/daemon/drain_state.hpp"

#include <unistd.h>

#include <cerrno>
#include <nlohmann/json.hpp>

#include "common/file_ops.hpp"

namespace pydio::agent {

DrainState::DrainState(std::string file_path) : file_path_(std::move(file_path)) {}

common::Status DrainState::load() {
  auto text = common::read_optional_file(file_path_);
  if (!text) return text.status().with_context("load drain state");
  std::lock_guard<std::mutex> lock(mutex_);
  if (!text->has_value()) {
    draining_ = false;
    return common::Status::ok();
  }
  auto parsed = nlohmann::json::parse(**text, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    // Failing safe: a damaged drain file keeps the node out of the balancer until undrain.
    draining_ = true;
    reason_ = "drain file " + file_path_ + " is unreadable; run agentctl undrain";
    return common::Status::ok();
  }
  draining_ = true;
  reason_ = parsed.value("reason", "");
  return common::Status::ok();
}

common::Status DrainState::drain(const std::string& reason) {
  std::lock_guard<std::mutex> lock(mutex_);
  nlohmann::json document = {{"reason", reason}};
  common::Status written = common::write_file_atomically(file_path_, document.dump() + "\n", 0600);
  if (!written) return written.with_context("drain");
  draining_ = true;
  reason_ = reason;
  return common::Status::ok();
}

common::Status DrainState::undrain() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (::unlink(file_path_.c_str()) != 0 && errno != ENOENT)
    return common::Status::error("undrain: remove " + file_path_ + ": " + common::errno_text(errno));
  draining_ = false;
  reason_.clear();
  return common::Status::ok();
}

bool DrainState::draining() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return draining_;
}

std::string DrainState::reason() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return reason_;
}

}  // namespace pydio::agent
