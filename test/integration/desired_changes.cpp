// Story: an operator changes the desired state of a running node the way they change other
// clusters. `agentctl diff` shows what a file would change (fields, and the resources it
// touches); `agentctl apply` takes a file without a generation, or with the generation it was
// based on (an edited copy of the document in force), and commits it as the next generation; a
// copy counted up by hand (as earlier versions asked) is refused while no other change won; of two
// applies based on the same generation one wins and the other is refused with what the winner
// changed; `agentctl edit` opens the document in force in $EDITOR (a scripted editor here), refuses
// an invalid save by reopening the file with the problems on top, applies the fixed one, and
// cancels on an unchanged or empty file. The document the agent serves validates against
// docs/schema. One storage node with directory bricks and no database: the change flow is the
// agent's own (a one-node cluster commits its changes itself), so nothing needs to converge first.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <future>

#include "support/json_schema.hpp"
#include "support/sim_cluster.hpp"

using namespace pydio::test;

namespace {

nlohmann::json spec_of(const SimNode& node) {
  return {
      {"apiVersion", "pydio-agent/v1"},
      {"generation", 1},
      {"cluster", {{"name", "changes"}}},
      {"nodes",
       {{{"name", node.name()},
         {"address", node.address()},
         {"roles", {"storage"}},
         {"bricks",
          {{{"name", "data"}, {"directory", "/srv/bricks/data"}, {"allowRootPartition", true}},
           {{"name", "config"},
            {"directory", "/srv/bricks/config"},
            {"allowRootPartition", true}}}}}}},
      {"volumes",
       {{{"name", "pydio-data"}, {"brick", "data"}, {"options", {{"network.ping-timeout", "5"}}}},
        {{"name", "pydio-config"}, {"brick", "config"}}}},
      // No db node: the database is elsewhere (198.18.0.50 answers nothing; no leader).
      {"database", {{"host", "198.18.0.50"}}}};
}

// A scripted $EDITOR (python3, never a shell): each run takes the next step from steps.json.
// "break": records the file's mode and the document it was given, then makes nodes[0].address
// invalid; "fix": records what it was given (errors on top), repairs the address and changes an
// option; "keep": saves nothing new; "empty": empties the file.
constexpr const char* kEditor = R"(#!/usr/bin/python3
import json, os, sys
here = os.path.dirname(os.path.abspath(__file__))
steps = json.load(open(os.path.join(here, "steps.json")))
step = steps.pop(0)
json.dump(steps, open(os.path.join(here, "steps.json"), "w"))
path = sys.argv[1]
text = open(path).read()
document = "".join(l for l in text.splitlines(True) if not l.lstrip().startswith("#"))
if step == "break":
    open(os.path.join(here, "mode"), "w").write(oct(os.stat(path).st_mode & 0o777))
    open(os.path.join(here, "fetched.json"), "w").write(document)
    doc = json.loads(document)
    doc["nodes"][0]["address"] = "198.18.0.300"
    open(path, "w").write(json.dumps(doc, indent=2))
elif step == "fix":
    open(os.path.join(here, "second-open.txt"), "w").write(text)
    doc = json.loads(document)
    doc["nodes"][0]["address"] = "198.18.0.1"
    doc["volumes"][0]["options"]["network.ping-timeout"] = "9"
    open(path, "w").write(json.dumps(doc, indent=2))
elif step == "empty":
    open(path, "w").write("")
)";

