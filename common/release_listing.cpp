#include "common/release_listing.hpp"

#include <cctype>
#include <map>
#include <set>

#include "common/field_checks.hpp"

namespace pydio::common {

namespace {

constexpr std::size_t kMaxTopLength = 128;
constexpr std::size_t kMaxVersionLength = 64;

bool has_control(const std::string& text) {
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) return true;
  }
  return false;
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = path.find('/', start);
    parts.push_back(path.substr(start, slash - start));
    if (slash == std::string::npos) return parts;
    start = slash + 1;
  }
}

std::string joined(const std::vector<std::string>& parts, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) out += (i == 0 ? "" : "/") + parts[i];
  return out;
}

// Why `name` cannot be unpacked where it says, or "" (then `parts` holds its components; the
// trailing "/" tar lists after a directory's name is not one).
std::string name_problem(const std::string& name, char type, std::vector<std::string>& parts) {
  if (name.empty()) return "an empty name";
  if (has_control(name)) return "a control character in the name";
  if (name.front() == '/') return "an absolute name: it would unpack outside the release directory";
  std::string path = name;
  if (type == 'd' && path.size() > 1 && path.back() == '/') path.pop_back();
  parts = split_path(path);
  for (const auto& part : parts) {
    if (part.empty()) return "an empty path component (\"//\" or a trailing \"/\")";
    if (part == ".") return "a \".\" component (pack the release with tar -C <parent> <top dir>)";
    if (part == "..") return "a \"..\" component: it would unpack outside the release directory";
  }
  return "";
}

std::string top_problem(const std::string& top) {
  if (top.size() > kMaxTopLength) return "longer than " + std::to_string(kMaxTopLength);
  if (top.front() == '.' || top.front() == '-') return "starts with \".\" or \"-\"";
  for (char c : top) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '.' && c != '_' && c != '+' &&
        c != '-')
      return "holds a character other than [A-Za-z0-9._+-]";
  }
  return "";
}

std::string type_name(char type) {
  switch (type) {
    case '-':
      return "a regular file";
    case 'd':
      return "a directory";
    case 'l':
      return "a symbolic link";
    case 'h':
      return "a hard link";
    case 'c':
      return "a character device";
    case 'b':
      return "a block device";
    case 'p':
      return "a FIFO";
    case 'S':
      return "a sparse file";
    case 'C':
      return "a contiguous file";
    case 'V':
      return "a volume label";
    case 'M':
      return "a multi-volume continuation";
    default:
      return std::string("a member of type '") + type + "'";
  }
}

// Why the symbolic link `parts` (components from the top) to `target` leaves the top
// directory, or "". Only leading ".." are allowed: a ".." after a name could climb out of a
// directory that is itself a link ("x/.." with x -> "."), which no look at the names can see.
std::string symlink_problem(const std::vector<std::string>& parts, const std::string& target) {
  if (target.empty()) return "an empty target";
  if (has_control(target)) return "a control character in the target";
  if (target.front() == '/') return "an absolute target: it leaves the release directory";
  std::size_t ups = 0;
  bool named = false;
  for (const auto& part : split_path(target)) {
    if (part.empty() || part == ".") continue;
    if (part != "..") {
      named = true;
      continue;
    }
    if (named) return "\"..\" after a name in the target (only leading \"..\" are allowed)";
    ++ups;
  }
  // The link's directory has parts.size() - 1 components; the top one must remain.
  if (ups + 2 > parts.size()) return "a target that leaves the release directory";
  return "";
}

struct Seen {
  char type;
  std::size_t index;  // position in the listing
};

class Checker {
 public:
  void problem(const std::string& name, const std::string& what) {
    if (problems_.size() < kMaxReleaseProblems)
      problems_.push_back(name.empty() ? what : quote_value(name) + ": " + what);
    ++count_;
  }
  std::vector<std::string> finish() {
    if (count_ > problems_.size())
      problems_.push_back("... and " + std::to_string(count_ - problems_.size()) +
                          " more problems");
    return problems_;
  }
  bool any() const { return count_ > 0; }

 private:
  std::vector<std::string> problems_;
  std::size_t count_ = 0;
};

}  // namespace

