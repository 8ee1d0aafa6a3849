#pragma once
// Pydio 8's database pre-configuration (boot.conf's bootstrap.json, read from
// AJXP_DATA_PATH/plugins/boot.conf/), rendered from the desired state's `database` and the DB
// password secret, so that no node needs the wizard's database step. Shaped like Pydio's own
// dist/docker/bootstrap.json, plus "mysql_use_mysqli": true (PHP >= 7 has no mysql extension;
// Dibi switches driver only when it is set) and "mysql_port" when not 3306.

#include <optional>
#include <string>

#include "common/desired_state.hpp"
#include "common/status.hpp"

namespace pydio::agent {

// The file's text when there is none yet, or what `existing` must become: only
// core.conf.DIBI_PRECONFIGURATION is compared and replaced (Pydio's installer rewrites the rest
// and owns it). nullopt when `existing` already holds the right connection settings. An error
// when `existing` is not a JSON object (nothing is overwritten then).
common::Expected<std::optional<std::string>> bootstrap_json(
    const common::DatabaseSpec& database, const std::string& password,
    const std::optional<std::string>& existing);

}  // namespace pydio::agent
