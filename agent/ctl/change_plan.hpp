#pragma once
// What `agentctl apply`, `diff` and `edit` make of a document an operator wrote, against the
// document in force (docs/desired-state.md, "Generations"). Pure: the commands fetch, submit and
// print (desired_commands.cpp).
//
// The generation in the file is the generation it was based on: an edit of the document in force
// (generation N) keeps N, and is put in force as N + 1.
//   absent                 based on the generation in force N, whatever it is when submitted;
//   N                      based on N;
//   lower than N           based on an older one: another change was put in force since;
//                          refused (stale), unless the document is the one in force (no change);
//   higher than N          refused (ahead: no such generation is in force).
// The meaning (docs/desired-state.md). A copy counted up by hand from N is refused while
// N is in force, but once another change is in force as N + 1 it carries the winner's number and
// reads as an edit of the winner: the docs say never to count up. The document is submitted as
// generation N + 1, and the leader puts it in force only while N is still the generation in force
// (compare-and-set: its existing "exactly in force + 1" rule).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/ctl/desired_diff.hpp"
#include "common/desired_state.hpp"

namespace pydio::agent::ctl {

struct ChangePlan {
  enum class Verdict {
    kInvalid,   // `errors` say why (validation, or the generation is ahead)
    kNoChange,  // the document is the one in force (agent-managed members aside), at any
                // generation up to the one in force
    kSubmit,    // submit `document`: generation in force + 1
    kStale,     // based on `base`, older than the generation in force; `diff` is in force -> it
  };
  Verdict verdict = Verdict::kInvalid;
  std::vector<std::string> errors;
  std::int64_t base = 0;  // the generation the document is based on
  bool had_generation = false;
  std::string document;  // kSubmit: the text to POST (serialized, generation in force + 1)
  DesiredDiff diff;      // in force -> the document (with the agent-managed members in force)
};

// `text` against `in_force`. `base`: the generation an edit started from (agentctl edit), which
// then wins over the file's own generation.
ChangePlan plan_change(const std::string& text, const common::DesiredState& in_force,
                       std::optional<std::int64_t> base = std::nullopt);

// `spec` as the leader would put it in force: the members only the agents write (joinTokens,
// security.caCertificates, web.release, web.rollout) are those in force when the spec leaves
// them out (agent/daemon/changes.cpp keeps them the same way).
common::DesiredState effective_change(const common::DesiredState& spec,
                                      const common::DesiredState& in_force);

// agentctl edit: `text` without the lines whose first non-blank character is '#' (the comment
// block agentctl writes on top; a JSON document has no such line).
std::string strip_comment_lines(const std::string& text);

// The file agentctl edit opens: a comment block (what to do; `errors` when the last save was
// refused) and the document.
std::string edit_buffer(const std::string& document, std::int64_t generation,
                        const std::vector<std::string>& errors);

// The editor's argv: $VISUAL, else $EDITOR, else `fallback` (the first of editor and vi found),
// split at spaces and tabs (no quoting, no shell), then `file`. Empty values count as unset.
std::vector<std::string> editor_argv(const char* visual, const char* editor,
                                     const std::string& fallback, const std::string& file);

}  // namespace pydio::agent::ctl
