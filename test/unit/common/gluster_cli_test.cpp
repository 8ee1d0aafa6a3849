// The pure parts of GlusterCli: argv construction and the interpretation of a finished run
// (timeouts, glusterd unreachable), on outputs recorded from a real glusterd 10.3.

#include "common/gluster_cli.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "test/unit/support/test_data.hpp"

using namespace pydio::common;

namespace {

std::string recorded(const std::string& name) {
  return pydio::test::recorded_output("gluster/" + name);
}

}  // namespace

TEST_CASE("gluster argv is built without a shell", "[gluster][cli]") {
  SECTION("plain distribute: no replica words, no force") {
    GlusterVolumeCreate request{"pydio-data", 1, 0, {"198.18.0.1:/data/pydio-data"}, false};
    CHECK(gluster_argv(gluster_volume_create_args(request)) ==
          std::vector<std::string>{"gluster", "--mode=script", "--xml", "--", "volume", "create",
                                   "pydio-data", "198.18.0.1:/data/pydio-data"});
  }
  SECTION("\"--\" ends the CLI's options: a value like --log-file=... stays a value") {
    CHECK(gluster_argv({"volume", "set", "v", "k", "--log-file=/etc/x"}) ==
          std::vector<std::string>{"gluster", "--mode=script", "--xml", "--", "volume", "set", "v",
                                   "k", "--log-file=/etc/x"});
  }
  SECTION("replica 3 arbiter 1, forced") {
    GlusterVolumeCreate request{"v", 3, 1, {"a:/b", "c:/d", "e:/f"}, true};
    CHECK(gluster_volume_create_args(request) ==
          std::vector<std::string>{"volume", "create", "v", "replica", "3", "arbiter", "1", "a:/b",
                                   "c:/d", "e:/f", "force"});
  }
}

TEST_CASE("a finished gluster run becomes its XML or a named error", "[gluster][cli]") {
  RunResult result;
  SECTION("timeout") {
    result.timed_out = true;
    result.duration = std::chrono::milliseconds(20000);
    auto answer = gluster_answer("gluster volume status pydio-data", result);
    REQUIRE_FALSE(answer);
    CHECK(answer.status().message() == "gluster volume status pydio-data: timed out after 20000ms");
  }
  SECTION("glusterd unreachable: exit 1 with text") {
    result.exit_code = 1;
    result.out = recorded("pool_list_no_glusterd.xml");
    auto answer = gluster_answer("gluster pool list", result);
    REQUIRE_FALSE(answer);
    CHECK(answer.status().message() ==
          "gluster pool list: exit 1: Connection failed. Please check if gluster daemon is "
          "operational.");
  }
  SECTION("a refusal inside the XML is passed on to the parsers") {
    result.exit_code = 0;
    result.out = recorded("volume_create_exists.xml");
    auto answer = gluster_answer("gluster volume create pydio-data", result);
    REQUIRE(answer);
    CHECK(*answer == result.out);
  }
}
