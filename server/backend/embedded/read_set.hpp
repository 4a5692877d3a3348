// What a read plan depends on, so that a committed write re-runs only the
// live queries it can change. The root access is tracked at index-range level
// (a document enters or leaves the range, or is one of the ids fetched);
// relation loads depend on their parents' keys, so their tables are tracked
// whole. Conservative: may say "affected" when the result is the same, never
// the other way round.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "server/backend/embedded/store.hpp"
#include "server/backend/embedded/writer.hpp"
#include "server/planner/plan.hpp"

namespace dc {

class ReadSet {
 public:
  ReadSet() = default;
  explicit ReadSet(const ReadPlan& plan);
  // True when one of `changes` can change the plan's result.
  bool affected_by(const std::vector<Change>& changes, const Store& store) const;
  bool affected_by(const Change& change, const Store& store) const;
  // Every table a write to which may change the result, the root's first.
  std::vector<std::string> tables() const;
  // The ids a point read fetches, when only a write to one of those rows can
  // change its result (a get by _id, nothing else read); null otherwise.
  const std::vector<Value>* point_ids() const;

 private:
  bool root_touched(const Document& d, const Store& store) const;
  std::string root_table_;
  Source root_source_;
  bool root_driven_ = false;
  std::set<std::string, std::less<>> tables_;  // read whole: relation targets and junctions
};

}  // namespace dc
