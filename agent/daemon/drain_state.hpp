#pragma once
// Whether the operator drained this node (`agentctl drain`): a drained node reports 503 on
// /health and removes check.txt so balancers stop sending users, while everything else keeps
// converging. Persisted in the state dir so a drain survives a restart of the agent.
// Thread-safe: guarded by mutex_.

#include <mutex>
#include <string>

#include "common/status.hpp"

namespace pydio::agent {

class DrainState {
 public:
  explicit DrainState(std::string file_path);  // e.g. /var/lib/pydio-agent/drain.json
  common::Status load();
  common::Status drain(const std::string& reason);
  common::Status undrain();
  bool draining() const;
  std::string reason() const;

 private:
  const std::string file_path_;
  mutable std::mutex mutex_;
  bool draining_ = false;  // guarded by mutex_
  std::string reason_;     // guarded by mutex_
};

}  // namespace pydio::agent
