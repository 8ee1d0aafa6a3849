#include "agent/reconcile/backoff.hpp"

#include <algorithm>

namespace pydio::agent {

std::chrono::milliseconds Backoff::next_delay(std::mt19937& random) {
  long long base = kInitial.count();
  for (int i = 0; i < failures_ && base < kMax.count(); ++i) base *= 2;
  base = std::min(base, static_cast<long long>(kMax.count()));
  ++failures_;
  std::uniform_real_distribution<double> jitter(0.8, 1.2);
  return std::chrono::milliseconds(
      static_cast<long long>(static_cast<double>(base) * jitter(random)));
}

}  // namespace pydio::agent
