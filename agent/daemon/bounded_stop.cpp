#include "agent/daemon/bounded_stop.hpp"

#include <future>
#include <memory>
#include <thread>

#include "agent/reconcile/guard.hpp"

namespace pydio::agent {

bool stop_in_parallel(std::vector<std::function<void()>> stops,
                      std::chrono::steady_clock::time_point deadline) {
  std::vector<std::future<void>> finished;
  for (auto& stop : stops) {
    auto done = std::make_shared<std::promise<void>>();
    finished.push_back(done->get_future());
    std::thread([stop = std::move(stop), done] {
      guarded_round("stop", stop);
      done->set_value();
    }).detach();
  }
  bool all = true;
  for (auto& one : finished) all = one.wait_until(deadline) == std::future_status::ready && all;
  return all;
}

}  // namespace pydio::agent
