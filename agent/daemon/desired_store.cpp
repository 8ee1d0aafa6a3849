#include "agent/daemon/desired_store.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

#include "agent/cluster/signing.hpp"
#include "common/file_ops.hpp"
#include "common/text.hpp"

namespace pydio::agent {

namespace {
// Writes the signature file, or removes it for a document stored unsigned.
common::Status store_signature(const std::string& path, const std::string& signature) {
  if (!signature.empty()) return common::write_file_atomically(path, signature, 0600);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    return common::Status::error("remove " + path + ": " + common::errno_text(errno));
  return common::Status::ok();
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
            "the generation was not increased); read the desired state again and send "
            "your change as generation " +
            std::to_string(current->generation + 1) + " (agentctl apply: keep generation " +
            std::to_string(current->generation) + ", or leave it out)"};
  }
  return {};
}

DesiredStore::DesiredStore(std::string file_path) : file_path_(std::move(file_path)) {}

common::Status DesiredStore::load(const std::string& public_pem) {
  auto text = common::read_optional_file(file_path_);
  if (!text) return text.status().with_context("load desired state");
  if (!text->has_value()) return common::Status::ok();  // nothing persisted yet
  common::ValidationResult result = common::parse_desired_state(**text);
  auto signature = common::read_optional_file(file_path_ + ".sig");
  SignedDocument signed_text{**text, signature && signature->has_value() ? **signature : ""};
  if (common::Status verified =
          verify_document(public_pem, signed_text.text, signed_text.signature);
      !verified) {
    spdlog::warn("persisted desired state {}: {}; it stays in force unsigned", file_path_,
                 verified.message());
    signed_text.signature.clear();
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (!result.state) {
    last_error_ =
        "persisted document " + file_path_ + " is invalid: " + common::join(result.errors, "; ");
    return common::Status::error(last_error_);
  }
  current_ = result.state;
  current_signed_ = std::make_shared<const SignedDocument>(std::move(signed_text));
  last_error_.clear();
  return common::Status::ok();
}

void DesiredStore::drop_signature_unless(const std::string& public_pem) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!current_signed_ || current_signed_->signature.empty() ||
      verify_document(public_pem, current_signed_->text, current_signed_->signature))
    return;
  current_signed_ = std::make_shared<const SignedDocument>(SignedDocument{current_signed_->text, ""});
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
                                                     GenerationRule rule,
                                                     const SignedDocument& signed_text) {
  SubmitOutcome outcome;
  std::lock_guard<std::mutex> lock(mutex_);
  outcome.errors = result.errors;
  if (result.state) outcome.errors = check_generation(current_.get(), *result.state, rule);
  if (result.state && current_ && outcome.errors.empty())
    outcome.errors = common::check_transition(*current_, *result.state);
  if (!outcome.errors.empty()) {
    last_error_ = common::join(outcome.errors, "; ");
    spdlog::warn("desired state rejected, generation {} stays in force: {}",
                 current_ ? current_->generation : 0, last_error_);
    return outcome;
  }
  outcome.changed = current_ == nullptr || current_->generation != result.state->generation;
  auto next_signed = std::make_shared<SignedDocument>(signed_text);
  if (next_signed->text.empty()) next_signed->text = common::serialize_desired_state(*result.state);
  // The same document arriving signed where the copy in force is not (after an upgrade or a
  // crash between the two writes below) is stored with its signature.
  const bool signs_copy = !outcome.changed && current_signed_ &&
                          current_signed_->signature.empty() && !next_signed->signature.empty() &&
                          current_signed_->text == next_signed->text;
  if (outcome.changed || signs_copy) {
    // The signature first: a crash between the two leaves a copy that fails verification at
    // load (kept unsigned), never a signature that seems to cover another document.
    common::Status written = store_signature(file_path_ + ".sig", next_signed->signature);
    if (written) written = common::write_file_atomically(file_path_, next_signed->text, 0600);
    if (!written) return written.with_context("store desired state");
    if (outcome.changed)
      spdlog::info("desired state generation {} in force", result.state->generation);
  }
  if (outcome.changed || signs_copy || !current_signed_) current_signed_ = next_signed;
  current_ = result.state;
  last_error_.clear();
  return outcome;
}

std::shared_ptr<const common::DesiredState> DesiredStore::current() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return current_;
}

std::shared_ptr<const SignedDocument> DesiredStore::current_signed() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return current_signed_;
}

std::pair<std::shared_ptr<const common::DesiredState>, std::shared_ptr<const SignedDocument>>
DesiredStore::snapshot() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return {current_, current_signed_};
}

std::string DesiredStore::last_error() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return last_error_;
}

}  // namespace pydio::agent
