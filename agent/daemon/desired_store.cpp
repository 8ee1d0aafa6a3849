#include "agent/daemon/desired_store.hpp"

#include <spdlog/spdlog.h>

#include <fstream>
#include <sstream>

#include "common/file_ops.hpp"

namespace pydio::agent {

namespace {
std::string join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) out += (out.empty() ? "" : "; ") + line;
  return out;
}
}  // namespace

std::vector<std::string> check_generation(const common::DesiredState* current,
                                          const common::DesiredState& next, GenerationRule rule) {
  if (current == nullptr) return {};
  if (rule == GenerationRule::kNext && next.generation > current->generation + 1) {
    return {"generation: " + std::to_string(next.generation) + " skips generation " +
            std::to_string(current->generation + 1) + "; a change must carry generation " +
            std::to_string(current->generation + 1) + " (the one in force is " +
            std::to_string(current->generation) + ")"};
  }
  if (next.generation > current->generation) return {};
  if (next.generation < current->generation) {
    return {"generation: " + std::to_string(next.generation) +
            " is older than the generation in force (" + std::to_string(current->generation) + ")"};
  }
  if (common::serialize_desired_state(next) != common::serialize_desired_state(*current)) {
    return {"generation: " + std::to_string(next.generation) +
            " is already in force with different content (another change won the race, or "
            "the generation was not increased); read the desired state again and re-apply "
            "your change with generation " +
            std::to_string(current->generation + 1)};
  }
  return {};
}

DesiredStore::DesiredStore(std::string file_path) : file_path_(std::move(file_path)) {}

common::Status DesiredStore::load() {
  auto text = common::read_optional_file(file_path_);
  if (!text) return text.status().with_context("load desired state");
  if (!text->has_value()) return common::Status::ok();  // nothing persisted yet
  common::ValidationResult result = common::parse_desired_state(**text);
  std::lock_guard<std::mutex> lock(mutex_);
  if (!result.state) {
    last_error_ = "persisted document " + file_path_ + " is invalid: " + join(result.errors);
    return common::Status::error(last_error_);
  }
  current_ = result.state;
  last_error_.clear();
  return common::Status::ok();
}

common::Expected<SubmitOutcome> DesiredStore::submit(const std::string& document,
                                                     GenerationRule rule) {
  return submit(common::parse_desired_state(document), rule);
}

void DesiredStore::record_refusal(const std::string& why) {
  std::lock_guard<std::mutex> lock(mutex_);
  last_error_ = why;
  spdlog::warn("desired state rejected, generation {} stays in force: {}",
               current_ ? current_->generation : 0, why);
}

common::Expected<SubmitOutcome> DesiredStore::submit(const common::ValidationResult& result,
                                                     GenerationRule rule) {
  SubmitOutcome outcome;
  std::lock_guard<std::mutex> lock(mutex_);
  outcome.errors = result.errors;
  if (result.state) outcome.errors = check_generation(current_.get(), *result.state, rule);
  if (!outcome.errors.empty()) {
    last_error_ = join(outcome.errors);
    spdlog::warn("desired state rejected, generation {} stays in force: {}",
                 current_ ? current_->generation : 0, last_error_);
    return outcome;
  }
  outcome.changed = current_ == nullptr || current_->generation != result.state->generation;
  if (outcome.changed) {
    common::Status written = common::write_file_atomically(
        file_path_, common::serialize_desired_state(*result.state), 0600);
    if (!written) return written.with_context("store desired state");
    spdlog::info("desired state generation {} in force", result.state->generation);
  }
  current_ = result.state;
  last_error_.clear();
  return outcome;
}

std::shared_ptr<const common::DesiredState> DesiredStore::current() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return current_;
}

std::string DesiredStore::last_error() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return last_error_;
}

}  // namespace pydio::agent
