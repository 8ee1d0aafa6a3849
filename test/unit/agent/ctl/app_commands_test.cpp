// agentctl app publish: the path it sends and what it prints for the daemon's answer.

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "agent/ctl/commands.hpp"

using nlohmann::json;
using namespace pydio::agent::ctl;

TEST_CASE("app publish sends an absolute path, made from the working directory", "[ctl][publish]") {
  const std::string cwd = std::filesystem::current_path().string();
  CHECK(absolute_archive_path("/srv/p.tar.gz") == "/srv/p.tar.gz");
  CHECK(absolute_archive_path("/srv/./a/../p.tar.gz") == "/srv/p.tar.gz");
  CHECK(absolute_archive_path("p.tar.gz") == (std::filesystem::path(cwd) / "p.tar.gz").string());
}

TEST_CASE("app publish prints the release, its generation and the rollout", "[ctl][publish]") {
  const std::string sha = "sha256:" + std::string(64, 'b');
  json body = {{"version", "8.2.5"},        {"sha256", sha},
               {"generation", 7},           {"file", "p.tar.gz"},
               {"alreadyPublished", false}, {"rollout", nullptr}};
  SECTION("the first release") {
    CHECK(format_publish(body) == "published 8.2.5 (" + sha +
                                      ") as generation 7; rollout: none, every compute node "
                                      "installs it now\n");
  }
  SECTION("a release rolled out from the one before") {
    body["rollout"] = {{"release", sha}, {"previous", "sha256:aa"}, {"previousVersion", "8.2.4"}};
    CHECK(format_publish(body) ==
          "published 8.2.5 (" + sha +
              ") as generation 7; rollout: from 8.2.4 (sha256:aa), one compute node at a time, "
              "led by the leader (agentctl status shows progress)\n");
  }
  SECTION("the release in force again") {
    body["alreadyPublished"] = true;
    CHECK(format_publish(body) == "already published: 8.2.5 (" + sha +
                                      ") is the release in force (generation 7); nothing "
                                      "changed\n");
  }
}
