#include "common/gluster_cli.hpp"

#include "common/volume_metrics.hpp"

namespace pydio::common {

std::vector<std::string> gluster_volume_create_args(const GlusterVolumeCreate& request) {
  std::vector<std::string> args = {"volume", "create", request.name};
  if (request.replica > 1) {
    args.insert(args.end(), {"replica", std::to_string(request.replica)});
    if (request.arbiter > 0) args.insert(args.end(), {"arbiter", std::to_string(request.arbiter)});
  }
  args.insert(args.end(), request.bricks.begin(), request.bricks.end());
  if (request.force) args.emplace_back("force");
  return args;
}

std::vector<std::string> gluster_argv(const std::vector<std::string>& args) {
  // "--" ends the CLI's options (gluster 10.3, cli/src/cli.c parse_cmdline(): an argument
  // "--" stops the scan; before it, every argument starting with "--" anywhere on the line
  // is taken as an option, e.g. a volume option value "--log-file=/etc/x"). Checked on
  // 10.3: `gluster volume set v k --print-logdir` prints the log dir; with "--" the value
  // reaches glusterd as a value. Validation refuses such values too (field_rules.cpp).
  std::vector<std::string> argv = {"gluster", "--mode=script", "--xml", "--"};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

Expected<std::string> gluster_answer(const std::string& label, const RunResult& result) {
  if (result.timed_out) {
    return Status::error(label + ": timed out after " + std::to_string(result.duration.count()) +
                         "ms");
  }
  if (result.exit_code != 0 && !parse_gluster_envelope(result.out)) {
    // No XML: glusterd unreachable ("Connection failed. ..."), or the CLI could not start.
    std::string detail = result.out.empty() ? result.err : result.out;
    while (!detail.empty() && (detail.back() == '\n' || detail.back() == ' ')) detail.pop_back();
    std::string how = result.exit_code >= 0 ? "exit " + std::to_string(result.exit_code)
                                            : std::string("killed by a signal");
    return Status::error(label + ": " + how + (detail.empty() ? "" : ": " + detail));
  }
  return result.out;
}

Expected<std::string> GlusterCli::call(const std::string& label,
                                       const std::vector<std::string>& args) const {
  RunResult result = runner_.run(Command(gluster_argv(args), timeout_));
  return gluster_answer(label, result);
}

Status GlusterCli::call_checked(const std::string& label,
                                const std::vector<std::string>& args) const {
  auto answer = call(label, args);
  if (!answer) return answer.status();
  auto envelope = parse_gluster_envelope(*answer);
  if (!envelope) return envelope.status().with_context(label);
  if (!envelope->ok()) return Status::error(label + ": " + envelope->failure_message());
  return Status::ok();
}

Expected<std::vector<GlusterPeer>> GlusterCli::pool_list() const {
  const std::string label = "gluster pool list";
  auto answer = call(label, {"pool", "list"});
  if (!answer) return answer.status();
  auto peers = parse_pool_list(*answer);
  if (!peers) return peers.status().with_context(label);
  return peers;
}

Expected<std::vector<GlusterVolume>> GlusterCli::volume_info_all() const {
  const std::string label = "gluster volume info";
  auto answer = call(label, {"volume", "info"});
  if (!answer) return answer.status();
  auto volumes = parse_volume_info(*answer);
  if (!volumes) return volumes.status().with_context(label);
  return volumes;
}

Expected<std::optional<GlusterVolume>> GlusterCli::volume_info(const std::string& name) const {
  const std::string label = "gluster volume info " + name;
  auto answer = call(label, {"volume", "info", name});
  if (!answer) return answer.status();
  auto volume = parse_volume_info_of(*answer, name);
  if (!volume) return volume.status().with_context(label);
  return volume;
}

Expected<GlusterVolumeStatus> GlusterCli::volume_status(const std::string& name) const {
  const std::string label = "gluster volume status " + name;
  auto answer = call(label, {"volume", "status", name});
  if (!answer) return answer.status();
  auto status = parse_volume_status(*answer);
  if (!status) return status.status().with_context(label);
  return status;
}

Expected<std::vector<GlusterVolumeStatus>> GlusterCli::volume_status_all() const {
  const std::string label = "gluster volume status all";
  auto answer = call(label, {"volume", "status", "all"});
  if (!answer) return answer.status();
  auto statuses = parse_volume_status_all(*answer);
  if (!statuses) return statuses.status().with_context(label);
  return statuses;
}

Status GlusterCli::volume_create(const GlusterVolumeCreate& request) const {
  return call_checked("gluster volume create " + request.name, gluster_volume_create_args(request));
}

Status GlusterCli::volume_start(const std::string& name) const {
  return call_checked("gluster volume start " + name, {"volume", "start", name});
}

Status GlusterCli::volume_start_force(const std::string& name) const {
  return call_checked("gluster volume start " + name + " force",
                      {"volume", "start", name, "force"});
}

Status GlusterCli::volume_set(const std::string& name, const std::string& key,
                              const std::string& value) const {
  return call_checked("gluster volume set " + name + " " + key,
                      {"volume", "set", name, key, value});
}

Status GlusterCli::peer_probe(const std::string& address) const {
  return call_checked("gluster peer probe " + address, {"peer", "probe", address});
}

Status GlusterCli::volume_add_brick(const std::string& name, int replica, int arbiter,
                                    const std::vector<std::string>& bricks, bool force) const {
  std::vector<std::string> args = {"volume", "add-brick", name};
  if (replica > 1) {
    args.push_back("replica");
    args.push_back(std::to_string(replica));
    if (arbiter > 0) {
      args.push_back("arbiter");
      args.push_back(std::to_string(arbiter));
    }
  }
  args.insert(args.end(), bricks.begin(), bricks.end());
  if (force) args.push_back("force");
  return call_checked("gluster volume add-brick " + name, args);
}

Status GlusterCli::volume_rebalance_start(const std::string& name) const {
  return call_checked("gluster volume rebalance " + name + " start",
                      {"volume", "rebalance", name, "start"});
}

Status GlusterCli::volume_heal(const std::string& name) const {
  return call_checked("gluster volume heal " + name, {"volume", "heal", name});
}

Expected<std::vector<GlusterHealBrick>> GlusterCli::heal_summary(const std::string& name) const {
  const std::string label = "gluster volume heal " + name + " info summary";
  auto answer = call(label, {"volume", "heal", name, "info", "summary"});
  if (!answer) return answer.status();
  auto bricks = parse_heal_summary(*answer);
  if (!bricks) return bricks.status().with_context(label);
  int pending = 0, split_brain = 0;
  for (const auto& brick : *bricks) {
    if (!brick.connected) continue;
    pending += brick.pending;
    split_brain += brick.split_brain;
  }
  record_volume_heal(name, pending, split_brain);
  return bricks;
}

}  // namespace pydio::common
