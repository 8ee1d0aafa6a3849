#include "agent/daemon/cluster_view_cache.hpp"

namespace pydio::agent {

ClusterViewCache::ClusterViewCache(std::function<nlohmann::json()> take, Clock::duration max_age,
                                   std::function<Clock::time_point()> now)
    : take_(std::move(take)), max_age_(max_age), now_(std::move(now)) {}

ClusterViewCache::View ClusterViewCache::get() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    if (view_.number > 0 && now_() - view_.taken < max_age_) return view_;
    if (!in_flight_) break;
    // Another caller is asking the cluster: its answer is ours, however long the fan-out took
    // (a hung glusterd can make it longer than max_age; asking again would only queue).
    const std::uint64_t before = view_.number;
    done_.wait(lock, [this] { return !in_flight_; });
    if (view_.number > before) return view_;
  }
  in_flight_ = true;
  const Clock::time_point started = now_();
  lock.unlock();
  nlohmann::json report;
  try {
    report = take_();
  } catch (...) {
    lock.lock();
    in_flight_ = false;
    done_.notify_all();
    throw;
  }
  lock.lock();
  view_ = View{std::move(report), started, view_.number + 1};
  in_flight_ = false;
  done_.notify_all();
  return view_;
}

std::uint64_t ClusterViewCache::taken() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return view_.number;
}

}  // namespace pydio::agent
