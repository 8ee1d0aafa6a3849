// agentctl diff/apply/edit: the field diff, what it touches, and what a file's generation means.

#include "agent/ctl/desired_diff.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "agent/ctl/change_plan.hpp"
#include "agent/reconcile/resource_set.hpp"
#include "test/unit/support/test_data.hpp"

using nlohmann::json;
using nlohmann::ordered_json;
using namespace pydio::agent::ctl;
using Kind = FieldChange::Kind;
using Verdict = ChangePlan::Verdict;

namespace {

const std::string kExamplesDir = std::string(PYDIO_TEST_DATA_DIR) + "/../../docs/examples";

json tutorial() {
  return json::parse(pydio::test::read_text_file(kExamplesDir + "/tutorial.json"));
}

pydio::common::DesiredState state_of(const json& document) {
  auto parsed = pydio::common::parse_desired_state(document.dump());
  REQUIRE(parsed.errors.empty());
  return *parsed.state;
}

json third_node() {
  return json::parse(R"({"name": "node3", "address": "198.18.0.3", "roles": ["storage", "compute"],
    "bricks": [{"name": "data", "device": "/dev/xvdb", "mountpoint": "/data"},
               {"name": "config", "directory": "/data/config-brick"}]})");
}

bool has_change(const std::vector<FieldChange>& changes, Kind kind, const std::string& path) {
  return std::any_of(changes.begin(), changes.end(),
                     [&](const auto& c) { return c.kind == kind && c.path == path; });
}

}  // namespace

TEST_CASE("diff: fields by JSON path, list elements by name, plain lists by item", "[ctl][diff]") {
  const ordered_json before = ordered_json::parse(R"({"generation": 3, "web": {"alias": "/pydio"},
      "nodes": [{"name": "n1", "roles": ["storage"]}, {"name": "n2", "roles": ["compute"]}],
      "volumes": [{"name": "v", "options": {"network.ping-timeout": "10"}}]})");
  SECTION("the same document, another generation: no change") {
    ordered_json after = before;
    after["generation"] = 4;
    CHECK(diff_fields(before, after).empty());
  }
  SECTION("a value, a member added and removed, a role added, a node added") {
    ordered_json after = before;
    after["web"]["alias"] = "/files";
    after["web"]["docroot"] = "/srv/www";
    after["volumes"][0]["options"].erase("network.ping-timeout");
    after["nodes"][0]["roles"].push_back("lb");
    after["nodes"].push_back({{"name", "n3"}, {"roles", {"db"}}});
    const auto changes = diff_fields(before, after);
    REQUIRE(changes.size() == 5);
    CHECK(has_change(changes, Kind::kChanged, "web.alias"));
    CHECK(changes[0].before == "/pydio");
    CHECK(changes[0].after == "/files");
    CHECK(has_change(changes, Kind::kAdded, "web.docroot"));
    CHECK(has_change(changes, Kind::kItemAdded, "nodes[n1].roles"));
    CHECK(has_change(changes, Kind::kAdded, "nodes[n3]"));
    CHECK(has_change(changes, Kind::kRemoved, "volumes[v].options[\"network.ping-timeout\"]"));
  }
  SECTION("a node removed, and the order of nodes") {
    ordered_json after = before;
    after["nodes"].erase(0);
    CHECK(has_change(diff_fields(before, after), Kind::kRemoved, "nodes[n1]"));
    after = before;
    std::swap(after["nodes"][0], after["nodes"][1]);
    const auto changes = diff_fields(before, after);
    REQUIRE(changes.size() == 1);
    CHECK(changes[0].path == "nodes");
    CHECK(changes[0].after == ordered_json::array({"n2", "n1"}));
  }
}

