#pragma once
// What a resource remembers across passes (e.g. "bricks were added, the rebalance is still to
// start"). Held by shared_ptr so that the object replacing a resource after a desired-state
// change shares it with the old one, whose operation may still be in flight (see
// Resource::carry_over). Written only by apply() or by Plan::remember, read by
// observe_and_plan(), which a dry run may call on another thread at the same time.
// Thread-safe: the value is guarded by mutex_.

#include <memory>
#include <mutex>
#include <utility>

namespace pydio::agent {

template <typename T>
class ResourceMemory {
 public:
  T get() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return value_;
  }
  void set(T value) {
    std::lock_guard<std::mutex> lock(mutex_);
    value_ = std::move(value);
  }
  // Read-modify-write in one step: `change(T&)` runs with the lock held.
  template <typename Change>
  void update(Change change) {
    std::lock_guard<std::mutex> lock(mutex_);
    change(value_);
  }

 private:
  mutable std::mutex mutex_;
  T value_{};  // guarded by mutex_
};

}  // namespace pydio::agent
