// The release archive checks of agentctl app publish, on listings recorded from GNU tar 1.34 by
// test/data/tar/record.sh (real archives: the fixture, odd but harmless names, hostile trees),
// and on handwritten lines where tar cannot make the archive (it strips what it refuses).

#include "common/release_listing.hpp"

#include <catch2/catch.hpp>

#include "common/tar_listing.hpp"
#include "test/unit/support/test_data.hpp"

using namespace pydio::common;

namespace {

std::vector<TarMember> recorded(const std::string& name) {
  auto members = parse_tar_listing(pydio::test::recorded_output("tar/" + name + ".list"));
  INFO(name << ": " << (members ? "" : members.status().message()));
  REQUIRE(members);
  return *members;
}

ReleaseListingCheck check_recorded(const std::string& name) {
  return check_release_listing(recorded(name));
}

bool has_problem(const ReleaseListingCheck& check, const std::string& text) {
  for (const auto& problem : check.problems)
    if (problem.find(text) != std::string::npos) return true;
  return false;
}

std::string all(const ReleaseListingCheck& check) {
  std::string out;
  for (const auto& problem : check.problems) out += problem + "\n";
  return out;
}

const char* kTop = "drwxr-xr-x 0/0               0 2026-11-30 17:30:19 \"rel/\"\n";
const char* kRequired =
    "-rw-r--r-- 0/0              10 2026-11-30 17:30:19 \"rel/index.php\"\n"
    "-rw-r--r-- 0/0              10 2026-11-30 17:30:19 \"rel/base.conf.php\"\n"
    "drwxr-xr-x 0/0               0 2026-11-30 17:30:19 \"rel/conf/\"\n"
    "-rw-r--r-- 0/0              29 2026-11-30 17:30:19 \"rel/conf/VERSION\"\n"
    "-rw-r--r-- 0/0              10 2026-11-30 17:30:19 \"rel/conf/bootstrap_context.php\"\n"
    "-rw-r--r-- 0/0              10 2026-11-30 17:30:19 \"rel/conf/bootstrap_repositories.php\"\n";

// A valid release listing with `extra` lines appended.
ReleaseListingCheck check_lines(const std::string& extra) {
  auto members = parse_tar_listing(std::string(kTop) + kRequired + extra);
  INFO((members.status().is_ok() ? std::string() : members.status().message()));
  REQUIRE(members);
  return check_release_listing(*members);
}

}  // namespace

TEST_CASE("tar listing lines are read with C-quoted names and link targets", "[release][tar]") {
  const auto members = recorded("odd-names");
  const auto find = [&](const std::string& name) -> const TarMember* {
    for (const auto& member : members)
      if (member.name == name) return &member;
    return nullptr;
  };
  SECTION("a directory keeps its trailing slash; sizes and lines are read") {
    REQUIRE(members.front().name == "pydio-core-fixture-1/");
    CHECK(members.front().type == 'd');
    CHECK(members.front().line == 1);
    const TarMember* index = find("pydio-core-fixture-1/index.php");
    REQUIRE(index != nullptr);
    CHECK(index->type == '-');
    CHECK(index->size == 853);
  }
  SECTION("names that look like links or hold quotes, backslashes or UTF-8 are decoded") {
    CHECK(find("pydio-core-fixture-1/sp ace -> x") != nullptr);
    CHECK(find("pydio-core-fixture-1/\"q\"") != nullptr);
    CHECK(find("pydio-core-fixture-1/back\\slash") != nullptr);
    CHECK(find("pydio-core-fixture-1/caf\xc3\xa9.txt") != nullptr);
  }
  SECTION("symbolic and hard links carry their targets") {
    const TarMember* tool = find("pydio-core-fixture-1/core/vendor/bin/tool");
    REQUIRE(tool != nullptr);
    CHECK(tool->type == 'l');
    CHECK(tool->link == "../pkg/bin/tool");
    const TarMember* copy = find("pydio-core-fixture-1/index-copy.php");
    const TarMember* index = find("pydio-core-fixture-1/index.php");
    REQUIRE(copy != nullptr);
    REQUIRE(index != nullptr);
    // tar stores the second name it meets as a link to the first.
    CHECK((copy->type == 'h' ? copy->link : index->link) ==
          (copy->type == 'h' ? index->name : copy->name));
  }
  SECTION("a device lists major,minor where the size is") {
    const auto devices = recorded("hostile-devices");
    bool found = false;
    for (const auto& member : devices)
      if (member.type == 'c' && member.name == "pydio-core-fixture-1/null") found = true;
    CHECK(found);
  }
}

