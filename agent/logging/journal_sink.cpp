#include "agent/logging/journal_sink.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>

#include <cstdlib>
#include <memory>

namespace pydio::agent::logging {

int journal_priority(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::critical:
      return 2;
    case spdlog::level::err:
      return 3;
    case spdlog::level::warn:
      return 4;
    case spdlog::level::info:
      return 6;
    default:
      return 7;
  }
}

std::vector<std::string> journal_fields(spdlog::level::level_enum level, std::string_view message,
                                        const std::string& node, const LogContext* context) {
  std::vector<std::string> fields = {"MESSAGE=" + std::string(message),
                                     "PRIORITY=" + std::to_string(journal_priority(level)),
                                     "SYSLOG_IDENTIFIER=pydio-agentd"};
  if (!node.empty()) fields.push_back("NODE=" + node);
  if (context == nullptr) return fields;
  if (!context->resource.empty()) fields.push_back("RESOURCE=" + context->resource);
  if (!context->action.empty()) fields.push_back("ACTION=" + context->action);
  if (!context->outcome.empty()) fields.push_back("OUTCOME=" + context->outcome);
  if (context->leader_term > 0) fields.push_back("TERM=" + std::to_string(context->leader_term));
  return fields;
}

void JournalSink::sink_it_(const spdlog::details::log_msg& message) {
  const std::vector<std::string> fields =
      journal_fields(message.level, std::string_view(message.payload.data(), message.payload.size()),
                     node_, current_log_context());
  std::vector<iovec> vectors;
  vectors.reserve(fields.size());
  // sd_journal_sendv takes NAME=value pairs as iovecs: a value may hold newlines (command
  // output in an error), which the journal keeps as one entry.
  for (const auto& field : fields) {
    vectors.push_back(iovec{const_cast<char*>(field.data()), field.size()});
  }
  sd_journal_sendv(vectors.data(), static_cast<int>(vectors.size()));
}

namespace {

bool descriptor_is(int fd, const std::string& device_and_inode) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return false;
  return std::to_string(static_cast<unsigned long long>(st.st_dev)) + ":" +
             std::to_string(static_cast<unsigned long long>(st.st_ino)) ==
         device_and_inode;
}

}  // namespace

bool output_is_journal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (stream == nullptr || *stream == '\0') return false;
  return descriptor_is(1, stream) || descriptor_is(2, stream);
}

void install_logger(spdlog::level::level_enum level, const std::string& node) {
  std::shared_ptr<spdlog::logger> logger;
  if (output_is_journal()) {
    logger = std::make_shared<spdlog::logger>("pydio-agentd", std::make_shared<JournalSink>(node));
  } else {
    logger = std::make_shared<spdlog::logger>(
        "pydio-agentd", std::make_shared<spdlog::sinks::stdout_color_sink_mt>());
    logger->set_pattern("%L %v");
  }
  logger->set_level(level);
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace pydio::agent::logging
