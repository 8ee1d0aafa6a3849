#pragma once
// The web tier in release mode for the release scenarios: the balanced cluster (balancer.hpp)
// with Pydio releases published by `agentctl app publish`, and a client loop that plays users
// in front of the balancer while releases change under them.

#include <atomic>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "balancer.hpp"

namespace pydio::test {

// `agentctl app publish <archive>` on `node` (the archive is a file of the run directory, which
// the node sees at the same path).
common::RunResult publish_release(SimNode& node, const std::string& archive);

// "sha256:<hex>" of a file of the run directory, by sha256sum.
std::string file_sha256(const std::string& path);

// The desired-state document in force on `node` (its persisted copy); null when unreadable.
nlohmann::json desired_document(SimNode& node);

struct ServedPage {
  int code = 0;
  std::string node;     // "node" of the fixture's index.php
  std::string version;  // the release's conf/VERSION as the page read it
  nlohmann::json body;  // the whole answer (null unless it was JSON)
  std::string set_cookie;
};
// GET `url` (the fixture's index.php, e.g. http://198.18.0.1/pydio/) from the root namespace.
ServedPage get_served(const std::string& url, const std::string& cookie = "");

// Waits until `url` is served by release `version_prefix` (e.g. "fixture-2__").
bool wait_served_version(const std::string& url, const std::string& version_prefix,
                         std::chrono::seconds deadline = 300s);

// Users in front of the balancer: `clients` threads, each keeping the session cookie it got,
// GET `url` one request after another until stop(). Any answer other than 200 with the page's
// JSON, and any connection error, counts as an error (with what happened, for the report).
class ClientLoop {
 public:
  ClientLoop(std::string url, int clients);
  ~ClientLoop();
  void stop();
  int requests() const { return requests_; }
  int errors() const { return errors_; }
  std::vector<std::string> error_samples() const;
  // How many answers each "<node> <version>" gave.
  std::map<std::string, int> answered_by() const;
  // Errors by the node the client's session cookie sticks it to ("n1" of "n1~..."; "-" before
  // the client had a cookie).
  std::map<std::string, int> errors_by_node() const;

 private:
  void run(int index);
  std::string url_;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::atomic<int> errors_{0};
  mutable std::mutex mutex_;
  std::vector<std::string> error_samples_;     // guarded by mutex_
  std::map<std::string, int> answered_by_;     // guarded by mutex_
  std::map<std::string, int> errors_by_node_;  // guarded by mutex_
  std::vector<std::thread> threads_;
};

}  // namespace pydio::test