TEST_CASE("a line tar would not print is an error naming its line", "[release][tar]") {
  const auto line = [](const std::string& text) { return parse_tar_listing(text); };
  CHECK_FALSE(line("garbage\n"));
  CHECK_FALSE(line("-rw-r--r-- 0/0 1 2026-11-30 17:30:19 rel/unquoted\n"));
  CHECK_FALSE(line("-rw-r--r-- 0/0 1 2026-11-30 17:30:19 \"rel/unterminated\n"));
  CHECK_FALSE(line("-rw-r--r-- 0/0 1 2026-11-30 17:30:19 \"rel/a\" trailing\n"));
  CHECK_FALSE(line("lrwxrwxrwx 0/0 0 2026-11-30 17:30:19 \"rel/l\"\n"));
  CHECK_FALSE(line("-rw-r--r-- 0/0 1 2026-11-30 17:30:19 \"rel/\\9zz\"\n"));
  auto second = line(std::string(kTop) + "nonsense\n");
  REQUIRE_FALSE(second);
  CHECK(second.status().message().find("line 2") != std::string::npos);
  CHECK(line("")->empty());
}

TEST_CASE("the fixture release passes with its top directory and totals", "[release][tar]") {
  for (const char* name : {"fixture-1", "odd-names"}) {
    INFO(name);
    const auto check = check_recorded(name);
    INFO(all(check));
    REQUIRE(check.layout);
    CHECK(check.problems.empty());
    CHECK(check.layout->top == "pydio-core-fixture-1");
    CHECK(check.layout->members == recorded(name).size());
    CHECK(check.layout->unpacked_bytes > 0);
  }
}

TEST_CASE("hostile archives are refused naming the member", "[release][tar]") {
  SECTION("a .. member") {
    const auto check = check_recorded("hostile-dotdot");
    CHECK_FALSE(check.layout);
    CHECK(has_problem(check, "\"../x\": a \"..\" component"));
  }
  SECTION("an absolute member") {
    const auto check = check_recorded("hostile-absolute");
    CHECK_FALSE(check.layout);
    CHECK(has_problem(check, "\"/tmp/tar-record."));
    CHECK(has_problem(check, "an absolute name"));
  }
  SECTION("symbolic links out of the tree, relative and absolute") {
    const auto check = check_recorded("hostile-symlink-out");
    INFO(all(check));
    CHECK_FALSE(check.layout);
    CHECK(has_problem(check,
                      "\"pydio-core-fixture-1/conf/passwd\": a symbolic link to "
                      "\"../../../etc/passwd\" with a target that leaves"));
    CHECK(has_problem(check,
                      "\"pydio-core-fixture-1/shadow\": a symbolic link to "
                      "\"/etc/shadow\" with an absolute target"));
    CHECK(check.problems.size() == 2);
  }
  SECTION("devices and FIFOs") {
    const auto check = check_recorded("hostile-devices");
    CHECK_FALSE(check.layout);
    CHECK(has_problem(check, "\"pydio-core-fixture-1/null\": a character device"));
    CHECK(has_problem(check, "\"pydio-core-fixture-1/loop\": a block device"));
    CHECK(has_problem(check, "\"pydio-core-fixture-1/fifo\": a FIFO"));
  }
  SECTION("a hard link to a file outside the tree") {
    const auto check = check_recorded("hostile-hardlink-out");
    INFO(all(check));
    CHECK_FALSE(check.layout);
    CHECK(has_problem(check, "\"pydio-core-fixture-1/passwd\": a hard link to \"x\", outside"));
  }
  SECTION("a member under a symbolic link of the archive") {
    const auto check = check_recorded("hostile-through-symlink");
    INFO(all(check));
    CHECK_FALSE(check.layout);
    CHECK(has_problem(check,
                      "\"pydio-core-fixture-1/plugins/out/evil.php\": lies under the "
                      "symbolic link \"pydio-core-fixture-1/plugins/out\""));
    CHECK(check.problems.size() == 1);
  }
}

TEST_CASE("an archive that is not one release directory is refused", "[release][tar]") {
  SECTION("two top directories") {
    const auto check = check_recorded("two-tops");
    CHECK_FALSE(check.layout);
    CHECK(has_problem(check, "\"other/\": outside the top directory \"pydio-core-fixture-1/\""));
  }
  SECTION("required files missing") {
    const auto check = check_recorded("missing-files");
    CHECK_FALSE(check.layout);
    CHECK(has_problem(check, "\"pydio-core-fixture-1/conf/VERSION\": missing"));
    CHECK(has_problem(check, "\"pydio-core-fixture-1/base.conf.php\": missing"));
    CHECK(check.problems.size() == 2);
  }
  SECTION("./ names") {
    const auto check = check_recorded("dot-top");
    CHECK_FALSE(check.layout);
    CHECK(has_problem(check, "\"./\": a \".\" component"));
  }
  SECTION("an empty listing") {
    const auto check = check_release_listing({});
    CHECK_FALSE(check.layout);
    CHECK(has_problem(check, "the archive is empty"));
  }
}

