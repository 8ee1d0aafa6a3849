#include "agent/health/php_prober.hpp"

#include <condition_variable>
#include <mutex>
#include <thread>

#include "agent/reconcile/guard.hpp"
#include "agent/resources/php_settings.hpp"

namespace pydio::agent {

HttpAnswer get_local_probe(std::chrono::seconds give_up, const std::string& mounts_key) {
  const std::string query = mounts_key.empty() ? "" : "?mounts=" + mounts_key;
  HttpAnswer answer = local_http_get(std::string(kProbeUrlPath) + query, "localhost", give_up);
  if (answer.status == 0 && answer.body.rfind("no answer for ", 0) == 0)
    answer.body = "no answer from probe.php for " + std::to_string(give_up.count()) + "s";
  return answer;
}

struct PhpProber::Shared {
  std::mutex mutex;
  std::condition_variable changed;
  bool requested = false;                            // guarded by mutex
  bool busy = false;                                 // guarded by mutex: a request is open
  bool stopping = false;                             // guarded by mutex
  std::uint64_t completed = 0;                       // guarded by mutex
  std::chrono::steady_clock::time_point busy_since;  // guarded by mutex
  PhpProbeResult last;                               // guarded by mutex
  std::string mounts_key;                            // set before the thread starts
};

PhpProber::PhpProber(std::string mounts_key) : shared_(std::make_shared<Shared>()) {
  shared_->mounts_key = std::move(mounts_key);
  std::thread([shared = shared_] { request_loop(shared); }).detach();
}

PhpProber::~PhpProber() {
  {
    std::lock_guard<std::mutex> lock(shared_->mutex);
    shared_->stopping = true;
  }
  shared_->changed.notify_all();
}

void PhpProber::request_loop(const std::shared_ptr<Shared>& shared) {
  std::unique_lock<std::mutex> lock(shared->mutex);
  while (true) {
    shared->changed.wait(lock, [&] { return shared->stopping || shared->requested; });
    if (shared->stopping) return;
    shared->requested = false;
    lock.unlock();
    PhpProbeResult result;
    if (!guarded_round("php prober", [&] {
          HttpAnswer answer = get_local_probe(kGiveUpAfter, shared->mounts_key);
          result = interpret_php_probe(answer.status, answer.body);
        }))
      result =
          interpret_php_probe(0, "internal error in the PHP probe (the agent's log says which)");
    result.finished_at = std::chrono::steady_clock::now();
    lock.lock();
    shared->last = std::move(result);
    shared->busy = false;
    ++shared->completed;
    shared->changed.notify_all();
  }
}

PhpProbeResult PhpProber::probe(std::chrono::milliseconds bound) {
  const auto now = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(shared_->mutex);
  const bool due =
      shared_->last.state != PhpProbeState::kOk || now - shared_->last.finished_at >= kEvery;
  if (!shared_->busy && due) {
    shared_->busy = true;
    shared_->requested = true;
    shared_->busy_since = now;
    shared_->changed.notify_all();
  }
  if (shared_->busy) {
    const std::uint64_t before = shared_->completed;
    shared_->changed.wait_for(lock, bound, [&] { return shared_->completed != before; });
  }
  if (shared_->busy) {
    const auto open_for = std::chrono::steady_clock::now() - shared_->busy_since;
    if (open_for >= kHungAfter) {
      PhpProbeResult hung = shared_->last;
      hung.state = PhpProbeState::kHung;
      hung.problem =
          "no answer for " +
          std::to_string(std::chrono::duration_cast<std::chrono::seconds>(open_for).count()) +
          "s (probe.php; a volume may hang)";
      return hung;
    }
  }
  return shared_->last;
}

}  // namespace pydio::agent