std::string read(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

TEST_CASE("the desired state is changed with diff, apply and edit", "[integration]") {
  SimCluster cluster;
  SimNode& node = cluster.add_node("node1", 1);
  node.start_agent();
  REQUIRE(node.wait_agent_ready());
  const std::string dir = cluster.run_dir();
  const auto write_spec = [&](const std::string& name, const nlohmann::json& spec) {
    std::ofstream(dir + "/" + name) << spec.dump(2);
    return dir + "/" + name;
  };
  const nlohmann::json spec = spec_of(node);
  auto init = node.agentctl({"init", "--spec", write_spec("spec.json", spec)});
  INFO(init.out << init.err);
  REQUIRE(init.succeeded());
  REQUIRE(generation_of(node) == 1);

  {  // diff: the spec itself changes nothing (exit 0); a changed copy lists fields and resources
    auto same = node.agentctl({"diff", dir + "/spec.json"});
    CHECK(same.exit_code == 0);
    CHECK_THAT(same.out, Catch::Contains("no change"));
    nlohmann::json changed = spec;
    changed.erase("generation");
    changed["volumes"][0]["options"]["network.ping-timeout"] = "7";
    changed["nodes"][0]["roles"].push_back("compute");
    auto diff = node.agentctl({"diff", write_spec("changed.json", changed)});
    INFO(diff.out << diff.err);
    CHECK(diff.exit_code == 1);
    CHECK_THAT(
        diff.out,
        Catch::Contains("~ volumes[pydio-data].options[\"network.ping-timeout\"]: \"5\" -> \"7\""));
    CHECK_THAT(diff.out, Catch::Contains("+ nodes[node1].roles[]: \"compute\""));
    CHECK_THAT(diff.out, Catch::Contains("node node1: role compute added: fuse-mount/pydio-data"));
    CHECK_THAT(diff.out, Catch::Contains("volume/pydio-data: options set by the leader"));
    CHECK(generation_of(node) == 1);  // diff changes nothing
    // An invalid file is trouble (2), naming the field.
    changed["volumes"][0]["replica"] = 0;
    auto invalid = node.agentctl({"diff", write_spec("invalid.json", changed)});
    CHECK(invalid.exit_code == 2);
    CHECK_THAT(invalid.err, Catch::Contains("volumes[0].replica: must be at least 1"));
  }

  {  // apply without a generation: based on the one in force, committed as the next
    nlohmann::json changed = spec;
    changed.erase("generation");
    changed["volumes"][0]["options"]["network.ping-timeout"] = "6";
    auto apply = node.agentctl({"apply", "--spec", write_spec("no-generation.json", changed)});
    INFO(apply.out << apply.err);
    REQUIRE(apply.succeeded());
    CHECK_THAT(apply.out, Catch::Contains("accepted: generation 2 is now the desired state "
                                          "(based on generation 1)"));
    CHECK(generation_of(node) == 2);
    // Applying it again changes nothing and commits nothing.
    auto again = node.agentctl({"apply", "--spec", dir + "/no-generation.json"});
    CHECK(again.exit_code == 0);
    CHECK_THAT(again.out, Catch::Contains("no change"));
    CHECK(generation_of(node) == 2);
  }

  {  // two applies based on generation 2, at the same time: one wins, the other is refused
    nlohmann::json a = spec;
    a["generation"] = 2;  // edited copies of generation 2
    a["volumes"][0]["options"]["network.ping-timeout"] = "6";
    a["volumes"][1]["options"] = {{"performance.cache-size", "32MB"}};
    nlohmann::json b = a;
    b["volumes"][1]["options"] = {{"performance.cache-size", "64MB"}};
    const std::string path_a = write_spec("a.json", a);
    const std::string path_b = write_spec("b.json", b);
    auto first = std::async(std::launch::async, [&] {
      return node.agentctl({"apply", "--spec", path_a});
    });
    auto second = std::async(std::launch::async, [&] {
      return node.agentctl({"apply", "--spec", path_b});
    });
    const auto result_a = first.get();
    const auto result_b = second.get();
    INFO("a: " << result_a.out << result_a.err << "\nb: " << result_b.out << result_b.err);
    CHECK(result_a.succeeded() != result_b.succeeded());
    CHECK(generation_of(node) == 3);
    const auto& loser = result_a.succeeded() ? result_b : result_a;
    CHECK(loser.exit_code == 1);
    // Refused before sending (it saw generation 3 already) or by the commit's compare-and-set:
    // either way it names the other change.
    CHECK_THAT(loser.err, Catch::Contains("another change was put in force"));
    CHECK_THAT(loser.out, Catch::Contains("performance.cache-size"));
    // Applying the loser again says it is stale and shows the diff.
    auto stale = node.agentctl({"apply", "--spec", result_a.succeeded() ? path_b : path_a});
    CHECK(stale.exit_code == 1);
    CHECK_THAT(stale.err, Catch::Contains("is based on generation 2, but generation 3 (in force)"));
    CHECK(generation_of(node) == 3);
  }

  {  // counted up by hand: refused, naming the generation to keep; kept: applied
    nlohmann::json next = spec;
    next["volumes"][0]["options"]["network.ping-timeout"] = "7";
    next["generation"] = 4;
    auto counted = node.agentctl({"apply", "--spec", write_spec("counted.json", next)});
    CHECK(counted.exit_code == 1);
    CHECK_THAT(counted.err, Catch::Contains("generation: 4 is not in force (the generation in "
                                            "force is 3)"));
    CHECK(generation_of(node) == 3);
    next["generation"] = 3;
    auto apply = node.agentctl({"apply", "--spec", write_spec("kept.json", next)});
    INFO(apply.out << apply.err);
    CHECK(apply.succeeded());
    CHECK(generation_of(node) == 4);
  }

  const std::string editor_dir = dir + "/editor";
  std::filesystem::create_directories(editor_dir + "/tmp");
  const std::string editor = editor_dir + "/edit.py";
  std::ofstream(editor) << kEditor;
  std::filesystem::permissions(editor, std::filesystem::perms::owner_all);
  const auto edit_with = [&](const std::vector<std::string>& steps) {
    std::ofstream(editor_dir + "/steps.json") << nlohmann::json(steps).dump();
    // VISUAL unset, EDITOR set: the one agentctl runs, split at the space (no shell).
    return node.exec({"env", "-u", "VISUAL", "EDITOR=/usr/bin/python3 " + editor,
                      "TMPDIR=" + editor_dir + "/tmp", agentctl_path(), "edit"});
  };

  {  // edit: an invalid save reopens with the problems on top; the fixed one is applied
    auto edit = edit_with({"break", "fix"});
    INFO(edit.out << edit.err);
    REQUIRE(edit.succeeded());
    CHECK_THAT(edit.out, Catch::Contains("accepted: generation 5 is now the desired state "
                                         "(based on generation 4)"));
    CHECK(read(editor_dir + "/mode") == "0o600");
    const std::string second_open = read(editor_dir + "/second-open.txt");
    CHECK_THAT(second_open, Catch::Contains("# Not applied; fix these"));
    CHECK_THAT(second_open,
               Catch::Contains("#   nodes[0].address: must be an IPv4 address like 198.18.0.1, "
                               "got \"198.18.0.300\""));
    CHECK(generation_of(node) == 5);
    CHECK(std::filesystem::is_empty(editor_dir + "/tmp"));  // the temporary file is gone
    // What GET /v1/desired-state served validates against the documented schema.
    const auto fetched = nlohmann::json::parse(read(editor_dir + "/fetched.json"));
    CHECK(fetched["generation"] == 4);
    CHECK(schema_problems(fetched, "desired-state.schema.json", dir) == "");
  }

  {  // an unchanged or an empty file cancels; nothing is applied
    auto unchanged = edit_with({"keep"});
    CHECK(unchanged.exit_code == 0);
    CHECK_THAT(unchanged.out, Catch::Contains("edit cancelled: no change"));
    auto empty = edit_with({"empty"});
    CHECK(empty.exit_code == 0);
    CHECK_THAT(empty.out, Catch::Contains("edit cancelled: the file is empty"));
    CHECK(generation_of(node) == 5);
  }
}
