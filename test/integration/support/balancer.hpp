#pragma once
// The web tier behind HAProxy for the balancer scenarios: n1 (storage+compute+db) and n2
// (storage+compute) serve a small PHP page that opens Pydio's session (cookie AjaXplorer) and
// says which node answered; n4 has role lb. Clients are curl runs from the root namespace
// (198.18.0.254, over the bridge), like users in front of the balancer.

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "sim_cluster.hpp"

namespace pydio::test {

struct BalancedCluster {
  SimNode* n1 = nullptr;
  SimNode* n2 = nullptr;
  SimNode* lb = nullptr;  // n4, 198.18.0.4
  nlohmann::json spec;    // what init was given
};

// Brings the cluster up, waits until both compute nodes are healthy and HAProxy on n4 answers
// with both servers UP, and writes session.php into each compute node's docroot. REQUIREs all.
// `disk_mb`: size of each storage node's (sparse) data disk.
BalancedCluster bring_up_balanced_cluster(SimCluster& cluster, int disk_mb = 400);

// http://198.18.0.4/pydio/session.php
std::string session_url(const BalancedCluster& web);

struct PageAnswer {
  int code = 0;
  std::string node;        // the node that answered (first word of the body)
  std::string client;      // REMOTE_ADDR as PHP saw it
  std::string https;       // $_SERVER["HTTPS"] or "-"
  std::string set_cookie;  // value of Set-Cookie AjaXplorer=..., "" when none
};
// GET `url` with curl from the root namespace; `cookie`: the AjaXplorer value to send, if any.
// `headers`: extra request headers ("Name: value").
PageAnswer get_page(const std::string& url, const std::string& cookie = "",
                    const std::vector<std::string>& headers = {});

// The status column of each server of backend pydio from the stats page (CSV), e.g.
// {"n1": "UP", "n2": "DRAIN (agent)"}; empty when the page did not answer.
std::map<std::string, std::string> server_states(const BalancedCluster& web);

// What `agentctl status` on the lb node says of the haproxy resource when in sync (each
// server's state, e.g. "n1 UP ready scur 0; n2 UP DRAIN scur 0"); "" otherwise.
std::string haproxy_status(const BalancedCluster& web);

// The line the agent-check port at address:port answers ("" when it did not).
std::string agent_check_line(const std::string& address, int port = 8482);

// `agentctl apply` of `spec` on `node`, based on the node's generation in force.
common::RunResult apply_spec(SimCluster& cluster, SimNode& node, nlohmann::json spec);

}  // namespace pydio::test
