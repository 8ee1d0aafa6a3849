#include "agent/resources/pydio_edits.hpp"

#include <cstddef>
#include <optional>

namespace pydio::agent {

using common::Expected;
using common::Status;

namespace {

// The line without whitespace outside double-quoted strings (backslash escapes respected).
std::string squeeze(const std::string& line) {
  std::string out;
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted && c == '\\' && i + 1 < line.size()) {
      out += c;
      out += line[++i];
      continue;
    }
    if (c == '"') quoted = !quoted;
    if (!quoted && (c == ' ' || c == '\t' || c == '\r')) continue;
    out += c;
  }
  return out;
}

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string trimmed(const std::string& line) {
  const std::size_t first = line.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  const std::size_t last = line.find_last_not_of(" \t\r");
  return line.substr(first, last - first + 1);
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = text.find('\n', start);
    if (end == std::string::npos) {
      lines.push_back(text.substr(start));
      break;
    }
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;  // a text ending in '\n' ends with an empty element: joining restores it
}

enum class LineIs { kOther, kPydio, kOurs, kEarlierOurs };

LineIs classify(const std::string& squeezed, const PydioEdit& edit) {
  if (squeezed == squeeze(edit.our_line)) return LineIs::kOurs;
  if (squeezed == squeeze(edit.pydio_line)) return LineIs::kPydio;
  if (!edit.marker.empty() && starts_with(squeezed, squeeze(edit.key)) &&
      ends_with(squeezed, squeeze(edit.marker))) {
    return LineIs::kEarlierOurs;
  }
  return LineIs::kOther;
}

std::string expected_text(const std::string& file, std::size_t line, const PydioEdit& edit) {
  return file + (line > 0 ? ":" + std::to_string(line) : "") + ": expected " + edit.pydio_line +
         " or " + edit.our_line;
}

}  // namespace

Expected<std::string> pydio_edits(const std::string& file, const std::string& text,
                                  const std::vector<PydioEdit>& edits) {
  std::vector<std::string> lines = split_lines(text);
  std::vector<std::string> squeezed;
  for (const auto& line : lines) squeezed.push_back(squeeze(line));
  // A line some edit recognizes is never "unexpected" for another edit with the same key
  // (both repository PATH lines start with "PATH" =>).
  std::vector<bool> claimed(lines.size(), false);
  for (const auto& edit : edits)
    for (std::size_t i = 0; i < lines.size(); ++i)
      if (classify(squeezed[i], edit) != LineIs::kOther) claimed[i] = true;

  for (const auto& edit : edits) {
    std::optional<std::size_t> found;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      if (classify(squeezed[i], edit) == LineIs::kOther) continue;
      if (found) {
        return Status::error(expected_text(file, i + 1, edit) +
                             " once, found it again (also line " + std::to_string(*found + 1) +
                             "); nothing changed");
      }
      found = i;
    }
    if (!found) {
      const std::string key = squeeze(edit.key);
      for (std::size_t i = 0; i < lines.size(); ++i) {
        if (claimed[i] || !starts_with(squeezed[i], key)) continue;
        // "found define(...); nothing changed", not ";;" after a PHP statement.
        const std::string found_line = trimmed(lines[i]);
        const bool has_semicolon = !found_line.empty() && found_line.back() == ';';
        return Status::error(expected_text(file, i + 1, edit) + ", found " + found_line +
                             (has_semicolon ? " " : "; ") + "nothing changed");
      }
      return Status::error(expected_text(file, 0, edit) + ", found no such line; nothing changed");
    }
    if (classify(squeezed[*found], edit) == LineIs::kOurs) continue;
    std::string& line = lines[*found];
    const std::string indent = line.substr(0, line.find_first_not_of(" \t"));
    line = indent + edit.our_line;
  }
  std::string out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) out += '\n';
    out += lines[i];
  }
  return out;
}

