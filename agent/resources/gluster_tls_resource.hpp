#pragma once
// Resource "gluster-tls" (only when security.glusterTls is on): gluster's own TLS files are this
// node's PKI (trust/pki_files.hpp), on every storage and compute node, before glusterd starts and
// before any FUSE mount (both depend on it):
//   /etc/ssl/glusterfs.pem  node.crt (0644)      /etc/ssl/glusterfs.key  node.key (root, 0600)
//   /etc/ssl/glusterfs.ca   ca.crt (0644)
//   /usr/lib/ssl/glusterfs.{pem,key,ca} -> the files above (symlinks): Debian's GlusterFS 10.3
//     is built with SSL_CERT_PATH=/usr/lib/ssl and reads them only there, for management
//     (glusterd, the mount's volfile fetch) and I/O alike; no option moves the management side.
//   /var/lib/glusterd/secure-access  management (port 24007) speaks TLS; certificate depth 2
//     (a certificate signed by the CA in glusterfs.ca; the CA has pathlen:0, so no intermediate).
// A new node certificate in the PKI directory is copied on the next pass; gluster reads the
// files when it sets up a connection. What a volume admits (client.ssl, server.ssl, auth.ssl-allow)
// is the leader's volume resource's (volume_access.hpp).
//
// observe: the PKI directory and each file above (lstat: a symlink where a file belongs is
// replaced, never followed). plan: one action per file or link that differs. apply: atomic
// replace (write_file_atomically / replace_symlink), content re-read from the PKI directory.
// Never removes anything (turning TLS off is refused by validation).

#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "agent/reconcile/resource.hpp"
#include "agent/trust/pki_files.hpp"

namespace pydio::agent {

inline constexpr const char* kGlusterTlsFilesDir = "/etc/ssl";
inline constexpr const char* kGlusterSslCertPath = "/usr/lib/ssl";  // Debian's SSL_CERT_PATH
inline constexpr const char* kSecureAccessFile = "/var/lib/glusterd/secure-access";
inline constexpr const char* kSecureAccessText = "option transport.socket.ssl-cert-depth 2\n";

struct WriteGlusterTlsFile {
  static constexpr const char* kKind = "write-gluster-tls-file";
  std::string path;
};
struct LinkGlusterTlsFile {
  static constexpr const char* kKind = "link-gluster-tls-file";
  std::string path;
  std::string target;
};
using GlusterTlsAction = std::variant<WriteGlusterTlsFile, LinkGlusterTlsFile>;

// What one path is on the host.
struct TlsPathState {
  bool exists = false;
  bool regular = false;     // a regular file (lstat)
  std::string link_target;  // a symlink: where it points
  std::string content;      // a regular file: its bytes
  unsigned mode = 0;        // permission bits
  unsigned uid = 0;
  double modified = 0;  // mtime, seconds since the epoch
};

struct GlusterTlsFile {
  std::string path;
  std::string content;
  unsigned mode = 0;
};
struct GlusterTlsLink {
  std::string path;
  std::string target;
};
struct GlusterTlsTarget {
  std::vector<GlusterTlsFile> files;  // keys first: a certificate is never there without its key
  std::vector<GlusterTlsLink> links;
};

// The files and links for `pki`.
GlusterTlsTarget gluster_tls_target(const trust::NodePki& pki);

struct GlusterTlsObservation {
  std::optional<trust::NodePki> pki;          // nullopt: no node certificate yet
  std::map<std::string, TlsPathState> paths;  // every path of the target
  // A storage node's running glusterd (pid file) and when it started; nullopt when none runs.
  std::optional<int> glusterd_pid;
  std::optional<double> glusterd_started;
};

// glusterd started this many seconds or more before secure-access was written is taken to
// predate it (boot time in /proc/stat has whole seconds; the agent may start glusterd within
// a second of writing the file).
inline constexpr double kGlusterdStartSlackSeconds = 2.0;

// Pure: a write for each file whose content, mode or owner (root) differs, a link for each
// link that is missing or points elsewhere; waits while the node has no certificate. The
// descriptions never contain a key. With everything in place, an error when glusterd runs
// since before secure-access was written: it reads the file only at start, so its management
// port speaks plain and the TLS clients of the other nodes cannot use it. The agent does not
// restart a running glusterd (glusterd_resource.hpp); the error tells the operator to.
common::Expected<Plan> plan_gluster_tls(const GlusterTlsObservation& observed);

class GlusterTlsResource : public Resource {
 public:
  std::string name() const override { return "gluster-tls"; }
  // security.glusterTls is on and this node is a storage or compute node.
  bool applies_to(const PassContext& ctx) const override;
  common::Expected<Plan> observe_and_plan(const PassContext& ctx) const override;
  common::Status apply(const PassContext& ctx, const Action& action) override;
};

}  // namespace pydio::agent
