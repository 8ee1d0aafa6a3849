#include "agent/daemon/release_publisher.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <random>

#include "agent/cluster/peer_client.hpp"
#include "agent/daemon/certificate_issuer.hpp"
#include "agent/host/archive_copy.hpp"
#include "agent/host/nofollow_dir.hpp"
#include "common/field_checks.hpp"
#include "common/mount_table.hpp"
#include "common/release_listing.hpp"
#include "common/release_publish.hpp"
#include "common/tar_listing.hpp"
#include "common/text.hpp"
#include "common/utc_time.hpp"

namespace pydio::agent {

namespace {

using common::Expected;
using common::Status;
using nlohmann::json;
using namespace std::chrono_literals;

// gunzip of an archive of kMaxArchiveBytes, with room for a slow disk.
constexpr auto kTarTimeout = 300s;
constexpr std::size_t kMaxListingBytes = 4 * 1024 * 1024;  // the runner's capture bound
constexpr const char* kStoredSuffix = ".tar.gz";

api::AdminAnswer refuse(int status, const std::string& why) {
  return api::AdminAnswer{status, json{{"error", why}}};
}

std::string hex_of(const std::string& sha256) {
  return sha256.substr(std::string("sha256:").size());
}

std::string partial_name() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return ".publish-" + std::to_string(rng() % 1000000000) + ".partial";
}

common::Command tar_command(std::vector<std::string> argv) {
  common::Command command(std::move(argv), kTarTimeout);
  // The locale decides tar's date format and escapes; TAR_OPTIONS would add options.
  command.extra_env = {{"LC_ALL", "C"}, {"TAR_OPTIONS", ""}};
  return command;
}

// The releases directory opened without following links (created root 0700 when missing).
Expected<common::OwnedFd> open_releases_dir(const std::string& path) {
  auto dir = open_directory_nofollow(path, MissingDirs::kCreate, 0700);
  if (!dir) return dir.status();
  common::OwnedFd fd = std::move(**dir);
  if (::fchown(fd.get(), 0, 0) != 0 || ::fchmod(fd.get(), 0700) != 0)
    return Status::error("make " + path + " root 0700: " + common::errno_text(errno));
  return fd;
}

// Removes every stored archive of `dir_fd` not in `keep`; names what it removed.
std::vector<std::string> prune(int dir_fd, const std::vector<std::string>& keep) {
  std::vector<std::string> names;
  DIR* listing = ::fdopendir(::dup(dir_fd));
  if (listing == nullptr) return {};
  while (const dirent* entry = ::readdir(listing)) names.emplace_back(entry->d_name);
  ::closedir(listing);
  std::vector<std::string> removed;
  for (const auto& name : common::archives_to_prune(names, keep))
    if (::unlinkat(dir_fd, name.c_str(), 0) == 0) removed.push_back(name);
  return removed;
}

// Lists the archive at `path` and checks it is a release: its layout, or the problems.
Expected<common::ReleaseLayout> check_archive(common::ProcessRunner& runner,
                                              const std::string& path,
                                              std::vector<std::string>& problems) {
  std::vector<std::string> argv = {"tar", "--list", "--verbose", "--gzip"};
  for (const char* option : common::kTarListOptions) argv.emplace_back(option);
  argv.insert(argv.end(), {"--file", path});
  const common::RunResult listed = runner.run(tar_command(argv));
  if (!listed.succeeded())
    return Status::error("not a gzip-compressed tar archive: " + listed.describe_failure(argv));
  if (listed.out.size() >= kMaxListingBytes)
    return Status::error("its listing exceeds " + std::to_string(kMaxListingBytes >> 20) +
                         " MiB: more members than a Pydio release has");
  auto members = common::parse_tar_listing(listed.out);
  if (!members) return members.status();
  common::ReleaseListingCheck check = common::check_release_listing(*members);
  if (!check.layout) {
    problems = check.problems;
    return Status::error("not a Pydio release: " + common::join(check.problems, "; "));
  }
  return *check.layout;
}

Expected<std::string> read_version(common::ProcessRunner& runner, const std::string& path,
                                   const std::string& top) {
  const std::vector<std::string> argv = {"tar",
                                         "--extract",
                                         "--gzip",
                                         "--to-stdout",
                                         "--occurrence=1",
                                         "--file",
                                         path,
                                         "--",
                                         top + "/" + common::kReleaseVersionFile};
  const common::RunResult read = runner.run(tar_command(argv));
  if (!read.succeeded()) return Status::error(read.describe_failure(argv));
  if (read.out.size() > static_cast<std::size_t>(common::kMaxReleaseVersionBytes))
    return Status::error(top + "/" + common::kReleaseVersionFile + ": larger than listed");
  return common::release_version(read.out);
}

}  // namespace