namespace {

// A value written between double quotes in PHP: nothing that would end or interpolate it.
Status php_literal_problem(const std::string& what, const std::string& value) {
  for (const char c : value) {
    if (c == '"' || c == '\\' || c == '$' || static_cast<unsigned char>(c) < 0x20) {
      return Status::error(what + ": \"" + value +
                           "\" cannot be written into Pydio's PHP files (no \", \\, $ or control "
                           "characters)");
    }
  }
  return Status::ok();
}

std::string quoted(const std::string& value) { return "\"" + value + "\""; }

std::string without_trailing_slash(std::string value) {
  while (value.size() > 1 && value.back() == '/') value.pop_back();
  return value;
}

PydioEdit define_edit(const std::string& constant, const std::string& pydio_value,
                      const std::string& our_value) {
  const std::string key = "define(\"" + constant + "\",";
  const std::string marker = "// pydio-agent: " + constant;
  return PydioEdit{key, key + " " + pydio_value + ");",
                   key + " " + quoted(our_value) + "); " + marker, marker};
}

PydioEdit repository_path_edit(int index, const std::string& pydio_value,
                               const std::string& our_value) {
  const std::string marker = "// pydio-agent: repository " + std::to_string(index);
  return PydioEdit{"\"PATH\" =>", "\"PATH\"\t\t\t=>\t" + quoted(pydio_value) + ",",
                   "\"PATH\" => " + quoted(our_value) + ", " + marker, marker};
}

}  // namespace

Expected<std::vector<PydioFileEdits>> wiring_edits(const WiringTargets& targets) {
  const std::string config = without_trailing_slash(targets.config_mount);
  const std::string data = without_trailing_slash(targets.data_mount);
  const std::string url = without_trailing_slash(targets.public_url);
  const std::pair<const char*, std::string> values[] = {
      {"pydio-config mountpoint", config},
      {"pydio-data mountpoint", data},
      {"web.localCacheDir", targets.local_cache_dir},
      {"web.publicUrl", url},
      {"web.alias", targets.alias}};
  for (const auto& [what, value] : values)
    if (Status problem = php_literal_problem(what, value); !problem) return problem;

  std::vector<PydioFileEdits> files;
  files.push_back(PydioFileEdits{
      targets.conf_dir + "/bootstrap_context.php",
      {define_edit("AJXP_DATA_PATH", "AJXP_INSTALL_PATH.\"/data\"", config + "/appdata"),
       define_edit("AJXP_CACHE_DIR", "AJXP_DATA_PATH.\"/cache\"", targets.local_cache_dir),
       define_edit("AJXP_SHARED_CACHE_DIR", "AJXP_INSTALL_PATH.\"/data/cache\"",
                   config + "/cache")}});
  files.push_back(PydioFileEdits{
      targets.conf_dir + "/bootstrap_repositories.php",
      {repository_path_edit(0, "AJXP_DATA_PATH/files", data + "/common"),
       repository_path_edit(1, "AJXP_DATA_PATH/personal/AJXP_USER", data + "/users/AJXP_USER")}});
  // Apache's .htaccess has no end-of-line comments: only Pydio's line or ours is recognized.
  files.push_back(PydioFileEdits{
      targets.install_dir + "/.htaccess",
      {PydioEdit{"RewriteBase ", "RewriteBase /", "RewriteBase " + targets.alias, ""}}});
  if (!url.empty()) {
    // Defaults only: a value saved in Pydio's settings (its installer saves SERVER_URL) wins.
    const std::string marker = "// pydio-agent: web.publicUrl";
    files.push_back(
        PydioFileEdits{targets.conf_dir + "/conf.core.ajaxplorer.inc",
                       {PydioEdit{"\"CLI_PHP\" =>", "\"CLI_PHP\" => \"php\"",
                                  "\"CLI_PHP\" => \"php\", \"SERVER_URL\" => " + quoted(url) +
                                      ", \"PUBLIC_DOWNLOAD_URL\" => " + quoted(url + "/public") +
                                      ", \"PUBLIC_DOWNLOAD_FOLDER\" => " +
                                      quoted(data + "/public") + ", " + marker,
                                  marker}}});
  }
  return files;
}

}  // namespace pydio::agent
