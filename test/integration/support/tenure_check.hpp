#pragma once
// The election scenario's verdict on what the contenders themselves believed (who thought it
// led, under which term, when). Pure and header-only so that a unit test
// (test/unit/integration/support/tenure_check_test.cpp) can feed it doctored records and show
// that every check fails when it should.

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace pydio::test {

// One line "L <holder> <term> <steady-clock ns>" of a contender: it believed it led right then.
struct LeaderSample {
  std::int64_t at_ns = 0;
  std::string holder;
  std::int64_t term = 0;
};

// A run of samples of one holder under one term, with nobody else's sample in between.
struct Tenure {
  std::string holder;
  std::int64_t term = 0;
  std::int64_t from_ns = 0;
  std::int64_t to_ns = 0;
};

// A tenure the database showed. `may_be_unseen`: the holder may never have learned that it won
// (its network was cut right after its winning round), so the agents' record may lack it.
struct ExpectedTenure {
  std::string holder;
  std::int64_t term = 0;
  bool may_be_unseen = false;
};

// The samples of all contenders, ordered by time, merged into tenures.
inline std::vector<Tenure> merge_tenures(std::vector<LeaderSample> samples) {
  std::stable_sort(samples.begin(), samples.end(),
                   [](const LeaderSample& a, const LeaderSample& b) { return a.at_ns < b.at_ns; });
  std::vector<Tenure> tenures;
  for (const auto& sample : samples) {
    if (!tenures.empty() && tenures.back().holder == sample.holder &&
        tenures.back().term == sample.term) {
      tenures.back().to_ns = sample.at_ns;
    } else {
      tenures.push_back({sample.holder, sample.term, sample.at_ns, sample.at_ns});
    }
  }
  return tenures;
}

// Empty when the agents' record holds; otherwise one line per problem:
// - two holders under one term, or one term in two separate tenures (someone led in between);
// - a term that does not grow from one tenure to the next;
// - a tenure the database never showed, or an expected one (not may_be_unseen) never seen.
// REQUIRES: `expected` lists the database's tenures with growing terms.
inline std::vector<std::string> tenure_problems(const std::vector<Tenure>& seen,
                                                const std::vector<ExpectedTenure>& expected) {
  std::vector<std::string> problems;
  auto name = [](const std::string& holder, std::int64_t term) {
    return holder + " term " + std::to_string(term);
  };
  std::map<std::int64_t, std::vector<const Tenure*>> by_term;
  for (const auto& tenure : seen) by_term[tenure.term].push_back(&tenure);
  for (const auto& [term, tenures] : by_term) {
    for (std::size_t i = 1; i < tenures.size(); ++i) {
      problems.push_back(tenures[i]->holder == tenures.front()->holder
                             ? "term " + std::to_string(term) + " of " + tenures.front()->holder +
                                   " seen in two separate tenures (someone led in between)"
                             : "term " + std::to_string(term) + " held by two holders: " +
                                   tenures.front()->holder + " and " + tenures[i]->holder);
    }
  }
  for (std::size_t i = 1; i < seen.size(); ++i) {
    if (seen[i].term <= seen[i - 1].term) {
      problems.push_back("tenure of " + name(seen[i].holder, seen[i].term) + " follows " +
                         name(seen[i - 1].holder, seen[i - 1].term) + ": the term did not grow");
    }
  }
  for (const auto& tenure : seen) {
    const bool shown = std::any_of(expected.begin(), expected.end(), [&](const ExpectedTenure& e) {
      return e.holder == tenure.holder && e.term == tenure.term;
    });
    if (!shown) {
      problems.push_back("tenure of " + name(tenure.holder, tenure.term) +
                         " that the database never showed");
    }
  }
  for (const auto& want : expected) {
    const auto count = std::count_if(seen.begin(), seen.end(), [&](const Tenure& tenure) {
      return tenure.holder == want.holder && tenure.term == want.term;
    });
    if (count == 0 && !want.may_be_unseen) {
      problems.push_back("no tenure of " + name(want.holder, want.term) + " seen by the agents");
    }
  }
  return problems;
}

}  // namespace pydio::test
