#include "server/backend/embedded/relation_key.hpp"

namespace dc {

Value relation_key(const Value& row, const FieldList& fields) {
  if (fields.size() == 1) {
    const Value* v = lookup_path(row, fields[0]);
    return v && !v->is_nullish() ? *v : Value();
  }
  Array parts;
  parts.reserve(fields.size());
  for (const auto& f : fields) {
    const Value* v = lookup_path(row, f);
    if (!v || v->is_nullish()) return Value();
    parts.push_back(*v);
  }
  return Value(std::move(parts));
}

}  // namespace dc
