#pragma once
// Pure parsers of `gluster --mode=script --xml` answers (GlusterFS 10.3), tested on recorded
// real outputs in test/data/gluster/. No process is started here (see gluster_cli.hpp).
//
// Every answer is a <cliOutput> envelope with opRet/opErrno/opErrstr. Note what the real CLI
// does (recorded): a refused command (volume missing, already exists, bad option) still exits
// 0 and reports the failure only as opRet -1 in the envelope; only when glusterd cannot be
// reached does it exit 1, with plain text instead of XML. So callers must look at opRet, and
// a failure message is gluster's own opErrstr, verbatim.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status.hpp"

namespace pydio::common {

// opErrno gluster uses for "Volume does not exist" in `volume info NAME` (EG_NOVOL).
inline constexpr int kGlusterErrnoNoVolume = 30806;

struct GlusterEnvelope {
  int op_ret = 0;  // 0 on success, -1 (or other non-zero) on failure
  int op_errno = 0;
  std::string op_errstr;  // gluster's own message; empty on success
  std::string output;     // <output> text some commands add ("Set volume successful")

  bool ok() const { return op_ret == 0; }
  // gluster's reason for a failure: opErrstr, else <output>, else "opRet N opErrno M".
  std::string failure_message() const;
};

// glusterd's friend state of a peer that has fully joined the trusted pool ("Peer in Cluster").
inline constexpr int kGlusterPeerInCluster = 3;

struct GlusterPeer {
  std::string uuid;
  std::string hostname;  // "localhost" for the node answering
  bool connected = false;
  // Every name glusterd knows the peer by (<hostname> and <hostnames>): a peer probed by
  // address may also be recorded under the name /etc/hosts gives it (FIELD-NOTES).
  std::vector<std::string> names;
  // glusterd's friend state (<state>, <stateStr>), which `pool list` and `peer status` give for
  // every peer but "localhost". Recorded (test/data/gluster/recorded-probe.txt): a peer just
  // probed is connected in state 4 "Accepted peer request" for 1-2 s before state 3; glusterd
  // refuses an add-brick with a brick there, and a `volume set` meanwhile may miss it.
  std::optional<int> state;
  std::string state_name;

  bool known_as(const std::string& name) const;
  // Connected and "Peer in Cluster" (no state given counts as in cluster: "localhost").
  bool in_cluster() const;
};

// One brick of `volume heal NAME info summary`.
struct GlusterHealBrick {
  std::string endpoint;    // "host:path"
  bool connected = false;  // status "Connected"; otherwise the counts are unknown
  int pending = 0;         // totalNumberOfEntries (heal pending + split-brain + possibly healing)
  int split_brain = 0;
};

enum class GlusterVolumeState { kCreated, kStarted, kStopped };
std::string gluster_volume_state_name(GlusterVolumeState state);  // "Created", ...

struct GlusterBrick {
  std::string endpoint;  // "host:path", as given at creation
  std::string host_uuid;
  bool is_arbiter = false;
};

struct GlusterVolume {
  std::string name;
  std::string id;
  GlusterVolumeState state = GlusterVolumeState::kCreated;
  std::string type;  // typeStr: "Distribute", "Replicate", "Distributed-Replicate", ...
  int brick_count = 0;
  int dist_count = 0;
  int replica_count = 1;  // gluster reports 1 for a plain distribute volume
  int arbiter_count = 0;
  int disperse_count = 0;
  std::vector<GlusterBrick> bricks;            // in volume order
  std::map<std::string, std::string> options;  // reconfigured options only

  bool started() const { return state == GlusterVolumeState::kStarted; }
  std::vector<std::string> brick_endpoints() const;
};

// One process listed by `volume status NAME`: a brick or a daemon (self-heal, ...).
struct GlusterProcessStatus {
  std::string hostname;  // brick host, or the daemon's name ("Self-heal Daemon")
  std::string path;      // brick path, or "localhost" for a daemon
  std::string peer_id;
  bool online = false;
  std::optional<int> port;  // absent when gluster says N/A
  std::optional<int> pid;   // absent when gluster says -1 (not running)

  std::string endpoint() const { return hostname + ":" + path; }
};

struct GlusterVolumeStatus {
  std::string name;
  std::vector<GlusterProcessStatus> bricks;
  std::vector<GlusterProcessStatus> daemons;
};

// Parses the envelope only. Fails when the text is not a gluster XML answer; the error quotes
// the start of the text (e.g. "Connection failed. Please check if gluster daemon is
// operational.").
Expected<GlusterEnvelope> parse_gluster_envelope(const std::string& xml);

// The parsers below fail with gluster's failure_message() when opRet is non-zero, and with a
// description of what is missing when the XML does not have the expected shape.

// `pool list`.
Expected<std::vector<GlusterPeer>> parse_pool_list(const std::string& xml);
// `volume heal NAME info summary`.
Expected<std::vector<GlusterHealBrick>> parse_heal_summary(const std::string& xml);
// `volume info` or `volume info NAME`. An empty list for "no volumes".
Expected<std::vector<GlusterVolume>> parse_volume_info(const std::string& xml);
// `volume info NAME`: nullopt when gluster answers that the volume does not exist.
Expected<std::optional<GlusterVolume>> parse_volume_info_of(const std::string& xml,
                                                            const std::string& name);
// `volume status NAME`. Fails (with gluster's message) for a volume that is not started.
Expected<GlusterVolumeStatus> parse_volume_status(const std::string& xml);
// `volume status all`: the started volumes only (gluster leaves stopped ones out).
Expected<std::vector<GlusterVolumeStatus>> parse_volume_status_all(const std::string& xml);

}  // namespace pydio::common