TEST_CASE("handwritten hostile listings are refused", "[release][tar]") {
  const std::string file = "-rw-r--r-- 0/0 1 2026-11-30 17:30:19 ";
  const std::string link = "lrwxrwxrwx 0/0 0 2026-11-30 17:30:19 ";
  SECTION("a .. in the middle of a name") {
    CHECK(has_problem(check_lines(file + "\"rel/conf/../../x\"\n"),
                      "\"rel/conf/../../x\": a \"..\" component"));
  }
  SECTION("a control character in a name") {
    CHECK(has_problem(check_lines(file + "\"rel/a\\nb\"\n"), "a control character"));
  }
  SECTION("a link climbing out through another link") {
    // rel/x -> "." stays inside, but rel/x/.. is rel's parent: a name check cannot see that.
    const auto check =
        check_lines(link + "\"rel/x\" -> \".\"\n" + link + "\"rel/y\" -> \"x/sub/../..\"\n");
    CHECK(has_problem(check,
                      "\"rel/y\": a symbolic link to \"x/sub/../..\" with \"..\" after a name"));
    CHECK(check.problems.size() == 1);
  }
  SECTION("a link to the top's parent") {
    CHECK(has_problem(check_lines(link + "\"rel/up\" -> \"..\"\n"), "leaves the release"));
  }
  SECTION("links that stay inside are allowed") {
    const auto check = check_lines(link + "\"rel/conf/up\" -> \"..\"\n" + link +
                                   "\"rel/same\" -> \"./index.php\"\n");
    INFO(all(check));
    CHECK(check.layout);
  }
  SECTION("a member listed twice (a later one replaces the checked one)") {
    const auto check = check_lines(link + "\"rel/index.php\" -> \"/etc/passwd\"\n");
    CHECK(has_problem(check, "\"rel/index.php\": listed twice (listing lines 2 and 8)"));
  }
  SECTION("a required file that is a link") {
    auto members =
        parse_tar_listing(std::string(kTop) + link + "\"rel/index.php\" -> \"a\"\n" +
                          std::string(kRequired).substr(std::string(kRequired).find('\n') + 1));
    REQUIRE(members);
    CHECK(has_problem(check_release_listing(*members),
                      "\"rel/index.php\": a symbolic link, not a regular file"));
  }
  SECTION("a hard link to a file listed after it, or to a directory") {
    const std::string hard = "hrw-r--r-- 0/0 0 2026-11-30 17:30:19 ";
    CHECK(has_problem(
        check_lines(hard + "\"rel/h\" link to \"rel/later\"\n" + file + "\"rel/later\"\n"),
        "not a regular file listed before it"));
    CHECK(has_problem(check_lines(hard + "\"rel/h\" link to \"rel/conf\"\n"),
                      "not a regular file listed before it"));
    CHECK(check_lines(hard + "\"rel/h\" link to \"rel/index.php\"\n").layout);
  }
  SECTION("a top directory whose name would read as an option") {
    auto members = parse_tar_listing("drwxr-xr-x 0/0 0 2026-11-30 17:30:19 \"-rf/\"\n");
    REQUIRE(members);
    CHECK(has_problem(check_release_listing(*members), "the top directory's name starts with"));
  }
  SECTION("a VERSION file larger than 4 KiB, and an archive unpacking to more than 8 GiB") {
    std::string required = kRequired;
    required.replace(required.find("29 2026"), 2, "99999");
    auto members = parse_tar_listing(std::string(kTop) + required + file.substr(0, 15) +
                                     " 9000000000 2026-11-30 17:30:19 \"rel/big\"\n");
    REQUIRE(members);
    const auto check = check_release_listing(*members);
    CHECK(has_problem(check, "\"rel/conf/VERSION\": larger than 4096 bytes"));
    CHECK(has_problem(check, "unpacks to more than 8 GiB"));
  }
  SECTION("at most kMaxReleaseProblems lines, then a count") {
    std::string many;
    for (int i = 0; i < 30; ++i) many += file + "\"/abs" + std::to_string(i) + "\"\n";
    const auto check = check_lines(many);
    REQUIRE(check.problems.size() == kMaxReleaseProblems + 1);
    CHECK(check.problems.back() == "... and 10 more problems");
  }
}

TEST_CASE("the release version is the first field of conf/VERSION", "[release][tar]") {
  CHECK(*release_version("8.2.5__2020-06-24__cc0a9d1__68\n") == "8.2.5");
  CHECK(*release_version("fixture-1__2026-11-30__t__68\n") == "fixture-1");
  CHECK(*release_version("9.0.0-rc1") == "9.0.0-rc1");
  CHECK_FALSE(release_version(""));
  CHECK_FALSE(release_version("__2020"));
  CHECK_FALSE(release_version("8.2 5__x"));
  CHECK_FALSE(release_version("8.2.5\"<?php__x"));
  CHECK(release_version("8.2$5__x").status().message().find("conf/VERSION") == 0);
}
