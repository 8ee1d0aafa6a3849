#pragma once
// The gluster CLI of a leader, node1 (198.18.0.1), with one peer, node2 (198.18.0.2), and a
// replica 2 volume pydio-data with a brick on each (/srv/data/pydio-data), for the unit tests
// of dry runs racing real passes. It answers `pool list`, `volume info|status [all]|set|start
// [force]|heal` of that volume like gluster 10 (--xml), from state the tests switch:
// the peer connected or not, the volume created/started, the options set, node1's brick online
// or not. `heal info summary` answers the recorded backlog of 3 entries. Thread-safe.

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/runner.hpp"
#include "common/status.hpp"
#include "test/unit/support/test_data.hpp"

namespace pydio::test {

class FakeGluster : public common::ProcessRunner {
 public:
  static constexpr const char* kPeerUuid = "5b0e8b2f-3f5c-4f7e-9d3c-2a8f1f0b6c41";
  static constexpr const char* kSelfUuid = "edaa3311-b816-4a5d-b14d-cf779e755a2b";

  FakeGluster() : heal_summary_(recorded_output("gluster/volume_heal_info_summary.xml")) {}

  common::RunResult run(const common::Command& command) override {
    std::string args;
    // After "gluster --mode=script --xml --".
    for (std::size_t i = 4; i < command.argv.size(); ++i) args += " " + command.argv[i];
    const bool dry_run = std::this_thread::get_id() == dry_run_thread;
    common::RunResult result;
    result.exit_code = 0;
    if (args == " pool list") {
      const bool connected = peer_connected;
      if (!connected && !dry_run) ++real_disconnected_seen;
      result.out = pool_list(connected);
    } else if (args == " volume heal pydio-data info summary") {
      ++heal_summaries;
      result.out = heal_summary_;
    } else if (args == " volume info pydio-data" || args == " volume info") {
      result.out = volume_info();  // pydio-data is the only volume: the same answer
    } else if (args == " volume status pydio-data" || args == " volume status all") {
      result.out = volume_status();
    } else if (args == " volume heal pydio-data") {
      count_change(dry_run, heals);
      result.out = kDone;
    } else if (args == " volume start pydio-data force") {
      count_change(dry_run, forced_starts);
      self_brick_online = true;
      result.out = kDone;
    } else if (args == " volume start pydio-data") {
      count_change(dry_run, starts);
      started = true;
      result.out = kDone;
    } else if (command.argv.size() == 9 && args.rfind(" volume set pydio-data ", 0) == 0) {
      count_change(dry_run, options_set);
      std::lock_guard<std::mutex> lock(mutex_);
      options_[command.argv[7]] = command.argv[8];
      result.out = kDone;
    } else {
      result.exit_code = 1;
      result.err = "unexpected command:" + args;
      ++unexpected;
    }
    return result;
  }
  common::Expected<int> spawn_detached(const std::vector<std::string>&, const std::string&,
                                       const std::map<std::string, std::string>&) override {
    return common::Status::error("not in this test");
  }

  std::map<std::string, std::string> options() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return options_;
  }

  std::atomic<bool> peer_connected{true};
  std::atomic<bool> started{true};            // the volume (it always exists)
  std::atomic<bool> self_brick_online{true};  // node1's brick; node2's is always online
  std::thread::id dry_run_thread;             // set before any thread starts, then only read
  // `pool list` answers "disconnected" to another thread than dry_run_thread: a real pass.
  std::atomic<int> real_disconnected_seen{0};
  std::atomic<int> heal_summaries{0};
  // Commands that change something, as run by real passes.
  std::atomic<int> heals{0};
  std::atomic<int> forced_starts{0};
  std::atomic<int> starts{0};
  std::atomic<int> options_set{0};
  // Commands that change something, run by dry_run_thread: a dry run that is not one.
  std::atomic<int> dry_run_changes{0};
  std::atomic<int> unexpected{0};  // commands this fake does not know

 private:
  static constexpr const char* kDone =
      "<cliOutput><opRet>0</opRet><opErrno>0</opErrno><opErrstr/></cliOutput>";

  void count_change(bool dry_run, std::atomic<int>& counter) {
    if (dry_run) ++dry_run_changes;
    ++counter;
  }

  static std::string pool_list(bool connected) {
    return std::string(
               "<cliOutput><opRet>0</opRet><opErrno>0</opErrno><opErrstr/><peerStatus>"
               "<peer><uuid>") +
           kPeerUuid + "</uuid><hostname>198.18.0.2</hostname><connected>" +
           (connected ? "1" : "0") + "</connected></peer><peer><uuid>" + kSelfUuid +
           "</uuid><hostname>localhost</hostname><connected>1</connected></peer>"
           "</peerStatus></cliOutput>";
  }

  std::string volume_info() const {
    std::string options;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (const auto& [key, value] : options_)
        options += "<option><name>" + key + "</name><value>" + value + "</value></option>";
    }
    const bool running = started;
    return std::string(
               "<cliOutput><opRet>0</opRet><opErrno>0</opErrno><opErrstr/><volInfo><volumes>"
               "<volume><name>pydio-data</name><id>36598f12-0381-4511-ab4a-923c4213b504</id>"
               "<status>") +
           (running ? "1</status><statusStr>Started" : "0</status><statusStr>Created") +
           "</statusStr><brickCount>2</brickCount><distCount>1</distCount>"
           "<replicaCount>2</replicaCount><arbiterCount>0</arbiterCount>"
           "<disperseCount>0</disperseCount><typeStr>Replicate</typeStr><bricks>"
           "<brick><name>198.18.0.1:/srv/data/pydio-data</name><hostUuid>" +
           kSelfUuid +
           "</hostUuid><isArbiter>0</isArbiter></brick>"
           "<brick><name>198.18.0.2:/srv/data/pydio-data</name><hostUuid>" +
           kPeerUuid + "</hostUuid><isArbiter>0</isArbiter></brick></bricks><options>" + options +
           "</options></volume><count>1</count></volumes></volInfo></cliOutput>";
  }

  std::string volume_status() const {
    auto brick = [](const std::string& host, const char* uuid, bool online) {
      return "<node><hostname>" + host + "</hostname><path>/srv/data/pydio-data</path><peerid>" +
             uuid + "</peerid><status>" + (online ? "1" : "0") +
             "</status><port>N/A</port><pid>-1</pid></node>";
    };
    return "<cliOutput><opRet>0</opRet><opErrno>0</opErrno><opErrstr/><volStatus><volumes>"
           "<volume><volName>pydio-data</volName>" +
           brick("198.18.0.1", kSelfUuid, self_brick_online) +
           brick("198.18.0.2", kPeerUuid, true) + "</volume></volumes></volStatus></cliOutput>";
  }

  const std::string heal_summary_;
  mutable std::mutex mutex_;
  std::map<std::string, std::string> options_;  // guarded by mutex_
};

}  // namespace pydio::test