TEST_CASE("diff: a new storage node, in fields and in what it touches", "[ctl][diff]") {
  const auto before = state_of(tutorial());
  json grown = tutorial();
  grown["nodes"].push_back(third_node());
  grown["database"]["allowedHosts"].push_back("198.18.0.3");
  const DesiredDiff diff = diff_desired(before, state_of(grown));
  CHECK(has_change(diff.fields, Kind::kAdded, "nodes[node3]"));
  CHECK(has_change(diff.fields, Kind::kItemAdded, "database.allowedHosts"));
  REQUIRE(!diff.impact.empty());
  CHECK(diff.impact[0] ==
        "node node3 added (storage, compute); storage: data-brick, config-brick, glusterd, "
        "gluster-pool (probed into the pool); volumes pydio-data/pydio-config take its bricks "
        "once a whole replica set is available; compute: fuse-mount/pydio-data, "
        "fuse-mount/pydio-config, packages, php, apache-vhost, pydio-wiring, pydio-seed, "
        "check-file");
  CHECK(diff.impact[1] ==
        "db-server, database on node1; pydio-wiring, db-proxy on node1, node2, node3");
  const std::string text = format_diff(diff, "generation 1 (in force)", "grown.json");
  CHECK(text.find(
            "--- generation 1 (in force)\n+++ grown.json\n+ nodes[node3]: {\"name\":\"node3\"") ==
        0);
  CHECK(text.find("+ database.allowedHosts[]: \"198.18.0.3\"\n") != std::string::npos);
  CHECK(text.find("touches:\n  node node3 added") != std::string::npos);
}

TEST_CASE("diff: sections map to the resources the nodes run, named as status names them",
          "[ctl][diff]") {
  json changed = tutorial();
  changed["web"]["php"] = {{"memoryLimit", "256M"}};
  changed["web"]["alias"] = "/files";
  changed["volumes"][0]["options"]["performance.cache-size"] = "64MB";
  changed["volumes"][1]["mountpoint"] = "/mnt/config";
  changed["database"]["backup"] = json::object();
  const auto before = state_of(tutorial());
  const auto after = state_of(changed);
  const DesiredDiff diff = diff_desired(before, after);
  CHECK(diff.impact == std::vector<std::string>{
                           "volume/pydio-data: options set by the leader (gluster volume set)",
                           "fuse-mount/pydio-config on node1, node2",
                           "apache-vhost, pydio-wiring, check-file on node1, node2",
                           "php on node1, node2", "db-backup on node1"});
  // Every resource name the impact lines use is one the reconciler builds.
  const auto names = pydio::agent::resource_names(after, "node1");
  for (const char* name :
       {"data-brick", "config-brick", "glusterd", "gluster-pool", "packages", "php", "apache-vhost",
        "pydio-wiring", "pydio-seed", "check-file", "db-server", "database", "db-backup",
        "db-proxy", "haproxy", "pydio-release", "volume/pydio-data", "fuse-mount/pydio-config"}) {
    INFO(name);
    CHECK(std::find(names.begin(), names.end(), name) != names.end());
  }
  CHECK(format_diff(diff_desired(before, before), "a", "b") == "no change: b is the same as a\n");
}

