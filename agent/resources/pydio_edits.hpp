#pragma once
// The edits that wire an operator-installed Pydio 8 into the cluster's volumes, as pure text
// functions (docs/plans/web-tier.md §1.1-1.3, §3 slice 2). An edit replaces one statement Pydio
// ships (its "anchor") by ours, and only if the file still says what Pydio wrote: a file that
// says something else is an error naming file and line, and nothing is changed. Lines are
// compared without the whitespace outside double-quoted strings (bootstrap_repositories.php
// aligns with tabs), so a re-indented but equal statement still matches.

#include <string>
#include <vector>

#include "common/status.hpp"

namespace pydio::agent {

struct PydioEdit {
  std::string key;         // start of the statement, e.g. `define("AJXP_DATA_PATH",`
  std::string pydio_line;  // the statement as Pydio 8.2.5 ships it
  std::string our_line;    // what the agent writes there, ending with `marker` when it has one
  // A comment ending our_line ("// pydio-agent: ..."): a line starting with `key` and ending with
  // it is an earlier rendering of ours (e.g. before web.publicUrl changed) and is replaced.
  // Empty where the file's syntax has no end-of-line comment (.htaccess).
  std::string marker;
};

// Applies `edits` to `text` (the content of `file`, named in errors). Each edit's statement must
// be on exactly one line, as Pydio's, as ours or as an earlier rendering of ours; that line is
// replaced (keeping its indentation) unless it already is ours. Otherwise an error
// "<file>:<line>: expected <pydio_line> or <our_line>, found <line>; nothing changed".
// Applying the result again gives the same text.
common::Expected<std::string> pydio_edits(const std::string& file, const std::string& text,
                                          const std::vector<PydioEdit>& edits);

// Where the cluster keeps what Pydio reads and writes (from the desired state).
struct WiringTargets {
  std::string install_dir;      // web.installDir: index.php, base.conf.php, .htaccess
  std::string conf_dir;         // web.confDir: bootstrap_*.php, conf.core.ajaxplorer.inc
  std::string config_mount;     // pydio-config's mountpoint, e.g. /mnt/pydio-config
  std::string data_mount;       // pydio-data's mountpoint
  std::string local_cache_dir;  // web.localCacheDir
  std::string alias;            // web.alias, e.g. /pydio
  std::string public_url;       // web.publicUrl; "" leaves $DRIVER_CONF as Pydio ships it
};

struct PydioFileEdits {
  std::string path;  // absolute
  std::vector<PydioEdit> edits;
};

// The edits of every file, in a fixed order. An error for a value that cannot be written into
// a PHP string literal (", \, $ or a control character), naming it.
common::Expected<std::vector<PydioFileEdits>> wiring_edits(const WiringTargets& targets);

}  // namespace pydio::agent
