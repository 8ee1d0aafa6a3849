#include "agent/reconcile/guard.hpp"

#include <spdlog/spdlog.h>

#include <mutex>

#include "common/metrics.hpp"

namespace pydio::agent {
namespace {

std::mutex sink_mutex;
std::function<void(const std::string&, const std::string&)>& sink() {
  static std::function<void(const std::string&, const std::string&)> installed;
  return installed;
}

}  // namespace

void report_thread_exception(const std::string& thread, const std::string& what) {
  // Nothing here may throw again: the caller is the last line before std::terminate.
  try {
    spdlog::error("{}: internal error: {} (the thread goes on)", thread, what);
    static auto& total = common::metrics::process_registry().counter(
        "pydio_agent_thread_exceptions_total",
        "Exceptions that escaped a round of one of the agent's threads (the thread went on).",
        {"thread"});
    total.add({thread});
    std::lock_guard<std::mutex> lock(sink_mutex);
    if (sink()) sink()(thread, what);
  } catch (...) {
  }
}

void set_thread_exception_sink(std::function<void(const std::string&, const std::string&)> next) {
  std::lock_guard<std::mutex> lock(sink_mutex);
  sink() = std::move(next);
}

}  // namespace pydio::agent
