// Story: a one-node cluster (storage+compute+db). The operator publishes the Pydio release
// fixture-1 with `agentctl app publish`: the desired state names it by its sha256 and the
// archive is on pydio-config, where the web user cannot read it. Publishing it again changes
// nothing; an archive with a member "../x" is refused naming that member, and nothing changes.
// A spec may repeat web.release but not replace it. fixture-2 is published next: the desired
// state records a rollout from fixture-1 (the leader rolls it out; this scenario does not wait
// for that, nor for the release to be installed).
// The web user cannot publish at all: the admin socket is root's.
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/runner.hpp"
#include "support/pydio_fixture.hpp"
#include "support/sim_cluster.hpp"

using namespace pydio::test;
using nlohmann::json;

namespace {

constexpr const char* kReleases = "/mnt/pydio-config/pydio-agent/releases";

// "sha256:<hex>" of `path`, by sha256sum.
std::string sha256_of(SimNode& node, const std::string& path) {
  const std::string out = node.must({"sha256sum", path});
  REQUIRE(out.size() > 64);
  return "sha256:" + out.substr(0, 64);
}

json desired_document(SimNode& node) {
  return json::parse(node.read_file("/var/lib/pydio-agent/desired-state.json"));
}

std::string listing(SimNode& node, const std::string& dir) { return node.must({"ls", "-A", dir}); }

// The fixture with a member "../x" next to its top directory (tar -P keeps the name).
std::string build_hostile_archive(const std::string& run_dir, const std::string& v1) {
  const std::string staging = run_dir + "/hostile-staging";
  pydio::common::SystemRunner runner;
  for (const std::vector<std::string>& argv :
       {std::vector<std::string>{"mkdir", "-p", staging + "/inner"},
        {"tar", "-xzf", v1, "-C", staging + "/inner"},
        {"cp", v1, staging + "/x"},
        {"tar", "-P", "--owner=0", "--group=0", "-czf", run_dir + "/pydio-core-hostile.tar.gz",
         "-C", staging + "/inner", "pydio-core-fixture-1", "../x"}}) {
    const auto result = runner.run(pydio::common::Command(argv, std::chrono::seconds(60)));
    INFO(argv[0] << ": " << result.err);
    REQUIRE(result.succeeded());
  }
  return run_dir + "/pydio-core-hostile.tar.gz";
}

}  // namespace

