// plan_gluster_tls(): gluster's TLS files follow this node's PKI.

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "agent/resources/gluster_tls_resource.hpp"

using namespace pydio;
using agent::GlusterTlsObservation;
using agent::TlsPathState;

namespace {

agent::trust::NodePki test_pki() {
  agent::trust::NodePki pki;
  pki.ca_cert_pem = "-----CA CERT-----\n";
  pki.node_cert_pem = "-----NODE CERT-----\n";
  pki.node_key_pem = "-----NODE KEY (secret)-----\n";
  return pki;
}

TlsPathState file(const std::string& content, unsigned mode, unsigned uid = 0) {
  TlsPathState state;
  state.exists = true;
  state.regular = true;
  state.content = content;
  state.mode = mode;
  state.uid = uid;
  return state;
}

TlsPathState symlink_to(const std::string& target) {
  TlsPathState state;
  state.exists = true;
  state.link_target = target;
  state.mode = 0777;
  return state;
}

// Everything in place, as apply() leaves it.
GlusterTlsObservation converged() {
  GlusterTlsObservation observed;
  observed.pki = test_pki();
  for (const auto& wanted : agent::gluster_tls_target(*observed.pki).files)
    observed.paths[wanted.path] = file(wanted.content, wanted.mode);
  for (const auto& link : agent::gluster_tls_target(*observed.pki).links)
    observed.paths[link.path] = symlink_to(link.target);
  return observed;
}

std::vector<std::string> descriptions(const agent::Plan& plan) {
  std::vector<std::string> lines;
  for (const auto& action : plan.actions) lines.push_back(action.description);
  return lines;
}

}  // namespace

TEST_CASE("gluster TLS files: where Debian's GlusterFS reads them", "[gluster-tls]") {
  const auto target = agent::gluster_tls_target(test_pki());
  REQUIRE(target.files.size() == 4);
  CHECK(target.files[0].path == "/etc/ssl/glusterfs.key");  // the key before its certificate
  CHECK(target.files[0].content == test_pki().node_key_pem);
  CHECK(target.files[0].mode == 0600);
  CHECK(target.files[1].path == "/etc/ssl/glusterfs.pem");
  CHECK(target.files[1].content == test_pki().node_cert_pem);
  CHECK(target.files[2].path == "/etc/ssl/glusterfs.ca");
  CHECK(target.files[2].content == test_pki().ca_cert_pem);
  CHECK(target.files[3].path == "/var/lib/glusterd/secure-access");
  CHECK(target.files[3].content == "option transport.socket.ssl-cert-depth 2\n");
  REQUIRE(target.links.size() == 3);
  CHECK(target.links[1].path == "/usr/lib/ssl/glusterfs.pem");
  CHECK(target.links[1].target == "/etc/ssl/glusterfs.pem");
}