ReleaseListingCheck check_release_listing(const std::vector<TarMember>& members) {
  Checker check;
  ReleaseLayout layout;
  layout.members = members.size();
  std::map<std::string, Seen> seen;  // by path (components joined)
  std::vector<std::vector<std::string>> paths(members.size());
  for (std::size_t i = 0; i < members.size(); ++i) {
    const TarMember& member = members[i];
    if (const std::string bad = name_problem(member.name, member.type, paths[i]); !bad.empty()) {
      check.problem(member.name, bad);
      continue;
    }
    const std::vector<std::string>& parts = paths[i];
    if (layout.top.empty()) {
      layout.top = parts.front();
      if (const std::string bad = top_problem(layout.top); !bad.empty())
        check.problem(member.name, "the top directory's name " + bad);
    } else if (parts.front() != layout.top) {
      check.problem(member.name, "outside the top directory \"" + layout.top +
                                     "/\": a release unpacks into exactly one");
      continue;
    }
    if (parts.size() == 1 && member.type != 'd')
      check.problem(member.name, type_name(member.type) + " where the top directory should be");
    if (member.type != '-' && member.type != 'd' && member.type != 'l' && member.type != 'h')
      check.problem(member.name, type_name(member.type) +
                                     ": a release holds only files, directories and links "
                                     "within it");
    const std::string path = joined(parts, parts.size());
    if (auto [it, fresh] = seen.emplace(path, Seen{member.type, i}); !fresh) {
      check.problem(member.name, "listed twice (listing lines " +
                                     std::to_string(members[it->second.index].line) + " and " +
                                     std::to_string(member.line) + ")");
      continue;
    }
    if (member.type == '-') layout.unpacked_bytes += member.size;
  }
  for (std::size_t i = 0; i < members.size(); ++i) {
    const TarMember& member = members[i];
    const std::vector<std::string>& parts = paths[i];
    if (parts.empty() || parts.front() != layout.top) continue;
    for (std::size_t k = 1; k < parts.size(); ++k) {
      const auto it = seen.find(joined(parts, k));
      if (it != seen.end() && it->second.type == 'l') {
        check.problem(member.name, "lies under the symbolic link \"" + joined(parts, k) +
                                       "\": tar would unpack it wherever that link points");
        break;
      }
    }
    if (member.type == 'l') {
      if (const std::string bad = symlink_problem(parts, member.link); !bad.empty())
        check.problem(member.name,
                      "a symbolic link to " + quote_value(member.link) + " with " + bad);
    }
    if (member.type == 'h') {
      std::vector<std::string> target;
      const std::string bad = name_problem(member.link, '-', target);
      const auto it = bad.empty() ? seen.find(joined(target, target.size())) : seen.end();
      if (!bad.empty() || target.front() != layout.top) {
        check.problem(member.name, "a hard link to " + quote_value(member.link) +
                                       ", outside the release directory");
      } else if (it == seen.end() || it->second.type != '-' || it->second.index >= i) {
        check.problem(member.name, "a hard link to " + quote_value(member.link) +
                                       ", which is not a regular file listed before it");
      }
    }
  }
  for (const char* required : kReleaseRequiredFiles) {
    if (layout.top.empty()) break;
    const std::string path = layout.top + "/" + required;
    const auto it = seen.find(path);
    if (it == seen.end()) {
      check.problem(path, "missing: every Pydio release has it");
    } else if (it->second.type != '-') {
      check.problem(path, type_name(it->second.type) + ", not a regular file");
    } else if (required == std::string(kReleaseVersionFile) &&
               members[it->second.index].size > kMaxReleaseVersionBytes) {
      check.problem(path, "larger than " + std::to_string(kMaxReleaseVersionBytes) + " bytes");
    }
  }
  if (members.empty()) check.problem("", "the archive is empty");
  if (members.size() > kMaxReleaseMembers)
    check.problem(layout.top, "more than " + std::to_string(kMaxReleaseMembers) + " members");
  if (layout.unpacked_bytes > kMaxReleaseUnpackedBytes)
    check.problem(layout.top, "unpacks to more than " +
                                  std::to_string(kMaxReleaseUnpackedBytes >> 30) + " GiB");
  ReleaseListingCheck result;
  if (!check.any()) result.layout = layout;
  result.problems = check.finish();
  return result;
}

Expected<std::string> release_version(const std::string& version_file) {
  const std::string line = version_file.substr(0, version_file.find('\n'));
  const std::string version = line.substr(0, line.find("__"));
  const auto refuse = [&](const std::string& why) {
    return Status::error(std::string(kReleaseVersionFile) + ": " + why + ", got " +
                         quote_value(line.substr(0, 80)));
  };
  if (version.empty() || version.front() == '.')
    return refuse("expected <version>__<date>__<revision>");
  if (version.size() > kMaxVersionLength)
    return refuse("the version is longer than " + std::to_string(kMaxVersionLength));
  for (char c : version) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '.' && c != '_' && c != '+' &&
        c != '-')
      return refuse("the version holds a character other than [A-Za-z0-9._+-]");
  }
  return version;
}

}  // namespace pydio::common