TEST_CASE("agentctl app publish checks a release, stores it on pydio-config and publishes it",
          "[integration]") {
  SimCluster cluster;
  SimNode& node = bring_up_healthy_single_node(cluster);
  const std::string v1 = build_pydio_fixture(cluster.run_dir(), FixtureVariant::kV1);
  const std::string v2 = build_pydio_fixture(cluster.run_dir(), FixtureVariant::kV2);
  const std::string hostile = build_hostile_archive(cluster.run_dir(), v1);
  const std::string sha1 = sha256_of(node, v1);
  const std::string sha2 = sha256_of(node, v2);
  const std::string stored1 = std::string(kReleases) + "/" + sha1.substr(7) + ".tar.gz";
  const std::string stored2 = std::string(kReleases) + "/" + sha2.substr(7) + ".tar.gz";
  const long long first = generation_of(node);
  REQUIRE(first > 0);

  {  // the first release: every node installs it at once, no rollout
    const auto published = node.agentctl({"app", "publish", v1}, 600s);
    INFO(published.out << published.err);
    REQUIRE(published.succeeded());
    CHECK(published.out == "published fixture-1 (" + sha1 + ") as generation " +
                               std::to_string(first + 1) +
                               "; rollout: none, every compute node installs it now\n");
    CHECK(generation_of(node) == first + 1);
    const json web = desired_document(node)["web"];
    INFO(web.dump());
    CHECK(web["release"]["sha256"] == sha1);
    CHECK(web["release"]["version"] == "fixture-1");
    CHECK(web["release"]["file"] == "pydio-core-fixture-1.tar.gz");
    CHECK(web["release"]["size"] == std::stoll(node.must({"stat", "-c", "%s", v1})));
    CHECK_FALSE(web.contains("rollout"));
    CHECK(sha256_of(node, stored1) == sha1);
    CHECK(node.must({"stat", "-c", "%U:%G %a", kReleases}) == "root:root 700\n");
    CHECK(node.must({"stat", "-c", "%U:%G %a", stored1}) == "root:root 600\n");
    CHECK(listing(node, kReleases) == sha1.substr(7) + ".tar.gz\n");
    // The web user can neither read the archive nor list the releases.
    CHECK_FALSE(node.exec({"runuser", "-u", "www-data", "--", "cat", stored1}).succeeded());
    CHECK_FALSE(node.exec({"runuser", "-u", "www-data", "--", "ls", kReleases}).succeeded());
    CHECK(has_event(node, "release-publish",
                    "release fixture-1 (" + sha1.substr(0, 19) + "\u2026) published"));
  }

  {  // the same release again: nothing changes
    const auto again = node.agentctl({"app", "publish", v1}, 600s);
    INFO(again.out << again.err);
    REQUIRE(again.succeeded());
    CHECK(again.out.rfind("already published: fixture-1 (" + sha1 + ")", 0) == 0);
    CHECK(generation_of(node) == first + 1);
  }

  {  // a hostile archive: refused naming the member; nothing changed, nothing left behind
    const auto refused = node.agentctl({"app", "publish", hostile}, 600s);
    INFO(refused.out << refused.err);
    CHECK(refused.exit_code == 1);
    CHECK(refused.err.find("not a Pydio release: \"../x\": a \"..\" component") !=
          std::string::npos);
    CHECK(generation_of(node) == first + 1);
    CHECK(desired_document(node)["web"]["release"]["sha256"] == sha1);
    CHECK(listing(node, kReleases) == sha1.substr(7) + ".tar.gz\n");
  }

  {  // a spec may repeat web.release as it is, not replace it
    json document = desired_document(node);  // an edit of the one in force, its generation kept
    document["web"]["release"]["version"] = "forged";
    const std::string path = cluster.run_dir() + "/forged-release.json";
    std::ofstream(path) << document.dump(2);
    const auto forged = node.agentctl({"apply", "--spec", path});
    INFO(forged.out << forged.err);
    CHECK(forged.exit_code == 1);
    CHECK(forged.err.find("web.release: managed by agentctl app publish, not by a spec") !=
          std::string::npos);
    CHECK(generation_of(node) == first + 1);
    document["web"]["release"]["version"] = "fixture-1";
    document["web"]["publicUrl"] = "https://files.example.com";
    std::ofstream(path) << document.dump(2);
    const auto repeated = node.agentctl({"apply", "--spec", path});
    INFO(repeated.out << repeated.err);
    CHECK(repeated.succeeded());
    CHECK(generation_of(node) == first + 2);
    CHECK(desired_document(node)["web"]["release"]["sha256"] == sha1);
  }

  {  // the next release rolls out from the one in force; both archives are kept
    const auto published = node.agentctl({"app", "publish", v2}, 600s);
    INFO(published.out << published.err);
    REQUIRE(published.succeeded());
    CHECK(published.out == "published fixture-2 (" + sha2 + ") as generation " +
                               std::to_string(first + 3) + "; rollout: from fixture-1 (" + sha1 +
                               "), one compute node at a time, led by the leader (agentctl "
                               "status shows progress)\n");
    const json web = desired_document(node)["web"];
    INFO(web.dump());
    CHECK(web["release"]["sha256"] == sha2);
    CHECK(web["rollout"]["release"] == sha2);
    CHECK(web["rollout"]["previous"] == sha1);
    CHECK(node.file_exists(stored1));
    CHECK(sha256_of(node, stored2) == sha2);
  }

  const long long published = generation_of(node);
  // (Refused while a rollout runs: rolling_release, where a rollout takes several steps.)

  {  // the web user cannot reach the admin API
    const auto www = node.exec({"runuser", "-u", "www-data", "--", "curl", "-sS", "--unix-socket",
                                "/run/pydio-agent/admin.sock", "-X", "POST", "--data-binary",
                                json{{"path", v1}}.dump(), "http://agent/v1/app/publish"});
    INFO(www.out << www.err);
    CHECK(www.exit_code == 7);  // curl: could not connect
    CHECK(www.out.empty());
  }
  CHECK(generation_of(node) >= published);
  CHECK(desired_document(node)["web"]["release"]["sha256"] == sha2);
}
