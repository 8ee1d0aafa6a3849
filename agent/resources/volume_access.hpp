#pragma once
// Who may use a volume, as the leader's volume resource keeps it (volume_resource.hpp):
// `auth.allow` = the addresses of the storage nodes and the volume's clients (compute nodes, and
// db nodes on the backup volume); with security.glusterTls also
// `auth.ssl-allow` = their names, which are the CNs of their certificates (trust/pki.hpp), and
// client.ssl/server.ssl on. Both lists are computed from the whole desired state on each pass
// and set only when the volume's value differs (a burst of joins is one change); a change to
// an existing volume is deferred while a peer is disconnected (the caller's rule).
// Gluster checks both: a client must come from an admitted address AND present a certificate
// of the cluster CA naming an admitted node (verified on GlusterFS 10.3: a CA-signed
// certificate of a node outside auth.ssl-allow gets "Authentication failed").

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "agent/reconcile/action.hpp"
#include "common/desired_state.hpp"
#include "common/gluster_xml.hpp"

namespace pydio::agent {

inline constexpr const char* kAuthAllowOption = "auth.allow";
inline constexpr const char* kSslAllowOption = "auth.ssl-allow";

// The options that turn gluster TLS on for both sides of a volume (security.glusterTls). Set
// with the other desired options, so a new volume has them before its first start.
std::map<std::string, std::string> gluster_tls_volume_options();

// "A,B,C": the addresses of the storage nodes and of the nodes that mount `volume`
// (common/volume_clients.hpp: compute nodes; db nodes for the backup volume), in node order.
std::string cluster_auth_allow(const common::DesiredState& desired, const std::string& volume);
// "n1,n2,web": their names (certificate CNs), in node order; "" when glusterTls is off.
std::string cluster_ssl_allow(const common::DesiredState& desired, const std::string& volume);

// The managed values; "" leaves that option alone.
struct VolumeAccess {
  std::string auth_allow;
  std::string ssl_allow;
};

// SetVolumeOption actions (volume_actions.hpp) for the access options whose value on `volume`
// differs, auth.allow first; every one when `volume` is null (not created yet). A storage node
// that left the document but still holds bricks keeps its address in auth.allow (it is still a
// gluster peer: shutting out its clients would protect nothing and stop its self-heal daemon).
std::vector<Action> access_actions(const std::string& volume_name, const VolumeAccess& wanted,
                                   const common::GlusterVolume* volume, std::int64_t term);

}  // namespace pydio::agent
