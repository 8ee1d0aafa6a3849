#include "agent/host/galera_position.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>

namespace pydio::agent {
namespace {

using common::Status;

constexpr const char* kRecoverLog = "/galera-recover.log";
constexpr const char* kZeroUuid = "00000000-0000-0000-0000-000000000000";
// --wsrep-recover runs InnoDB crash recovery; a large buffer pool can take minutes.
constexpr std::chrono::seconds kRecoverTimeout{300};

std::optional<std::string> slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t\r") - first + 1);
}

std::int64_t to_seqno(const std::string& text) {
  try {
    std::size_t used = 0;
    const long long value = std::stoll(text, &used);
    return used == text.size() ? value : -1;
  } catch (const std::exception&) {
    return -1;
  }
}

}  // namespace

GaleraPosition parse_grastate(const std::string& text) {
  GaleraPosition position;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    const auto colon = line.find(':');
    if (line.empty() || line[0] == '#' || colon == std::string::npos) continue;
    const std::string key = trim(line.substr(0, colon));
    const std::string value = trim(line.substr(colon + 1));
    if (key == "uuid") position.uuid = value == kZeroUuid ? "" : value;
    if (key == "seqno") position.seqno = to_seqno(value);
    if (key == "safe_to_bootstrap") position.safe_to_bootstrap = value == "1";
  }
  return position;
}

std::optional<GaleraPosition> parse_recovered_position(const std::string& log) {
  static const std::regex kLine(
      R"(WSREP: Recovered position: ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}):(-?[0-9]+))");
  std::optional<GaleraPosition> found;
  for (auto it = std::sregex_iterator(log.begin(), log.end(), kLine); it != std::sregex_iterator();
       ++it) {
    GaleraPosition position;
    position.uuid = (*it)[1].str() == kZeroUuid ? "" : (*it)[1].str();
    position.seqno = to_seqno((*it)[2].str());
    found = position;
  }
  return found;
}

std::optional<GaleraPosition> read_grastate(const std::string& datadir) {
  auto text = slurp(datadir + "/grastate.dat");
  if (!text) return std::nullopt;
  return parse_grastate(*text);
}

namespace {

// Replaces the line starting with `key` (appends it when missing), keeping owner and mode.
Status set_grastate_line(const std::string& datadir, const std::string& key,
                         const std::string& value) {
  const std::string path = datadir + "/grastate.dat";
  auto text = slurp(path);
  if (!text) return Status::error("read " + path + ": " + std::strerror(errno));
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0)
    return Status::error("stat " + path + ": " + std::strerror(errno));
  std::string out;
  std::istringstream lines(*text);
  std::string line;
  bool found = false;
  while (std::getline(lines, line)) {
    if (line.rfind(key + ":", 0) == 0) {
      line = key + ": " + value;
      found = true;
    }
    out += line + "\n";
  }
  if (!found) out += key + ": " + value + "\n";
  const std::string temp = path + ".pydio-agent";
  {
    std::ofstream file(temp, std::ios::binary | std::ios::trunc);
    file << out;
    file.flush();
    if (!file) return Status::error("write " + temp + ": " + std::strerror(errno));
  }
  if (::chown(temp.c_str(), info.st_uid, info.st_gid) != 0 ||
      ::chmod(temp.c_str(), info.st_mode & 07777) != 0 ||
      ::rename(temp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(temp.c_str());
    return Status::error("replace " + path + ": " + why);
  }
  return Status::ok();
}

}  // namespace

Status mark_safe_to_bootstrap(const std::string& datadir) {
  return set_grastate_line(datadir, "safe_to_bootstrap", "1");
}

Status write_grastate_seqno(const std::string& datadir, std::int64_t seqno) {
  return set_grastate_line(datadir, "seqno", std::to_string(seqno));
}

common::Expected<GaleraPosition> recover_position(common::ProcessRunner& runner,
                                                  const std::string& defaults_file,
                                                  const std::string& datadir) {
  // The log goes into the datadir: mariadbd writes it as mysql, and an error log it cannot
  // write is silently not created.
  const std::string log = datadir + kRecoverLog;
  ::unlink(log.c_str());
  std::vector<std::string> argv = {"mariadbd"};
  if (!defaults_file.empty()) argv.push_back("--defaults-file=" + defaults_file);  // first
  argv.insert(argv.end(), {"--wsrep-recover", "--log-error=" + log});
  const common::RunResult result = runner.run(common::Command(argv, kRecoverTimeout));
  std::string text = result.out + result.err;
  if (auto written = slurp(log)) text += *written;
  auto position = parse_recovered_position(text);
  if (!position) {
    return Status::error("mariadbd --wsrep-recover (exit " + std::to_string(result.exit_code) +
                         ") printed no recovered position; see " + log);
  }
  auto saved = read_grastate(datadir);
  if (saved && !saved->uuid.empty() && saved->uuid != position->uuid) {
    return Status::error("mariadbd --wsrep-recover found position " + position->uuid + ":" +
                         std::to_string(position->seqno) + " but grastate.dat names cluster " +
                         saved->uuid + ": left for an operator");
  }
  Status written = write_grastate_seqno(datadir, position->seqno);
  if (!written) return written;
  return *position;
}

}  // namespace pydio::agent