TEST_CASE("plan_gluster_tls", "[gluster-tls][plan]") {
  SECTION("no certificate yet: waits, writes nothing") {
    GlusterTlsObservation observed;
    auto plan = agent::plan_gluster_tls(observed);
    REQUIRE(plan);
    CHECK(plan->actions.empty());
    CHECK(plan->waiting_for == "this node's certificate (agentctl init or join)");
  }
  SECTION("a bare node: every file and link, keys first; no key in any description") {
    GlusterTlsObservation observed;
    observed.pki = test_pki();
    auto plan = agent::plan_gluster_tls(observed);
    REQUIRE(plan);
    CHECK(descriptions(*plan) ==
          std::vector<std::string>{
              "write /etc/ssl/glusterfs.key (0600, root; missing)",
              "write /etc/ssl/glusterfs.pem (0644, root; missing)",
              "write /etc/ssl/glusterfs.ca (0644, root; missing)",
              "write /var/lib/glusterd/secure-access (0644, root; missing)",
              "link /usr/lib/ssl/glusterfs.key -> /etc/ssl/glusterfs.key (missing)",
              "link /usr/lib/ssl/glusterfs.pem -> /etc/ssl/glusterfs.pem (missing)",
              "link /usr/lib/ssl/glusterfs.ca -> /etc/ssl/glusterfs.ca (missing)"});
    for (const auto& action : plan->actions)
      CHECK(action.description.find("secret") == std::string::npos);
    const auto* write =
        agent::action_step<agent::GlusterTlsAction, agent::WriteGlusterTlsFile>(plan->actions[0]);
    REQUIRE(write);
    CHECK(write->path == "/etc/ssl/glusterfs.key");
  }
  SECTION("paired execution: once in place, nothing to do") {
    auto plan = agent::plan_gluster_tls(converged());
    REQUIRE(plan);
    CHECK(plan->actions.empty());
    CHECK(plan->waiting_for.empty());
  }
  SECTION("a renewed certificate is copied") {
    auto observed = converged();
    observed.pki->node_cert_pem = "-----RENEWED-----\n";
    auto plan = agent::plan_gluster_tls(observed);
    REQUIRE(plan);
    CHECK(descriptions(*plan) ==
          std::vector<std::string>{"write /etc/ssl/glusterfs.pem (0644, root; other content)"});
  }
  SECTION("a key readable by others, or not root's, is rewritten") {
    auto observed = converged();
    observed.paths["/etc/ssl/glusterfs.key"].mode = 0644;
    auto plan = agent::plan_gluster_tls(observed);
    REQUIRE(plan);
    CHECK(descriptions(*plan) ==
          std::vector<std::string>{
              "write /etc/ssl/glusterfs.key (0600, root; mode 0644, want 0600)"});
    observed = converged();
    observed.paths["/etc/ssl/glusterfs.key"].uid = 33;
    plan = agent::plan_gluster_tls(observed);
    REQUIRE(plan);
    CHECK(descriptions(*plan) ==
          std::vector<std::string>{
              "write /etc/ssl/glusterfs.key (0600, root; owned by uid 33, want root)"});
  }
  SECTION("a symlink planted where a file belongs is replaced, never followed") {
    auto observed = converged();
    observed.paths["/etc/ssl/glusterfs.ca"] = symlink_to("/tmp/attacker-ca.pem");
    auto plan = agent::plan_gluster_tls(observed);
    REQUIRE(plan);
    CHECK(descriptions(*plan) ==
          std::vector<std::string>{"write /etc/ssl/glusterfs.ca (0644, root; not a regular file)"});
  }
  SECTION("a link that points elsewhere, or a file where the link belongs, is replaced") {
    auto observed = converged();
    observed.paths["/usr/lib/ssl/glusterfs.ca"] = symlink_to("/tmp/attacker-ca.pem");
    observed.paths["/usr/lib/ssl/glusterfs.pem"] = file("old by hand", 0644);
    auto plan = agent::plan_gluster_tls(observed);
    REQUIRE(plan);
    CHECK(descriptions(*plan) ==
          std::vector<std::string>{
              "link /usr/lib/ssl/glusterfs.pem -> /etc/ssl/glusterfs.pem (a regular file)",
              "link /usr/lib/ssl/glusterfs.ca -> /etc/ssl/glusterfs.ca (points to "
              "/tmp/attacker-ca.pem)"});
  }
}

TEST_CASE("a glusterd that predates secure-access is reported, never restarted",
          "[gluster-tls][plan]") {
  auto observed = converged();
  observed.paths["/var/lib/glusterd/secure-access"].modified = 1000.0;
  observed.glusterd_pid = 4242;

  SECTION("started long before the file: an error naming the pid and the way out") {
    observed.glusterd_started = 900.0;
    auto plan = agent::plan_gluster_tls(observed);
    REQUIRE_FALSE(plan);
    CHECK(plan.status().message() ==
          "glusterd (pid 4242) has run since before /var/lib/glusterd/secure-access was written, "
          "so its management port speaks plain and the other nodes' TLS clients cannot use it: "
          "restart glusterd once (systemctl restart glusterd; bricks and mounts keep running)");
  }
  SECTION("started after the file (as the agent starts it), or within the slack: in sync") {
    observed.glusterd_started = 1000.5;
    auto plan = agent::plan_gluster_tls(observed);
    REQUIRE(plan);
    CHECK(plan->actions.empty());
    observed.glusterd_started = 999.0;
    plan = agent::plan_gluster_tls(observed);
    REQUIRE(plan);
  }
  SECTION("files still to write come first (the check waits for them)") {
    observed.glusterd_started = 900.0;
    observed.paths.erase("/etc/ssl/glusterfs.ca");
    auto plan = agent::plan_gluster_tls(observed);
    REQUIRE(plan);
    CHECK(plan->actions.size() == 1);
  }
  SECTION("no glusterd (compute node, or not started yet): nothing to say") {
    observed.glusterd_pid.reset();
    auto plan = agent::plan_gluster_tls(observed);
    REQUIRE(plan);
    CHECK(plan->actions.empty());
  }
}
