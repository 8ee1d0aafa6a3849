#include "agent/resources/galera_tls.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "agent/trust/pki_files.hpp"

namespace pydio::agent {
namespace {

using common::Status;

std::optional<std::string> slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Written beside, then renamed: mariadbd never reads a half-written file.
Status write_owned(const std::string& path, const std::string& content, uid_t uid, gid_t gid,
                   mode_t mode) {
  const std::string temp = path + ".next";
  ::unlink(temp.c_str());
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return Status::error("create " + temp + ": " + std::strerror(errno));
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t wrote = ::write(fd, content.data() + done, content.size() - done);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote <= 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      ::unlink(temp.c_str());
      return Status::error("write " + temp + ": " + why);
    }
    done += static_cast<std::size_t>(wrote);
  }
  const bool owned = ::fchown(fd, uid, gid) == 0 && ::fchmod(fd, mode) == 0;
  const std::string why = owned ? "" : std::strerror(errno);
  ::close(fd);
  if (!owned || ::rename(temp.c_str(), path.c_str()) != 0) {
    const std::string error = owned ? std::strerror(errno) : why;
    ::unlink(temp.c_str());
    return Status::error("install " + path + ": " + error);
  }
  return Status::ok();
}

}  // namespace

std::string galera_tls_provider_options(const std::string& dir) {
  return "socket.ssl_key=" + dir + "/key.pem;socket.ssl_cert=" + dir +
         "/cert.pem;socket.ssl_ca=" + dir + "/ca.pem";
}

common::Expected<std::optional<GaleraTlsFiles>> read_node_tls(const std::string& pki_dir) {
  auto pki = trust::read_pki(pki_dir);
  if (!pki) return pki.status();
  if (!*pki) return std::optional<GaleraTlsFiles>();
  return std::optional<GaleraTlsFiles>(
      GaleraTlsFiles{(*pki)->node_cert_pem, (*pki)->node_key_pem, (*pki)->ca_cert_pem});
}

std::optional<GaleraTlsFiles> read_galera_tls(const std::string& dir) {
  auto cert = slurp(dir + "/cert.pem");
  auto key = slurp(dir + "/key.pem");
  auto ca = slurp(dir + "/ca.pem");
  if (!cert || !key || !ca) return std::nullopt;
  return GaleraTlsFiles{*cert, *key, *ca};
}

Status write_galera_tls(const std::string& dir, const GaleraTlsFiles& files) {
  struct passwd entry {};
  struct passwd* found = nullptr;
  char buffer[4096];
  if (getpwnam_r("mysql", &entry, buffer, sizeof buffer, &found) != 0 || found == nullptr) {
    return Status::error("Galera TLS files: no user mysql");
  }
  const uid_t mysql_uid = entry.pw_uid;
  const gid_t mysql_gid = entry.pw_gid;
  const std::string parent = dir.substr(0, dir.rfind('/'));
  if (!parent.empty() && ::mkdir(parent.c_str(), 0755) != 0 && errno != EEXIST) {
    return Status::error("mkdir " + parent + ": " + std::strerror(errno));
  }
  if (::mkdir(dir.c_str(), 0750) != 0 && errno != EEXIST) {
    return Status::error("mkdir " + dir + ": " + std::strerror(errno));
  }
  struct stat info {};
  if (::lstat(dir.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    return Status::error(dir + " is not a directory");
  }
  if (::chown(dir.c_str(), 0, mysql_gid) != 0 || ::chmod(dir.c_str(), 0750) != 0) {
    return Status::error("chown/chmod " + dir + ": " + std::strerror(errno));
  }
  Status written = write_owned(dir + "/cert.pem", files.cert, 0, mysql_gid, 0644);
  if (written) written = write_owned(dir + "/ca.pem", files.ca, 0, mysql_gid, 0644);
  if (written) written = write_owned(dir + "/key.pem", files.key, mysql_uid, mysql_gid, 0400);
  return written;
}

}  // namespace pydio::agent
