// The host steps of a release on a node, on real files in a temporary directory with real
// tar: fetch with the hash, unpack, edit and stage, switch the links, prune.

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "agent/host/release_fetch.hpp"
#include "agent/host/release_links.hpp"
#include "agent/host/release_prune.hpp"
#include "agent/host/release_unpack.hpp"
#include "agent/resources/release_stage.hpp"
#include "test/unit/support/release_archive.hpp"
#include "test/unit/support/temp_dir.hpp"
#include "test/unit/support/test_data.hpp"

using namespace pydio::agent;
using pydio::common::Status;
using pydio::test::make_release_archive;
using pydio::test::read_text_file;
using pydio::test::sha256sum_of;
using pydio::test::TempDir;
namespace fs = std::filesystem;

namespace {

std::string published_copy(const TempDir& tmp, const std::string& archive, const std::string& sha) {
  fs::create_directories(tmp / "config/pydio-agent/releases");
  const std::string path = tmp / ("config/pydio-agent/releases/" + release_hex(sha) + ".tar.gz");
  fs::copy_file(archive, path, fs::copy_options::overwrite_existing);
  return path;
}

StageRelease stage_of(const TempDir& tmp, const std::string& sha) {
  StageRelease stage;
  stage.releases_dir = tmp / "www/releases";
  stage.id = sha.substr(7, 12);
  stage.sha256 = sha;
  stage.cache_root = tmp / "cache";
  stage.wiring.config_mount = "/mnt/pydio-config";
  stage.wiring.data_mount = "/mnt/pydio-data";
  stage.wiring.alias = "/pydio";
  stage.uid = ::getuid();
  stage.gid = ::getgid();
  return stage;
}

mode_t mode_bits(const std::string& path) {
  struct stat st {};
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

}  // namespace

TEST_CASE("a release archive is copied with its hash checked while copying", "[release_host]") {
  TempDir tmp;
  const std::string archive = make_release_archive(tmp.path(), "fixture-1");
  const std::string sha = sha256sum_of(archive);
  const std::string source = published_copy(tmp, archive, sha);

  SECTION("the hash matches: the copy is there, 0600, and hashes the same") {
    REQUIRE(fetch_release_archive(source, tmp / "state/releases", sha));
    const std::string copy = tmp / ("state/releases/" + release_hex(sha) + ".tar.gz");
    CHECK(sha256sum_of(copy) == sha);
    CHECK(*sha256_of_file(copy) == sha);
    struct stat st {};
    REQUIRE(::stat(copy.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0600);
    SECTION("fetched again: kept") {
      CHECK(fetch_release_archive(source, tmp / "state/releases", sha));
    }
  }
  SECTION("another file under that name: an error naming both hashes, no copy left") {
    const std::string other = make_release_archive(tmp.path(), "fixture-2");
    fs::copy_file(other, source, fs::copy_options::overwrite_existing);
    Status fetched = fetch_release_archive(source, tmp / "state/releases", sha);
    REQUIRE_FALSE(fetched);
    CHECK(fetched.message() == source + " has " + sha256sum_of(other) +
                                   ", the desired state names " + sha + "; the copy is deleted");
    CHECK(fs::is_empty(tmp / "state/releases"));
  }
  SECTION("a link on the way is refused") {
    fs::create_directory_symlink(tmp / "config", tmp / "link");
    CHECK_FALSE(
        fetch_release_archive(tmp / ("link/pydio-agent/releases/" + release_hex(sha) + ".tar.gz"),
                              tmp / "state/releases", sha));
  }
  SECTION("a malformed hash is refused") {
    CHECK_FALSE(fetch_release_archive(source, tmp / "state/releases", "sha256:abc"));
    CHECK(release_hex("sha256:" + std::string(64, 'A')).empty());
  }
}

TEST_CASE("a release is unpacked, edited into the volumes and staged", "[release_host]") {
  TempDir tmp;
  const std::string archive = make_release_archive(tmp.path(), "fixture-1");
  const std::string sha = sha256sum_of(archive);
  pydio::common::SystemRunner runner;
  const StageRelease stage = stage_of(tmp, sha);
  REQUIRE(unpack_release(runner, archive, stage.releases_dir, stage.id));
  const std::string partial = stage.releases_dir + "/." + stage.id + ".partial";
  CHECK(fs::exists(partial + "/index.php"));  // the top directory is stripped

  auto version = finish_staged_release(runner, stage);
  REQUIRE(version);
  CHECK(*version == "fixture-1");
  const std::string tree = stage.releases_dir + "/" + stage.id;
  CHECK_FALSE(fs::exists(partial));
  const std::string context = read_text_file(tree + "/conf/bootstrap_context.php");
  CHECK(context.find("define(\"AJXP_CACHE_DIR\", \"" + stage.cache_root + "/" + stage.id +
                     "\"); // pydio-agent: AJXP_CACHE_DIR") != std::string::npos);
  CHECK(context.find("\"/mnt/pydio-config/appdata\"") != std::string::npos);
  CHECK(read_text_file(tree + "/.htaccess").find("RewriteBase /pydio\n") != std::string::npos);
  auto marker = read_release_marker(stage.releases_dir, stage.id);
  REQUIRE(marker);
  REQUIRE(marker->has_value());
  CHECK((*marker)->sha256 == sha);
  CHECK((*marker)->version == "fixture-1");
  struct stat st {};
  REQUIRE(::stat((stage.cache_root + "/" + stage.id).c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0750);

  SECTION("staged again from a fresh unpack: the same tree") {
    REQUIRE(unpack_release(runner, archive, stage.releases_dir, stage.id));
    REQUIRE(finish_staged_release(runner, stage));
    CHECK(read_text_file(tree + "/conf/bootstrap_context.php") == context);
  }
  SECTION("an unexpected Pydio file: an error naming file and line, nothing staged") {
    REQUIRE(unpack_release(runner, archive, stage.releases_dir, "0123456789ab"));
    StageRelease other = stage;
    other.id = "0123456789ab";
    const std::string file =
        stage.releases_dir + "/.0123456789ab.partial/conf/bootstrap_context.php";
    std::string text = read_text_file(file);
    text.replace(text.find("AJXP_INSTALL_PATH.\"/data\");"), 27, "\"/srv/elsewhere\");");
    std::ofstream(file, std::ios::trunc) << text;
    auto failed = finish_staged_release(runner, other);
    REQUIRE_FALSE(failed);
    CHECK(failed.status().message().find(file + ":45: expected") == 0);
    CHECK_FALSE(fs::exists(stage.releases_dir + "/0123456789ab"));
  }
}

TEST_CASE("current and previous are links switched by rename", "[release_host]") {
  TempDir tmp;
  fs::create_directories(tmp / "www/releases/aaaaaaaaaaaa");
  fs::create_directories(tmp / "www/releases/bbbbbbbbbbbb");
  const std::string docroot = tmp / "www";
  CHECK(*read_release_link(docroot, kCurrentLink) == "");
  REQUIRE(point_release_link(docroot, kCurrentLink, "aaaaaaaaaaaa"));
  CHECK(*read_release_link(docroot, kCurrentLink) == "aaaaaaaaaaaa");
  CHECK(fs::read_symlink(docroot + "/current") == "releases/aaaaaaaaaaaa");
  REQUIRE(point_release_link(docroot, kCurrentLink, "bbbbbbbbbbbb"));
  CHECK(*read_release_link(docroot, kCurrentLink) == "bbbbbbbbbbbb");
  CHECK_FALSE(fs::exists(docroot + "/current.new"));
  REQUIRE(remove_release_link(docroot, kCurrentLink));
  CHECK(*read_release_link(docroot, kCurrentLink) == "");

  SECTION("a directory under the name is the operator's: refused, kept") {
    fs::create_directories(docroot + "/current");
    CHECK_FALSE(read_release_link(docroot, kCurrentLink));
    CHECK_FALSE(point_release_link(docroot, kCurrentLink, "aaaaaaaaaaaa"));
    CHECK(fs::is_directory(fs::symlink_status(docroot + "/current")));
  }
  SECTION("a link elsewhere is no release") {
    fs::create_directory_symlink("/etc", docroot + "/current");
    CHECK(*read_release_link(docroot, kCurrentLink) == "");
  }
}

TEST_CASE("pruning removes only what the agent made and does not keep", "[release_host]") {
  const ReleaseDirs dirs{"/www/releases", "/var/cache/pydio", "/state/releases"};
  const std::string a(64, 'a'), b(64, 'b');
  auto steps = prune_steps(dirs, {"aaaaaaaaaaaa", "bbbbbbbbbbbb", ".cccccccccccc.partial", "notes"},
                           {"aaaaaaaaaaaa", "bbbbbbbbbbbb", "tmp"},
                           {a + ".tar.gz", b + ".tar.gz", "x"}, {"aaaaaaaaaaaa"});
  REQUIRE(steps.size() == 4);
  CHECK(steps[0].path == "/www/releases/bbbbbbbbbbbb");
  CHECK(steps[1].path == "/www/releases/.cccccccccccc.partial");
  CHECK(steps[2].path == "/var/cache/pydio/bbbbbbbbbbbb");
  CHECK(steps[3].path == "/state/releases/" + b + ".tar.gz");
  CHECK(steps[3].kind == PrunedKind::kFile);

  SECTION("on real directories") {
    TempDir tmp;
    const ReleaseDirs real{tmp / "releases", tmp / "cache", tmp / "archives"};
    for (const auto& dir :
         {real.releases_dir + "/aaaaaaaaaaaa", real.releases_dir + "/bbbbbbbbbbbb/x",
          real.cache_dir + "/bbbbbbbbbbbb/y", real.cache_dir + "/tmp", real.archive_dir})
      fs::create_directories(dir);
    std::ofstream(real.archive_dir + "/" + b + ".tar.gz") << "b";
    pydio::common::SystemRunner runner;
    REQUIRE(prune_releases(runner, real, {"aaaaaaaaaaaa"}));
    CHECK(*directory_names(real.releases_dir) == std::vector<std::string>{"aaaaaaaaaaaa"});
    CHECK(*directory_names(real.cache_dir) == std::vector<std::string>{"tmp"});
    CHECK(directory_names(real.archive_dir)->empty());
  }
}

TEST_CASE("an unpacked release is read-only to others and has no set-id bit, whatever the umask",
          "[release_host]") {
  TempDir tmp;
  const std::string top = tmp / "staging/pydio-core-9";
  fs::create_directories(top + "/bin");
  std::ofstream(top + "/open.php") << "<?php\n";
  std::ofstream(top + "/bin/setuid") << "#!/bin/sh\n";
  REQUIRE(::chmod((top + "/open.php").c_str(), 0777) == 0);
  REQUIRE(::chmod((top + "/bin/setuid").c_str(), 04755) == 0);
  REQUIRE(::chmod((top + "/bin").c_str(), 02777) == 0);
  const std::string archive = tmp / "r.tar.gz";
  pydio::common::SystemRunner runner;
  REQUIRE(runner
              .run(pydio::common::Command({"tar", "--owner=0", "--group=0", "-czf", archive, "-C",
                                           tmp / "staging", "pydio-core-9"}))
              .succeeded());
  const std::string releases = tmp / "www/releases";
  // A daemon started with umask 0 must not leave a tree others can write.
  const mode_t old_umask = ::umask(0);
  Status unpacked = unpack_release(runner, archive, releases, "0123456789ab");
  ::umask(old_umask);
  REQUIRE(unpacked);
  const std::string partial = releases + "/.0123456789ab.partial";
  CHECK(mode_bits(partial + "/open.php") == 0755);
  CHECK(mode_bits(partial + "/bin/setuid") == 0755);
  CHECK(mode_bits(partial + "/bin") == 0755);
}
