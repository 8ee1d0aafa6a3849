#include "agent/trust/pki_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "agent/trust/pki.hpp"
#include "common/file_ops.hpp"

namespace pydio::agent::trust {

using common::Expected;
using common::Status;

namespace {

constexpr mode_t kDirMode = 0700;
constexpr mode_t kKeyMode = 0600;
constexpr mode_t kCertMode = 0644;

// The file's text, "" when missing. A key file must not be readable by group or others.
Expected<std::string> read_part(const std::string& path, bool secret) {
  auto text = common::read_optional_file(path);
  if (!text) return text.status();
  if (!*text) return std::string();
  if (secret) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
      return Status::error("stat " + path + ": " + common::errno_text(errno));
    if ((st.st_mode & 077) != 0) {
      char mode[8];
      std::snprintf(mode, sizeof(mode), "%03o", static_cast<unsigned>(st.st_mode & 0777));
      return Status::error(path + ": mode " + mode +
                           " lets others read a private key; expected 0600");
    }
  }
  return **text;
}

// A renewal that a crash interrupted (replace_node_certificate): once node.key.next is renamed
// the new key is in force, so node.crt.next follows it when it matches; before that the old
// pair is intact and the leftovers go (the agent renews again).
Status finish_replacement(const std::string& dir) {
  const std::string next_cert = dir + "/node.crt.next";
  const std::string next_key = dir + "/node.key.next";
  auto cert = common::read_optional_file(next_cert);
  if (!cert) return cert.status();
  auto key_left = common::read_optional_file(next_key);
  if (!key_left) return key_left.status();
  if (*cert && !*key_left) {
    auto key = read_part(dir + "/node.key", true);
    if (!key) return key.status();
    if (key_matches(*key, **cert)) {
      if (::rename(next_cert.c_str(), (dir + "/node.crt").c_str()) != 0)
        return Status::error("rename " + next_cert + ": " + common::errno_text(errno));
      return Status::ok();
    }
  }
  for (const std::string& path : {next_cert, next_key}) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
      return Status::error("remove " + path + ": " + common::errno_text(errno));
  }
  return Status::ok();
}

// A change of the issuing CA that a crash interrupted (save_cas): once ca.crt names the CA of
// ca.key.next and ca.key is gone, the staged key is renamed into place; otherwise ca.crt did not
// change yet and the staged key goes (it is still in ca-next.key, or fetched again).
Status finish_ca_key(const std::string& dir) {
  const std::string staged = dir + "/ca.key.next";
  auto key = read_part(staged, true);
  if (!key) return key.status();
  if (key->empty()) return Status::ok();
  auto held = common::read_optional_file(dir + "/ca.key");
  if (!held) return held.status();
  auto bundle = common::read_optional_file(dir + "/ca.crt");
  if (!bundle) return bundle.status();
  if (!*held && *bundle && key_matches(*key, **bundle)) {
    if (::rename(staged.c_str(), (dir + "/ca.key").c_str()) != 0)
      return Status::error("rename " + staged + ": " + common::errno_text(errno));
    return Status::ok();
  }
  if (::unlink(staged.c_str()) != 0 && errno != ENOENT)
    return Status::error("remove " + staged + ": " + common::errno_text(errno));
  return Status::ok();
}

}  // namespace

Expected<std::optional<NodePki>> load_pki(const std::string& dir) {
  if (Status finished = finish_replacement(dir); !finished) return finished;
  if (Status finished = finish_ca_key(dir); !finished) return finished;
  return read_pki(dir);
}

Expected<std::optional<NodePki>> read_pki(const std::string& dir) {
  NodePki pki;
  struct Part {
    const char* file;
    std::string* into;
    bool secret;
  };
  for (const Part& part :
       {Part{"ca.crt", &pki.ca_cert_pem, false}, Part{"ca.key", &pki.ca_key_pem, true},
        Part{"ca-next.key", &pki.next_ca_key_pem, true},
        Part{"node.crt", &pki.node_cert_pem, false}, Part{"node.key", &pki.node_key_pem, true}}) {
    auto text = read_part(dir + "/" + part.file, part.secret);
    if (!text) return text.status();
    *part.into = *text;
  }
  if (pki.node_cert_pem.empty()) return std::optional<NodePki>();
  for (const auto& [text, file] :
       {std::pair{&pki.ca_cert_pem, "ca.crt"}, std::pair{&pki.node_key_pem, "node.key"}}) {
    if (text->empty()) return Status::error(dir + "/" + file + ": missing (node.crt exists)");
  }
  if (Status matches = key_matches(pki.node_key_pem, pki.node_cert_pem); !matches)
    return matches.with_context(dir + "/node.key");
  if (!pki.ca_key_pem.empty()) {
    if (Status matches = key_matches(pki.ca_key_pem, pki.ca_cert_pem); !matches)
      return matches.with_context(dir + "/ca.key");
  }
  return std::optional<NodePki>(pki);
}