TEST_CASE("apply: the generation of a file is the one it was based on", "[ctl][apply]") {
  json in_force_doc = tutorial();
  in_force_doc["generation"] = 5;
  const auto in_force = state_of(in_force_doc);
  json edited = in_force_doc;
  edited["web"]["alias"] = "/files";
  SECTION("absent: based on the generation in force, submitted as the next") {
    edited.erase("generation");
    const ChangePlan plan = plan_change(edited.dump(), in_force);
    REQUIRE(plan.verdict == Verdict::kSubmit);
    CHECK(!plan.had_generation);
    CHECK(plan.base == 5);
    CHECK(json::parse(plan.document)["generation"] == 6);
    CHECK(json::parse(plan.document)["web"]["alias"] == "/files");
  }
  SECTION("the one in force (an edited copy of it, generation kept): submitted as the next") {
    const ChangePlan plan = plan_change(edited.dump(), in_force);
    REQUIRE(plan.verdict == Verdict::kSubmit);
    CHECK(plan.had_generation);
    CHECK(plan.base == 5);
    CHECK(json::parse(plan.document)["generation"] == 6);
  }
  SECTION("older and different: stale (another change won since), with what applying would do") {
    for (int generation : {4, 1}) {
      edited["generation"] = generation;
      const ChangePlan plan = plan_change(edited.dump(), in_force);
      CHECK(plan.verdict == Verdict::kStale);
      CHECK(plan.base == generation);
      CHECK(has_change(plan.diff.fields, Kind::kChanged, "web.alias"));
    }
  }
  SECTION("ahead of the one in force (counted up by hand), or below 1: refused, naming it") {
    // A copy counted up by hand, applied while the one it was copied from is still in force.
    edited["generation"] = 6;
    ChangePlan plan = plan_change(edited.dump(), in_force);
    REQUIRE(plan.verdict == Verdict::kInvalid);
    CHECK(plan.errors.front() ==
          "generation: 6 is not in force (the generation in force is 5); a file's generation is "
          "the generation it was based on (5 for an edit of the document in force), or leave "
          "generation out");
    edited["generation"] = 0;
    plan = plan_change(edited.dump(), in_force);
    REQUIRE(plan.verdict == Verdict::kInvalid);
    CHECK(plan.errors.front() == "generation: must be at least 1");
  }
  SECTION("an edit's base wins over the file's generation") {
    edited["generation"] = 1;
    const ChangePlan plan = plan_change(edited.dump(), in_force, 5);
    CHECK(plan.verdict == Verdict::kSubmit);
  }
  SECTION("invalid: the validator's lines, duplicate keys included") {
    edited["nodes"][0]["address"] = "198.18.0.300";
    ChangePlan plan = plan_change(edited.dump(), in_force);
    REQUIRE(plan.verdict == Verdict::kInvalid);
    CHECK(plan.errors.front().rfind("nodes[0].address: must be an IPv4 address", 0) == 0);
    plan = plan_change(R"({"apiVersion": "a", "apiVersion": "b"})", in_force);
    REQUIRE(plan.verdict == Verdict::kInvalid);
    CHECK(plan.errors.front().find("apiVersion") != std::string::npos);
  }
  SECTION("the document in force, with or without the members the agents write: no change") {
    CHECK(plan_change(in_force_doc.dump(), in_force).verdict == Verdict::kNoChange);
    json older = in_force_doc;
    older["generation"] = 3;  // an old copy with the same content changes nothing either
    CHECK(plan_change(older.dump(), in_force).verdict == Verdict::kNoChange);
    json with_token = in_force_doc;
    with_token["joinTokens"] = json::array({{{"id", "abc123"},
                                             {"secretHash", "sha256:" + std::string(64, 'a')},
                                             {"expires", "2030-01-01T00:00:00Z"}}});
    const auto tokens_in_force = state_of(with_token);
    CHECK(plan_change(in_force_doc.dump(), tokens_in_force).verdict == Verdict::kNoChange);
  }
}

TEST_CASE("edit: comment lines, the buffer with errors on top, the editor's argv", "[ctl][edit]") {
  CHECK(strip_comment_lines("# a\n  # b\n{\n  \"x\": \"#y\"\n}\n") == "{\n  \"x\": \"#y\"\n}\n");
  const std::string buffer = edit_buffer("{}\n", 4, {"nodes[0].address: bad"});
  CHECK(buffer.find("generation 4. Save to apply it as generation 5") != std::string::npos);
  CHECK(buffer.find("#   nodes[0].address: bad\n{}\n") != std::string::npos);
  CHECK(strip_comment_lines(buffer) == "{}\n");
  CHECK(edit_buffer("{}\n", 4, {}).find("Not applied") == std::string::npos);

  using Argv = std::vector<std::string>;
  CHECK(editor_argv(nullptr, nullptr, "vi", "/tmp/f") == Argv{"vi", "/tmp/f"});
  CHECK(editor_argv(nullptr, "nano -w", "vi", "/tmp/f") == Argv{"nano", "-w", "/tmp/f"});
  CHECK(editor_argv("code  --wait", "nano", "vi", "/tmp/f") == Argv{"code", "--wait", "/tmp/f"});
  CHECK(editor_argv("", "", "editor", "/tmp/f") == Argv{"editor", "/tmp/f"});
  // No shell: metacharacters are plain argv words.
  CHECK(editor_argv(nullptr, "vi;rm", "vi", "/tmp/f") == Argv{"vi;rm", "/tmp/f"});
}
