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
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

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
                         std::chrono::milliseconds timeout = 60s,
                         const std::string& stdin_data = "");
  // exec and REQUIRE success; returns stdout.
  std::string must(const std::vector<std::string>& argv, std::chrono::milliseconds timeout = 60s);
  // A fresh loop device backed by a sparse file of the run; usable from inside the node.
  std::string create_loop_device(int size_mb);

  void write_file(const std::string& path, const std::string& content);
  // False also when the test itself could not run: for waiting until a file appears.
  bool file_exists(const std::string& path);
  // True when `path` does not exist; REQUIREs that the node answered (so that a failure to
  // look is never taken for absence).
  bool file_absent(const std::string& path);
  std::string read_file(const std::string& path);

  // Writes /etc/pydio-agent/agent.json and starts pydio-agentd in the node. Returns its PID.
  // `agentd`: another build's daemon (the upgrade scenario's previous release); the agent.json
  // written has only fields every release reads (no pkiDir: the default is used).
  int start_agent(int pass_interval_seconds = 10, const std::string& agentd = "");
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
  void keep_gluster_logs() const;
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
// The PID of the node's running Apache main process (its pid file names a live apache2), else 0.
int apache_pid(SimNode& node);
// True when `agentctl events` lists an event of `resource` whose action contains `text`.
bool has_event(SimNode& node, const std::string& resource, const std::string& text);
// How many such events `agentctl events` lists (all it keeps); REQUIREs the answer (has_event is
// false also when agentctl fails, so CHECK_FALSE(has_event(...)) cannot fail). To show that an
// action happened after some point, compare with a count taken then: the events of the node's
// bring-up (its first mount, its first Apache start) match too.
int count_events(SimNode& node, const std::string& resource, const std::string& text);

// --- several nodes -------------------------------------------------------------------------
// A node of a cluster spec: its roles and, for a storage node, its data device.
struct SpecNode {
  const SimNode* node;
  std::vector<std::string> roles;
  std::string device;  // "" for a node without the storage role
};

// The tutorial layout on several nodes: XFS data brick on each storage node's device at
// /srv/pydio, config brick directory on it, volumes pydio-data and pydio-config with the given
// replica/arbiter, network.ping-timeout 5 on both; the database on the node with role db (with
// three or more db nodes: their Galera cluster, no database.host).
nlohmann::json cluster_spec(const std::vector<SpecNode>& nodes, int replica, int arbiter = 0,
                            int generation = 1);
// Writes `spec` into the run, runs `agentctl init --spec` on `first` and REQUIREs success.
// Returns the join token init printed.
std::string init_cluster(SimCluster& cluster, SimNode& first, const nlohmann::json& spec);
// `agentctl token create [args...]` on `node` (a storage node); REQUIREs success. Returns the
// token it printed once ("<id>.<secret>").
std::string create_join_token(SimNode& node, const std::vector<std::string>& args = {});
// The pin of the cluster CA `node` holds ("sha256:<hex>", from its pki/ca.crt); REQUIREs it.
std::string ca_cert_hash(SimNode& node);
// `agentctl join <peer> --token <token> --ca-cert-hash <peer's CA> [extra...]` on `node`;
// REQUIREs success.
void join_cluster(SimNode& node, SimNode& peer, const std::string& token,
                  const std::vector<std::string>& extra = {});
// `agentctl status -o json` (with the cluster table); null when it fails.
nlohmann::json cluster_status(SimNode& node);
// Waits until GET /health of `node` answers 200; on failure prints its status.
bool wait_healthy(SimNode& node, std::chrono::seconds deadline = 300s);
// add_node, start its agent and wait until it answers.
SimNode& add_started_node(SimCluster& cluster, const std::string& name, int index);

enum class DbPlacement { kOwnNode, kOnFirstNode };
struct TutorialCluster {
  SimNode* n1 = nullptr;  // storage+compute, 198.18.0.1 (also db with kOnFirstNode)
  SimNode* n2 = nullptr;  // storage+compute, 198.18.0.2
  SimNode* db = nullptr;  // db, 198.18.0.3; null with kOnFirstNode
  std::string token;
};
// The tutorial cluster: n1 and n2 storage+compute with an empty disk each, replica 2 volumes,
// the database on its own node "db" or on n1. Agents started, `init` on n1, `join` on the
// others; REQUIREs n1 and n2 healthy.
TutorialCluster bring_up_tutorial_cluster(SimCluster& cluster, DbPlacement db_placement);
// `agentctl join <peer> --token <token> --ca-cert-hash ...` on every node at the same time, as
// an operator's script would run it; returns each node's result in the order given.
std::vector<common::RunResult> join_in_parallel(const std::vector<SimNode*>& nodes, SimNode& peer,
                                                const std::string& token);
// Waits until the leader's Pydio layout (public, common, users) is visible on `node`'s mount.
bool wait_layout(SimNode& node);
// The name of the node whose agent says it holds the lease, asking `nodes`; "" when none.
std::string current_leader(const std::vector<SimNode*>& nodes);
// The desired-state generation in force on `node` (0 when unknown).
long long generation_of(SimNode& node);
// The agent's log file (kept in the run directory).
std::string agent_log(const SimCluster& cluster, const SimNode& node);

std::string harness_path();
std::string agentd_path();
std::string agentctl_path();
// Builds (once: the script skips when built) the previous release's pydio-agentd and agentctl
// into `dir` (test/upgrade-build-previous); returns the directory that holds them. REQUIREs it.
std::string previous_release_binaries(const std::string& dir);

}  // namespace pydio::test
