#pragma once
// Simulated nodes for integration scenarios, on top of test/harness/simnode: each node is a
// network namespace (198.18.0.N/24) plus a private mount namespace with its own /etc, /run,
// /var/lib/glusterd, /var/log, /mnt, /srv. The real pydio-agentd runs inside a node.
// A SimCluster removes everything it created when it goes out of scope, pass or fail:
// agents stopped by PID, then `simnode destroy` (mounts, loop devices, namespaces, processes).

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/runner.hpp"

namespace pydio::test {

using namespace std::chrono_literals;

// Polls `condition` every 250 ms until it holds or `deadline` passes. Tests wait for what must
// happen with generous deadlines; they never assert how fast it happened.
bool eventually(const std::function<bool()>& condition, std::chrono::seconds deadline = 120s);

class SimNode {
 public:
  SimNode(std::string run_dir, std::string name, int index);

  const std::string& name() const { return name_; }
  std::string address() const { return "198.18.0." + std::to_string(index_); }

  // Runs argv inside the node (no shell involved beyond the harness itself).
  common::RunResult exec(const std::vector<std::string>& argv,
                         std::chrono::milliseconds timeout = 60s, const std::string& stdin_data = "");
  // exec and REQUIRE success; returns stdout.
  std::string must(const std::vector<std::string>& argv, std::chrono::milliseconds timeout = 60s);
  // A fresh loop device backed by a sparse file of the run; usable from inside the node.
  std::string create_loop_device(int size_mb);

  void write_file(const std::string& path, const std::string& content);
  bool file_exists(const std::string& path);
  std::string read_file(const std::string& path);

  // Writes /etc/pydio-agent/agent.json and starts pydio-agentd in the node. Returns its PID.
  int start_agent(int pass_interval_seconds = 10);
  // Signals the agent by PID and waits for it to be gone.
  void stop_agent(int signal_number);
  int agent_pid() const { return agent_pid_; }
  bool agent_alive() const;
  // Waits until the agent answers on its admin socket.
  bool wait_agent_ready();

  common::RunResult agentctl(const std::vector<std::string>& args,
                             std::chrono::milliseconds timeout = 60s);
  nlohmann::json status();  // agentctl status -o json; null when it fails
  std::string resource_state(const std::string& resource);  // "" when unknown
  // GET http://<address or 127.0.0.1>:<port><path> from inside the node: {status code, body}.
  std::pair<int, std::string> http_get(const std::string& url);
  // glusterfs FUSE mounts inside the node, from its mount table: mountpoint -> mount id.
  std::map<std::string, int> fuse_mounts();

 private:
  std::string run_dir_;
  std::string name_;
  int index_;
  int agent_pid_ = -1;
  common::SystemRunner runner_;
};

class SimCluster {
 public:
  SimCluster();
  ~SimCluster();
  SimCluster(const SimCluster&) = delete;
  SimCluster& operator=(const SimCluster&) = delete;

  SimNode& add_node(const std::string& name, int index);
  const std::string& run_dir() const { return run_dir_; }

 private:
  std::string run_dir_;
  std::vector<std::unique_ptr<SimNode>> nodes_;
};

// The one-node tutorial layout: roles storage+compute+db, XFS data brick on `device` mounted at
// /srv/pydio, config brick directory on it, volumes pydio-data and pydio-config (replica 1).
nlohmann::json single_node_spec(const SimNode& node, const std::string& device, int generation = 1);

// Creates node1, an empty loop disk, starts the agent, runs `agentctl init` with
// single_node_spec() and waits until GET /health answers 200. REQUIREs every step.
SimNode& bring_up_healthy_single_node(SimCluster& cluster);
// GET /health of a node: {code, body}.
std::pair<int, std::string> health_of(SimNode& node);
// True when `agentctl events` lists an event of `resource` whose action contains `text`.
bool has_event(SimNode& node, const std::string& resource, const std::string& text);

std::string harness_path();
std::string agentd_path();
std::string agentctl_path();

}  // namespace pydio::test
