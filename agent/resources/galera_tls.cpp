#include "agent/resources/galera_tls.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent/trust/pki_files.hpp"
#include "common/file_ops.hpp"

namespace pydio::agent {
namespace {

using common::Status;

std::optional<std::string> read_copy(const std::string& path) {
  auto text = common::read_optional_file(path);
  return text ? *text : std::nullopt;  // unreadable reads as missing: it is written again
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
  auto cert = read_copy(dir + "/cert.pem");
  auto key = read_copy(dir + "/key.pem");
  auto ca = read_copy(dir + "/ca.pem");
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
  Status written = common::write_file_atomically(dir + "/cert.pem", files.cert, 0644, 0, mysql_gid);
  if (written)
    written = common::write_file_atomically(dir + "/ca.pem", files.ca, 0644, 0, mysql_gid);
  if (written)
    written =
        common::write_file_atomically(dir + "/key.pem", files.key, 0400, mysql_uid, mysql_gid);
  return written;
}

}  // namespace pydio::agent
