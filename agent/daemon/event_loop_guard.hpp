#pragma once
// The event loop's threads (one io_context, two threads: daemon.hpp). A handler that throws
// would end ioc.run() and, escaping the thread, the daemon; instead it is reported (guard.hpp:
// log, counter, event) and run() called again, which Asio allows without a restart().

#include <boost/asio/io_context.hpp>

#include "agent/reconcile/guard.hpp"

namespace pydio::agent {

// Returns once `ioc` was stopped (or ran out of work), never by an exception.
inline void run_event_loop(boost::asio::io_context& ioc) {
  while (!guarded_round("event loop", [&ioc] { ioc.run(); })) {
  }
}

}  // namespace pydio::agent
