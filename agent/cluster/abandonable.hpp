#pragma once
// Runs one blocking step that may never return (a file operation on a FUSE mount whose
// server is cut off blocks for the whole ping-timeout, or forever) on its own detached thread,
// and waits for it at most `timeout`. When the step is late the caller gets an error and goes
// on; the thread finishes (or stays blocked) on its own and its result is dropped.
// REQUIRES: `step` captures only what it owns (copies, shared_ptr): it may outlive the caller.

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "common/status.hpp"

namespace pydio::agent {

template <typename T>
common::Expected<T> run_abandonable(std::function<common::Expected<T>()> step,
                                    std::chrono::milliseconds timeout, const std::string& what) {
  auto promise = std::make_shared<std::promise<common::Expected<T>>>();
  std::future<common::Expected<T>> result = promise->get_future();
  std::thread([promise, step = std::move(step), what] {
    // Nothing may escape this detached thread (std::terminate): an exception is an error.
    try {
      promise->set_value(step());
    } catch (const std::exception& error) {
      promise->set_value(common::Status::error(what + ": " + error.what()));
    } catch (...) {
      promise->set_value(common::Status::error(what + ": unknown exception"));
    }
  }).detach();
  if (result.wait_for(timeout) != std::future_status::ready) {
    return common::Status::error(what + ": no answer within " + std::to_string(timeout.count()) +
                                 " ms (the mount does not answer)");
  }
  return result.get();
}

}  // namespace pydio::agent
