#include "agent/cluster/signing_files.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "common/file_ops.hpp"

namespace pydio::agent {

using common::Expected;
using common::Status;

namespace {
// The successor's public key named by a succession's JSON text; "" when it names none.
std::string successor_public(const std::string& succession) {
  const nlohmann::json parsed = nlohmann::json::parse(succession, nullptr, false);
  if (!parsed.is_object()) return "";
  auto it = parsed.find("publicKey");
  return it != parsed.end() && it->is_string() ? it->get<std::string>() : "";
}
}  // namespace

std::string signing_private_path(const std::string& pki_dir) { return pki_dir + "/signing.key"; }
std::string signing_public_path(const std::string& pki_dir) { return pki_dir + "/signing.pub"; }
std::string signing_succession_path(const std::string& pki_dir) {
  return pki_dir + "/signing.succession";
}

Expected<std::optional<SigningKeys>> load_signing_keys(const std::string& pki_dir) {
  auto pub = common::read_optional_file(signing_public_path(pki_dir));
  if (!pub) return pub.status();
  if (!pub->has_value()) return std::optional<SigningKeys>();
  SigningKeys keys{**pub, "", ""};
  if (key_id(keys.public_pem).empty())
    return Status::error(signing_public_path(pki_dir) + ": not an Ed25519 public key in PEM");
  auto priv = common::read_optional_file(signing_private_path(pki_dir));
  if (!priv) return priv.status();
  auto succession = common::read_optional_file(signing_succession_path(pki_dir));
  if (!succession) return succession.status();
  if (priv->has_value()) {
    struct stat st {};
    if (::stat(signing_private_path(pki_dir).c_str(), &st) == 0 && (st.st_mode & 077) != 0)
      return Status::error(signing_private_path(pki_dir) +
                           ": readable or writable by group or others; expected mode 0600");
    keys.private_pem = **priv;
  }
  if (succession->has_value()) {
    const std::string successor = successor_public(**succession);
    if (!successor.empty() && key_id(successor) == key_id(keys.public_pem)) {
      keys.succession = **succession;
    } else if (!successor.empty() && !keys.private_pem.empty() &&
               check_key_pair(SigningKeys{successor, keys.private_pem, ""})) {
      // A rotation on this node stopped between writing the successor's private key and its
      // public key: finish it.
      if (Status written =
              common::write_file_atomically(signing_public_path(pki_dir), successor, 0644);
          !written)
        return written;
      keys.public_pem = successor;
      keys.succession = **succession;
    }
  }
  if (!keys.private_pem.empty())
    if (Status pair = check_key_pair(keys); !pair) return pair.with_context(pki_dir);
  return std::optional<SigningKeys>(keys);
}

Status save_signing_keys(const std::string& pki_dir, const SigningKeys& keys) {
  // The parent (/etc/pydio-agent) exists on an installed node; a test's pki dir may not.
  const std::string parent = pki_dir.substr(0, pki_dir.rfind('/'));
  if (!parent.empty()) ::mkdir(parent.c_str(), 0755);
  if (::mkdir(pki_dir.c_str(), 0700) != 0 && errno != EEXIST)
    return Status::error("create " + pki_dir + ": " + common::errno_text(errno));
  if (::chmod(pki_dir.c_str(), 0700) != 0)
    return Status::error("chmod " + pki_dir + ": " + common::errno_text(errno));
  if (!keys.succession.empty()) {
    Status written =
        common::write_file_atomically(signing_succession_path(pki_dir), keys.succession, 0644);
    if (!written) return written;
  }
  if (!keys.private_pem.empty()) {
    Status written =
        common::write_file_atomically(signing_private_path(pki_dir), keys.private_pem, 0600);
    if (!written) return written;
  }
  return common::write_file_atomically(signing_public_path(pki_dir), keys.public_pem, 0644);
}

namespace {
// The staged counterpart of each key file, in the order a rotation writes and promotes them.
std::vector<std::pair<std::string, std::string>> staged_files(const std::string& pki_dir) {
  return {{pki_dir + "/signing.next.succession", signing_succession_path(pki_dir)},
          {pki_dir + "/signing.next.key", signing_private_path(pki_dir)},
          {pki_dir + "/signing.next.pub", signing_public_path(pki_dir)}};
}

Status remove_if_present(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    return Status::error("remove " + path + ": " + common::errno_text(errno));
  return Status::ok();
}
}  // namespace

Status stage_successor_key(const std::string& pki_dir, const SigningKeys& successor) {
  const auto files = staged_files(pki_dir);
  const std::string* contents[] = {&successor.succession, &successor.private_pem,
                                   &successor.public_pem};
  const mode_t modes[] = {0644, 0600, 0644};
  for (std::size_t i = 0; i < files.size(); ++i) {
    if (Status written = common::write_file_atomically(files[i].first, *contents[i], modes[i]);
        !written)
      return written;
  }
  return Status::ok();
}

Expected<std::optional<SigningKeys>> load_staged_successor(const std::string& pki_dir) {
  const auto files = staged_files(pki_dir);
  SigningKeys staged;
  std::string* targets[] = {&staged.succession, &staged.private_pem, &staged.public_pem};
  for (std::size_t i = 0; i < files.size(); ++i) {
    auto text = common::read_optional_file(files[i].first);
    if (!text) return text.status();
    if (text->has_value()) *targets[i] = **text;
  }
  if (staged.public_pem.empty()) return std::optional<SigningKeys>();
  // Promotion renames the public key last: while it is staged, a missing succession or private
  // key was already renamed into place.
  if (staged.succession.empty()) {
    auto placed = common::read_optional_file(signing_succession_path(pki_dir));
    if (placed && placed->has_value()) staged.succession = **placed;
  }
  if (staged.private_pem.empty()) {
    auto placed = common::read_optional_file(signing_private_path(pki_dir));
    if (placed && placed->has_value()) staged.private_pem = **placed;
  }
  if (Status pair = check_key_pair(staged); !pair) return pair.with_context("staged signing key");
  return std::optional<SigningKeys>(staged);
}

Status promote_staged_key(const std::string& pki_dir) {
  for (const auto& [staged, target] : staged_files(pki_dir)) {
    if (::rename(staged.c_str(), target.c_str()) != 0 && errno != ENOENT)
      return Status::error("rename " + staged + " to " + target + ": " + common::errno_text(errno));
  }
  return Status::ok();
}

Status discard_staged_key(const std::string& pki_dir) {
  for (const auto& file : staged_files(pki_dir))
    if (Status removed = remove_if_present(file.first); !removed) return removed;
  return Status::ok();
}

Status replace_signing_keys(const std::string& pki_dir, const SigningKeys& keys) {
  if (Status discarded = discard_staged_key(pki_dir); !discarded) return discarded;
  for (const std::string& path : {signing_private_path(pki_dir), signing_succession_path(pki_dir)})
    if (Status removed = remove_if_present(path); !removed) return removed;
  return save_signing_keys(pki_dir, keys);
}

Status trust_successor_key(const std::string& pki_dir, const SigningKeys& successor) {
  if (Status removed = remove_if_present(signing_private_path(pki_dir)); !removed)
    return removed.with_context("remove the previous signing key");
  return save_signing_keys(pki_dir, SigningKeys{successor.public_pem, "", successor.succession});
}

}  // namespace pydio::agent
