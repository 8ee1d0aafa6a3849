#include "agent/host/backup_restore_steps.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <regex>
#include <vector>

#include "agent/host/archive_copy.hpp"
#include "common/file_ops.hpp"
#include "common/runner_stdin_file.hpp"

namespace pydio::agent {
namespace {

using common::Command;
using common::Status;

// A backup of a large database takes long to unpack and prepare; the operator waits for it.
constexpr std::chrono::hours kExtractTimeout{4};
constexpr std::chrono::hours kPrepareTimeout{4};
constexpr std::chrono::minutes kChownTimeout{30};
constexpr const char* kZeroUuid = "00000000-0000-0000-0000-000000000000";

}  // namespace

Status verify_backup_stream(const std::string& stream, const common::BackupManifest& manifest) {
  struct stat info {};
  if (::lstat(stream.c_str(), &info) != 0)
    return Status::error("open " + stream + ": " + common::errno_text(errno));
  if (!S_ISREG(info.st_mode)) return Status::error(stream + " is not a regular file");
  // The size first: a short stream is refused without reading it.
  if (info.st_size != manifest.bytes) {
    return Status::error(stream + " has " + std::to_string(info.st_size) +
                         " bytes, its manifest says " + std::to_string(manifest.bytes) +
                         ": the backup is damaged or incomplete");
  }
  // The same hashing as a release archive's (read without following a link, bounded).
  auto digest = sha256_file_at(AT_FDCWD, stream, manifest.bytes);
  if (!digest) return digest.status();
  if (*digest != manifest.sha256) {
    return Status::error(stream + " has " + *digest + ", its manifest says " + manifest.sha256 +
                         ": the backup is damaged");
  }
  return Status::ok();
}

Status extract_backup(const std::string& stream, const std::string& datadir) {
  const Command command({"mbstream", "-x", "-C", datadir}, kExtractTimeout);
  const common::RunResult result = common::run_with_stdin_file(command, stream);
  if (result.succeeded()) return Status::ok();
  return Status::error(result.describe_failure(command.argv));
}

Status prepare_backup(common::ProcessRunner& runner, const std::string& datadir) {
  // --no-defaults: the backup's own backup-my.cnf says what InnoDB needs; the node's option
  // files (a Galera member's wsrep lines among them) have nothing to add.
  return common::run_checked(
      runner, Command({"mariadb-backup", "--no-defaults", "--prepare", "--target-dir=" + datadir},
                      kPrepareTimeout));
}

Status give_datadir_to_mysql(common::ProcessRunner& runner, const std::string& datadir) {
  return common::run_checked(runner,
                             Command({"chown", "-R", "mysql:mysql", "--", datadir}, kChownTimeout));
}

std::optional<GaleraPosition> parse_galera_info(const std::string& text) {
  static const std::regex kPosition(
      R"(^\s*([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}):(-?[0-9]+))");
  std::smatch match;
  if (!std::regex_search(text, match, kPosition)) return std::nullopt;
  GaleraPosition position;
  position.uuid = match[1].str() == kZeroUuid ? "" : match[1].str();
  try {
    position.seqno = std::stoll(match[2].str());
  } catch (const std::exception&) {
    return std::nullopt;
  }
  position.safe_to_bootstrap = true;
  return position;
}

std::string render_grastate(const GaleraPosition& position) {
  return "# GALERA saved state\nversion: 2.1\nuuid:    " +
         (position.uuid.empty() ? std::string(kZeroUuid) : position.uuid) +
         "\nseqno:   " + std::to_string(position.seqno) + "\nsafe_to_bootstrap: 1\n";
}

common::Expected<GaleraPosition> write_restored_grastate(const std::string& datadir) {
  const std::string info_path = datadir + "/xtrabackup_galera_info";
  auto info = common::read_optional_file(info_path);
  if (!info) return info.status();
  if (!info->has_value())
    return Status::error(info_path + " is missing: the backup was not taken with --galera-info");
  auto position = parse_galera_info(**info);
  if (!position) return Status::error(info_path + " holds no Galera position (\"<uuid>:<seqno>\")");
  struct passwd entry {};
  struct passwd* found = nullptr;
  char buffer[4096];
  if (getpwnam_r("mysql", &entry, buffer, sizeof buffer, &found) != 0 || found == nullptr)
    return Status::error("no user mysql");
  Status written = common::write_file_atomically(
      datadir + "/grastate.dat", render_grastate(*position), 0660, entry.pw_uid, entry.pw_gid);
  if (!written) return written;
  return *position;
}

}  // namespace pydio::agent
