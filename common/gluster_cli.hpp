#pragma once
// Typed calls of the local gluster CLI: `gluster --mode=script --xml -- ...` run through the
// ProcessRunner (argv only, never a shell), each under its own timeout, its answer parsed by
// gluster_xml.hpp.
//
// Errors name the command and carry gluster's message verbatim, e.g.
//   "gluster volume create pydio-data: Volume pydio-data already exists"
//   "gluster pool list: exit 1: Connection failed. Please check if gluster daemon is operational."
//   "gluster volume set pydio-data network.ping-timeout: timed out after 20000ms"
// A gluster command can hang for 120 s when a peer was just cut off (FIELD-NOTES); the timeout
// makes such a call return an error instead, and the runner kills the hung CLI process.
//
// Thread safety: a GlusterCli holds no mutable state; concurrent calls are as safe as the
// runner (SystemRunner is thread-safe). glusterd itself serialises conflicting operations.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/gluster_xml.hpp"
#include "common/runner.hpp"
#include "common/status.hpp"

namespace pydio::common {

inline constexpr std::chrono::milliseconds kGlusterDefaultTimeout{std::chrono::seconds(20)};

// What `volume create` needs. Bricks are "host:path", in replica-set order.
struct GlusterVolumeCreate {
  std::string name;
  int replica = 1;  // 1: plain distribute (gluster refuses "replica 1")
  int arbiter = 0;  // 0 or 1 (with replica 3)
  std::vector<std::string> bricks;
  // Appends "force": needed for a brick on the root partition (explicitly allowed by the
  // desired state); it also silences gluster's other brick checks, so use it only then.
  bool force = false;
};

// The arguments after `gluster --mode=script --xml` for a volume creation:
// volume create NAME [replica N [arbiter 1]] BRICK... [force]. Pure.
std::vector<std::string> gluster_volume_create_args(const GlusterVolumeCreate& request);

// The full argv for gluster arguments: {"gluster", "--mode=script", "--xml", "--", args...}:
// after "--" nothing in `args` is read as a CLI option. Pure.
std::vector<std::string> gluster_argv(const std::vector<std::string>& args);

// Turns a finished run into the XML text to parse, or an error prefixed with `label`
// ("gluster pool list"). A run that timed out, or exited non-zero without an XML answer,
// is an error; a refusal reported inside the XML is left to the parsers. Pure.
Expected<std::string> gluster_answer(const std::string& label, const RunResult& result);

class GlusterCli {
 public:
  explicit GlusterCli(ProcessRunner& runner,
                      std::chrono::milliseconds timeout = kGlusterDefaultTimeout)
      : runner_(runner), timeout_(timeout) {}

  Expected<std::vector<GlusterPeer>> pool_list() const;
  Expected<std::vector<GlusterVolume>> volume_info_all() const;
  // nullopt when the volume does not exist.
  Expected<std::optional<GlusterVolume>> volume_info(const std::string& name) const;
  // Fails with gluster's message for a volume that is missing or not started.
  Expected<GlusterVolumeStatus> volume_status(const std::string& name) const;
  // Every started volume in one process (see parse_volume_status_all).
  Expected<std::vector<GlusterVolumeStatus>> volume_status_all() const;
  // Success leaves the volume in state Created. Failure (e.g. it already exists) changes
  // nothing on gluster's side.
  Status volume_create(const GlusterVolumeCreate& request) const;
  // Fails with "Volume NAME already started" when it is started.
  Status volume_start(const std::string& name) const;
  // `volume start NAME force`: on a started volume, starts the bricks whose process is not
  // running and leaves the running ones alone. A cluster-wide transaction.
  Status volume_start_force(const std::string& name) const;
  Status volume_set(const std::string& name, const std::string& key,
                    const std::string& value) const;
  // Adds `address` to this node's trusted pool. Succeeds when it already is a member.
  Status peer_probe(const std::string& address) const;
  // Adds whole replica sets: `bricks` in set order, their count a multiple of `replica`.
  Status volume_add_brick(const std::string& name, int replica, int arbiter,
                          const std::vector<std::string>& bricks, bool force) const;
  // Starts moving data onto the bricks just added; it then runs in glusterd's background.
  Status volume_rebalance_start(const std::string& name) const;
  // Index heal: heals what the bricks' indices list now, instead of waiting for the crawl.
  Status volume_heal(const std::string& name) const;
  Expected<std::vector<GlusterHealBrick>> heal_summary(const std::string& name) const;

 private:
  // Runs gluster with `args`; returns the XML answer or an error prefixed with `label`.
  Expected<std::string> call(const std::string& label, const std::vector<std::string>& args) const;
  // Runs a command whose answer carries nothing but the envelope.
  Status call_checked(const std::string& label, const std::vector<std::string>& args) const;

  ProcessRunner& runner_;
  std::chrono::milliseconds timeout_;
};

}  // namespace pydio::common
