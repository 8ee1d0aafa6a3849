#include "agent/logging/log_context.hpp"

namespace pydio::agent::logging {

namespace {

// spdlog's synchronous logger calls its sinks on the thread that logs, so the sink sees the
// context of the thread that wrote the line.
thread_local const LogContext* current = nullptr;

}  // namespace

ScopedLogContext::ScopedLogContext(LogContext context)
    : context_(std::move(context)), previous_(current) {
  current = &context_;
}

ScopedLogContext::~ScopedLogContext() { current = previous_; }

const LogContext* current_log_context() { return current; }

}  // namespace pydio::agent::logging
