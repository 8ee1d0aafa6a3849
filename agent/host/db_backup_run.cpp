#include "agent/host/db_backup_run.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "agent/host/archive_copy.hpp"
#include "agent/host/db_backup_store.hpp"
#include "agent/host/root_only_path.hpp"
#include "common/text.hpp"

extern char** environ;

namespace pydio::agent {

namespace {

using common::BackupManifest;
using common::Expected;
using common::OwnedFd;
using common::Status;

// A backup larger than this is refused rather than filling the volume unbounded: 16 TiB.
constexpr std::int64_t kMaxBackupBytes = std::int64_t{1} << 44;
constexpr std::size_t kErrorTail = 1500;
constexpr auto kHookTimeout = std::chrono::hours(1);

using common::errno_status;

// The last bytes mariadb-backup wrote to stderr (its reason for failing).
std::string tail_of(int fd) {
  const off_t size = ::lseek(fd, 0, SEEK_END);
  if (size <= 0) return "";
  const off_t from = size > static_cast<off_t>(kErrorTail) ? size - kErrorTail : 0;
  std::string text(static_cast<std::size_t>(size - from), '\0');
  const ssize_t n = ::pread(fd, text.data(), text.size(), from);
  text.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

struct Child {
  pid_t pid = -1;
  OwnedFd stdout_read;
  OwnedFd stderr_file;
};

Expected<Child> spawn_streaming(const std::vector<std::string>& argv) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return errno_status("pipe");
  Child child;
  child.stdout_read = OwnedFd(pipe_fds[0]);
  OwnedFd write_end(pipe_fds[1]);
  child.stderr_file = OwnedFd(::open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
  if (child.stderr_file.get() < 0) return errno_status("open a temporary file for stderr");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, child.stderr_file.get(), 2);
  // Nothing else of the agent's (its listening sockets, peer connections) reaches the child.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const int rc = ::posix_spawnp(&child.pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return Status::error("start " + argv[0] + ": " + common::errno_text(rc));
  return child;
}

// Waits for the child; its exit code, or -1 when killed by a signal or not waited for.
int wait_for(pid_t pid) {
  int status = 0;
  int rc = 0;
  while ((rc = ::waitpid(pid, &status, 0)) < 0 && errno == EINTR) {
  }
  if (rc != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

Status write_manifest(int dir_fd, const BackupManifest& manifest) {
  const std::string tmp = manifest.name + common::kBackupManifestSuffix + ".tmp";
  const std::string text = common::manifest_to_json(manifest);
  OwnedFd fd(::openat(dir_fd, tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
                      0600));
  if (fd.get() < 0) return errno_status("create " + tmp);
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()) ||
      ::fsync(fd.get()) != 0) {
    const Status st = errno_status("write " + tmp);
    ::unlinkat(dir_fd, tmp.c_str(), 0);
    return st;
  }
  const std::string final_name = manifest.name + common::kBackupManifestSuffix;
  if (::renameat(dir_fd, tmp.c_str(), dir_fd, final_name.c_str()) != 0) {
    const Status st = errno_status("rename " + tmp);
    ::unlinkat(dir_fd, tmp.c_str(), 0);
    return st;
  }
  ::fsync(dir_fd);
  return Status::ok();
}

// Streams the backup into NAME.partial (at most `room` bytes) and renames it; the child is
// waited for either way.
Expected<ArchiveCopy> stream_backup(const BackupRequest& request, int dir_fd, std::int64_t room) {
  auto child = spawn_streaming(request.backup_argv);
  if (!child) return child.status();
  if (request.on_child && !request.on_child(child->pid)) ::kill(child->pid, SIGTERM);
  const std::string partial = request.name + common::kBackupPartialSuffix;
  auto copy = copy_stream(child->stdout_read.get(), "the output of mariadb-backup", dir_fd,
                          partial, room, std::int64_t{request.spec.rate_limit_mbps} * 1024 * 1024);
  if (!copy) ::kill(child->pid, SIGTERM);
  child->stdout_read = OwnedFd();
  // Before the reap: once reaped, the pid may belong to another process.
  if (request.on_child) request.on_child(0);
  const int code = wait_for(child->pid);
  if (!copy) return copy.status().with_context("backup " + request.name);
  if (code != 0) {
    ::unlinkat(dir_fd, partial.c_str(), 0);
    return Status::error("backup " + request.name + ": mariadb-backup exited with " +
                         std::to_string(code) + ": " + tail_of(child->stderr_file.get()));
  }
  const std::string stream = request.name + common::kBackupStreamSuffix;
  if (::renameat(dir_fd, partial.c_str(), dir_fd, stream.c_str()) != 0) {
    const Status st = errno_status("rename " + partial);
    ::unlinkat(dir_fd, partial.c_str(), 0);
    return st;
  }
  return *copy;
}

// What an earlier backup of this node left when it was cut short (a crash, SIGKILL): its
// NAME.partial, a NAME.json.tmp, a stream without a manifest. Another node's are left alone:
// its backup may be running.
void remove_leftovers(int dir_fd, const std::string& node) {
  auto listing = list_backups(dir_fd);
  if (!listing) return;
  const std::string mine = "-" + node;
  const auto of_this_node = [&](const std::string& name) {
    return name.size() > mine.size() &&
           name.compare(name.size() - mine.size(), mine.size(), mine) == 0;
  };
  for (const std::string& name : listing->partial)
    if (of_this_node(name)) ::unlinkat(dir_fd, (name + common::kBackupPartialSuffix).c_str(), 0);
  for (const std::string& name : listing->orphans) {
    if (!of_this_node(name)) continue;
    ::unlinkat(dir_fd, (name + common::kBackupStreamSuffix).c_str(), 0);
    ::unlinkat(dir_fd, (name + common::kBackupManifestSuffix + std::string(".tmp")).c_str(), 0);
  }
}

std::vector<std::string> prune(int dir_fd, const common::BackupSpec& spec) {
  std::vector<std::string> pruned;
  auto listing = list_backups(dir_fd);
  auto space = space_on_target(dir_fd);
  if (!listing || !space) return pruned;
  for (const BackupManifest& old :
       common::backups_to_prune(listing->good, spec, space->total_bytes, space->free_bytes)) {
    if (remove_backup(dir_fd, old.name)) pruned.push_back(old.name);
  }
  return pruned;
}

std::string run_hook(const BackupRequest& request, common::ProcessRunner& runner) {
  if (request.spec.offsite_hook.empty()) return "";
  if (Status ok = check_offsite_hook(request.spec.offsite_hook); !ok) return ok.message();
  const std::string base = request.dir + "/" + request.name;
  common::Command command({request.spec.offsite_hook, base + common::kBackupStreamSuffix,
                           base + common::kBackupManifestSuffix},
                          kHookTimeout);
  const common::RunResult result = runner.run(command);
  if (result.succeeded()) return "";
  return "off-site hook: " + result.describe_failure(command.argv);
}

}  // namespace

std::vector<std::string> mariadb_backup_argv(const std::string& defaults_file,
                                             const std::string& datadir,
                                             const std::string& socket, bool galera,
                                             const std::string& scratch_dir) {
  // Lowest CPU and best-effort I/O priority: the member keeps serving (and replicating) first.
  std::vector<std::string> argv = {"nice", "-n", "19", "ionice", "-c", "2", "-n", "7",
                                    "mariadb-backup"};
  // --defaults-file must come first; it holds the server's own settings (innodb files).
  if (!defaults_file.empty()) argv.push_back("--defaults-file=" + defaults_file);
  argv.insert(argv.end(), {"--backup", "--stream=xbstream", "--user=root", "--socket=" + socket,
                           "--datadir=" + datadir, "--target-dir=" + scratch_dir});
  if (galera) argv.push_back("--galera-info");
  return argv;
}

Expected<BackupOutcome> take_db_backup(const BackupRequest& request, common::ProcessRunner& runner,
                                       std::int64_t (*now)()) {
  if (auto problem = common::backup_name_problem(request.name)) return Status::error(*problem);
  auto dir = open_backup_dir(request.mountpoint, request.dir, CreateBackupDir::kYes);
  if (!dir) return dir.status();
  remove_leftovers(dir->get(), request.node);
  // Nothing is deleted to make room before a backup (users filling the volume must not cost
  // the good backups): a backup that would not fit is refused, and one that grows past the
  // room left is stopped. Retention runs only after a new backup is good.
  auto listing = list_backups(dir->get());
  if (!listing) return listing.status();
  auto space = space_on_target(dir->get());
  if (!space) return space.status();
  const auto last = common::newest_backup(listing->good);
  const std::int64_t need = last ? last->bytes : 0;
  const std::int64_t keep_free = space->total_bytes / 100 * request.spec.min_free_percent;
  const std::int64_t room = space->free_bytes - keep_free;
  if (room <= need) {
    return Status::error("backup " + request.name + ": the backup volume has " +
                         std::to_string(space->free_bytes / (1024 * 1024)) + " MiB free; " +
                         std::to_string(request.spec.min_free_percent) +
                         "% must stay free (database.backup.minFreePercent) and the last backup "
                         "took " + std::to_string(need / (1024 * 1024)) +
                         " MiB: add space, or lower keep / maxTotalMB");
  }
  auto copy = stream_backup(request, dir->get(), std::min(room, kMaxBackupBytes));
  if (!copy) return copy.status();
  BackupOutcome outcome;
  BackupManifest& m = outcome.manifest;
  m.name = request.name;
  m.node = request.node;
  m.started_at = request.started_at;
  m.finished_at = now();
  m.bytes = copy->size;
  m.sha256 = copy->sha256;
  m.server_version = request.server_version;
  m.galera_seqno = request.galera_seqno;
  if (Status written = write_manifest(dir->get(), m); !written) {
    (void)remove_backup(dir->get(), m.name);  // the write's error is the one to report
    return written.with_context("backup " + m.name);
  }
  outcome.pruned = prune(dir->get(), request.spec);
  outcome.hook_problem = run_hook(request, runner);
  return outcome;
}

Status check_offsite_hook(const std::string& hook) {
  struct stat st {};
  if (::lstat(hook.c_str(), &st) != 0) return errno_status("off-site hook " + hook);
  if (!S_ISREG(st.st_mode))
    return Status::error("off-site hook " + hook + " is a " + common::file_type_name(st.st_mode) +
                         ", not a regular file");
  if (st.st_uid != 0 || (st.st_mode & 022) != 0 || (st.st_mode & 0100) == 0)
    return Status::error("off-site hook " + hook + " is owned by uid " +
                         std::to_string(st.st_uid) + " with mode " +
                         common::octal_mode(st.st_mode & 07777) +
                         ": the agent runs it as root only when root owns it, it is executable "
                         "and nobody else may write it");
  return check_root_only_path(std::filesystem::path(hook).parent_path().string());
}

}  // namespace pydio::agent