Status save_pki(const std::string& dir, const NodePki& pki) {
  if (::mkdir(dir.c_str(), kDirMode) != 0 && errno != EEXIST)
    return Status::error("mkdir " + dir + ": " + common::errno_text(errno));
  if (::chmod(dir.c_str(), kDirMode) != 0)
    return Status::error("chmod 0700 " + dir + ": " + common::errno_text(errno));
  // Keys first: a certificate on disk always has its key beside it.
  struct Part {
    const char* file;
    const std::string* text;
    mode_t mode;
  };
  for (const Part& part :
       {Part{"node.key", &pki.node_key_pem, kKeyMode}, Part{"ca.key", &pki.ca_key_pem, kKeyMode},
        Part{"ca-next.key", &pki.next_ca_key_pem, kKeyMode},
        Part{"ca.crt", &pki.ca_cert_pem, kCertMode},
        Part{"node.crt", &pki.node_cert_pem, kCertMode}}) {
    const std::string path = dir + "/" + part.file;
    if (part.text->empty()) {
      if (::unlink(path.c_str()) != 0 && errno != ENOENT)
        return Status::error("remove " + path + ": " + common::errno_text(errno));
      continue;
    }
    if (Status written = common::write_file_atomically(path, *part.text, part.mode); !written)
      return written;
  }
  return Status::ok();
}

Status save_cas(const std::string& dir, const std::string& ca_bundle, const std::string& ca_key,
                const std::string& next_key) {
  const std::string key_path = dir + "/ca.key";
  const std::string staged = dir + "/ca.key.next";
  const auto remove = [](const std::string& path) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
      return Status::error("remove " + path + ": " + common::errno_text(errno));
    return Status::ok();
  };
  auto held = read_part(key_path, true);
  if (!held) return held.status();
  if (!next_key.empty()) {
    if (Status written = common::write_file_atomically(dir + "/ca-next.key", next_key, kKeyMode);
        !written)
      return written;
  }
  if (*held == ca_key) {
    // The same issuing CA before and after: ca.key is left alone (a crash can lose nothing).
    if (Status written = common::write_file_atomically(dir + "/ca.crt", ca_bundle, kCertMode);
        !written)
      return written;
  } else {
    // Another issuing CA: the incoming key is written complete first (ca.key.next, which
    // finish_ca_key completes after a crash), then only the outgoing key is removed, so that
    // ca.key never names another CA than the first of ca.crt.
    if (!ca_key.empty()) {
      if (Status written = common::write_file_atomically(staged, ca_key, kKeyMode); !written)
        return written;
    }
    if (Status removed = remove(key_path); !removed) return removed;
    if (Status written = common::write_file_atomically(dir + "/ca.crt", ca_bundle, kCertMode);
        !written)
      return written;
    if (!ca_key.empty() && ::rename(staged.c_str(), key_path.c_str()) != 0)
      return Status::error("rename " + staged + ": " + common::errno_text(errno) +
                           " (the agent completes it at its next start)");
  }
  if (next_key.empty()) return remove(dir + "/ca-next.key");
  return Status::ok();
}

Status replace_node_certificate(const std::string& dir, const std::string& cert_pem,
                                const std::string& key_pem) {
  const std::string next_cert = dir + "/node.crt.next";
  const std::string next_key = dir + "/node.key.next";
  if (Status written = common::write_file_atomically(next_cert, cert_pem, kCertMode); !written)
    return written;
  if (Status written = common::write_file_atomically(next_key, key_pem, kKeyMode); !written) {
    ::unlink(next_cert.c_str());
    return written;
  }
  // Each rename reaches the disk before the next one: after a crash the directory never holds
  // the new certificate without the new key.
  const auto sync_dir = [&dir] {
    const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd >= 0) {
      ::fsync(dir_fd);
      ::close(dir_fd);
    }
  };
  sync_dir();  // both .next files are there
  // From this rename on, load_pki completes the replacement whatever happens next.
  if (::rename(next_key.c_str(), (dir + "/node.key").c_str()) != 0) {
    const int saved = errno;
    ::unlink(next_cert.c_str());
    ::unlink(next_key.c_str());
    return Status::error("rename " + next_key + ": " + common::errno_text(saved));
  }
  sync_dir();
  if (::rename(next_cert.c_str(), (dir + "/node.crt").c_str()) != 0)
    return Status::error("rename " + next_cert + ": " + common::errno_text(errno) +
                         " (the agent completes it at its next start)");
  sync_dir();
  return Status::ok();
}

Expected<NodePki> create_first_node_pki(const std::string& cluster_name,
                                        const std::string& node_name, const std::string& address) {
  auto ca = make_ca(cluster_name);
  if (!ca) return ca.status().with_context("create the cluster CA");
  auto key = generate_key();
  if (!key) return key.status().with_context("create the node key");
  auto csr = make_csr(*key, node_name);
  if (!csr) return csr.status();
  // The first node leads the new cluster: it answers the first joins.
  auto cert = sign_node_certificate(*ca, *csr, node_name, address, CertificateRole::kStorage);
  if (!cert) return cert.status().with_context("sign the node certificate");
  return NodePki{ca->cert_pem, ca->key_pem, *cert, *key};
}

}  // namespace pydio::agent::trust
