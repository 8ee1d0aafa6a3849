#include "agent/logging/journal_sink.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>

using namespace pydio::agent::logging;

namespace {

bool has(const std::vector<std::string>& fields, const std::string& field) {
  return std::find(fields.begin(), fields.end(), field) != fields.end();
}

bool has_name(const std::vector<std::string>& fields, const std::string& name) {
  return std::any_of(fields.begin(), fields.end(),
                     [&](const std::string& field) { return field.rfind(name + "=", 0) == 0; });
}

// Sets $JOURNAL_STREAM for one test and puts back what was there.
struct JournalStreamVariable {
  explicit JournalStreamVariable(const std::string& value) {
    if (const char* old = std::getenv("JOURNAL_STREAM")) saved = old;
    ::setenv("JOURNAL_STREAM", value.c_str(), 1);
  }
  ~JournalStreamVariable() {
    if (saved.empty()) {
      ::unsetenv("JOURNAL_STREAM");
    } else {
      ::setenv("JOURNAL_STREAM", saved.c_str(), 1);
    }
  }
  std::string saved;
};

}  // namespace

TEST_CASE("a journal entry carries the priority, the node and the action's fields") {
  LogContext context{"apache-vhost", "reload apache2", "error", 7};
  const auto fields = journal_fields(spdlog::level::warn, "apache-vhost: reload failed\nline 2",
                                     "n2", &context);
  CHECK(has(fields, "MESSAGE=apache-vhost: reload failed\nline 2"));
  CHECK(has(fields, "PRIORITY=4"));
  CHECK(has(fields, "SYSLOG_IDENTIFIER=pydio-agentd"));
  CHECK(has(fields, "NODE=n2"));
  CHECK(has(fields, "RESOURCE=apache-vhost"));
  CHECK(has(fields, "ACTION=reload apache2"));
  CHECK(has(fields, "OUTCOME=error"));
  CHECK(has(fields, "TERM=7"));
}

TEST_CASE("a line without context has no resource, action or term fields") {
  const auto fields = journal_fields(spdlog::level::info, "started", "n1", nullptr);
  CHECK(has(fields, "PRIORITY=6"));
  CHECK(has(fields, "NODE=n1"));
  CHECK_FALSE(has_name(fields, "RESOURCE"));
  CHECK_FALSE(has_name(fields, "ACTION"));
  CHECK_FALSE(has_name(fields, "TERM"));
}

TEST_CASE("journal priorities follow syslog's") {
  CHECK(journal_priority(spdlog::level::critical) == 2);
  CHECK(journal_priority(spdlog::level::err) == 3);
  CHECK(journal_priority(spdlog::level::warn) == 4);
  CHECK(journal_priority(spdlog::level::info) == 6);
  CHECK(journal_priority(spdlog::level::debug) == 7);
}

TEST_CASE("the context is the thread's innermost one while it lives") {
  CHECK(current_log_context() == nullptr);
  {
    ScopedLogContext outer(LogContext{"data-brick", "mkfs", "", 0});
    REQUIRE(current_log_context() != nullptr);
    CHECK(current_log_context()->resource == "data-brick");
    {
      ScopedLogContext inner(LogContext{"volume/pydio-data", "start", "", 3});
      CHECK(current_log_context()->resource == "volume/pydio-data");
    }
    CHECK(current_log_context()->resource == "data-brick");
  }
  CHECK(current_log_context() == nullptr);
}

TEST_CASE("output counts as the journal only when JOURNAL_STREAM names stdout or stderr") {
  struct stat st {};
  REQUIRE(::fstat(2, &st) == 0);
  const std::string mine = std::to_string(static_cast<unsigned long long>(st.st_dev)) + ":" +
                           std::to_string(static_cast<unsigned long long>(st.st_ino));
  {
    JournalStreamVariable variable(mine);
    CHECK(output_is_journal());
  }
  {
    // Inherited from a parent whose output went to the journal; ours goes elsewhere.
    JournalStreamVariable variable("1:999999999");
    CHECK_FALSE(output_is_journal());
  }
}