api::AdminAnswer ReleasePublisher::publish(const std::string& path) {
  std::unique_lock<std::mutex> lock(mutex_, std::try_to_lock);
  if (!lock.owns_lock())
    return refuse(409, "another agentctl app publish is under way on this node; nothing changed");
  api::AdminAnswer answer = publish_locked(path);
  if (answer.status != 200) record("publish " + path, text_field(answer.body, "error", "refused"));
  return answer;
}

api::AdminAnswer ReleasePublisher::publish_locked(const std::string& path) {
  if (path.empty() || path.front() != '/' || path.find('\0') != std::string::npos)
    return refuse(400, "path: must be an absolute path, got " + common::quote_value(path));
  auto desired = state_.desired();
  if (!desired) return refuse(409, "no desired state yet (run agentctl init --spec FILE)");
  const common::NodeSpec* self = desired->find_node(local_.node_name);
  if (self == nullptr || !self->has_role(common::Role::kStorage))
    return refuse(403,
                  "releases are published on a storage node (it may change the "
                  "desired state and has pydio-config mounted); this node (" +
                      local_.node_name + ") is not one: run it on one of " +
                      storage_node_list(desired.get()) + "; nothing changed");
  // The refusals that do not depend on the archive, before copying anything.
  if (const auto early = common::plan_publish(desired->web, common::ReleaseSpec{});
      early.outcome == common::PublishOutcome::kRefused)
    return refuse(409, early.reason + "; nothing changed");
  if (auto bad = common::release_file_problem(std::filesystem::path(path).filename().string()))
    return refuse(422, path + ": " + *bad + "; nothing changed");
  const common::VolumeSpec* config = desired->find_volume(common::kConfigVolume);
  if (config == nullptr || config->mountpoint.empty())
    return refuse(409, std::string(common::kConfigVolume) +
                           " has no mountpoint in the desired "
                           "state; nothing changed");
  auto table = common::read_mount_table();
  if (!table) return refuse(500, table.status().message());
  const common::MountEntry* mount = common::find_mount_at(*table, config->mountpoint);
  if (mount == nullptr || mount->fstype != "fuse.glusterfs")
    return refuse(409, std::string(common::kConfigVolume) + " is not mounted at " +
                           config->mountpoint +
                           " on this node (agentctl status says why); "
                           "nothing changed");
  // The copy runs on a blocking-pool thread: never start it on a mount that does not answer
  // (a hang would hold that thread until the mount answers again).
  if (!mount_answers_(config->mountpoint))
    return refuse(409, std::string(common::kConfigVolume) + " at " + config->mountpoint +
                           " does not answer the health probe (agentctl status says why); "
                           "nothing changed");

  const std::string dir = common::normalize_mount_path(config->mountpoint) + "/" + kReleasesDir;
  auto dir_fd = open_releases_dir(dir);
  if (!dir_fd) return refuse(500, dir_fd.status().message());
  const std::string partial = partial_name();
  const std::string partial_path = dir + "/" + partial;
  auto copy = copy_archive(path, dir_fd->get(), partial, kMaxArchiveBytes);
  if (!copy) return refuse(422, copy.status().message() + "; nothing changed");
  // From here on the partial copy goes unless it becomes the stored archive.
  struct Cleanup {
    int fd;
    std::string name;
    ~Cleanup() {
      if (!name.empty()) ::unlinkat(fd, name.c_str(), 0);
    }
  } cleanup{dir_fd->get(), partial};

  std::vector<std::string> problems;
  auto layout = check_archive(runner_, partial_path, problems);
  if (!layout) {
    api::AdminAnswer answer =
        refuse(422, path + ": " + layout.status().message() + "; nothing changed");
    if (!problems.empty()) answer.body["errors"] = problems;
    return answer;
  }
  auto version = read_version(runner_, partial_path, layout->top);
  if (!version) return refuse(422, path + ": " + version.status().message() + "; nothing changed");
  auto again = sha256_file_at(dir_fd->get(), partial, kMaxArchiveBytes);
  if (!again) return refuse(500, "read back " + partial_path + ": " + again.status().message());
  if (*again != copy->sha256)
    return refuse(500, "the copy " + partial_path + " reads back as " + *again + ", not " +
                           copy->sha256 + " as written; nothing changed");
  const std::string stored = hex_of(copy->sha256) + kStoredSuffix;
  if (::renameat(dir_fd->get(), partial.c_str(), dir_fd->get(), stored.c_str()) != 0 ||
      ::fsync(dir_fd->get()) != 0)
    return refuse(500, "store " + dir + "/" + stored + ": " + common::errno_text(errno));
  cleanup.name.clear();

  common::ReleaseSpec release;
  release.sha256 = copy->sha256;
  release.version = *version;
  release.file = std::filesystem::path(path).filename().string();
  release.size = copy->size;
  release.published_at = common::utc_now_seconds();
  api::PeerReply reply = changes_.publish_release(release);
  auto now = state_.desired();
  const common::WebSpec& web = now ? now->web : desired->web;
  const std::vector<std::string> keep = common::releases_to_keep(web);
  if (reply.status != 200) {
    // Only a definite refusal removes the archive: after a 5xx (a forward that timed out) the
    // leader may have committed it, and then nodes need it; the next publish prunes it if not.
    const bool refused = reply.status == 403 || reply.status == 409 || reply.status == 422;
    if (refused && std::find(keep.begin(), keep.end(), release.sha256) == keep.end())
      ::unlinkat(dir_fd->get(), stored.c_str(), 0);
    return api::AdminAnswer{reply.status, reply.body};
  }
  const bool already = bool_field(reply.body, "alreadyPublished");
  json body = {{"version", release.version},
               {"sha256", release.sha256},
               {"file", release.file},
               {"size", release.size},
               {"generation", int_field(reply.body, "generation")},
               {"alreadyPublished", already},
               {"rollout", nullptr}};
  if (already) {
    if (web.release) body["version"] = web.release->version;
    return api::AdminAnswer{200, body};
  }
  if (web.rollout && web.rollout->release == release.sha256) {
    const bool was_release =
        desired->web.release && desired->web.release->sha256 == web.rollout->previous;
    body["rollout"] = {{"release", web.rollout->release},
                       {"previous", web.rollout->previous},
                       {"previousVersion", was_release ? desired->web.release->version : ""}};
  }
  for (const auto& removed : prune(dir_fd->get(), keep))
    spdlog::info("release archive {}/{} removed: no node needs it any more", dir, removed);
  record("release " + release.version + " (" + common::short_sha(release.sha256) +
         ") published as generation " + body["generation"].dump());
  return api::AdminAnswer{200, body};
}

void ReleasePublisher::record(const std::string& action, const std::string& error) const {
  events_.record_step("release-publish", action, error);
}

}  // namespace pydio::agent
