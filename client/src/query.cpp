#include "drizzle_convex/query.hpp"

namespace drizzle_convex {

namespace {

Json selection(const std::vector<std::string>& fields, bool keep) {
  Json j = Json::object();
  for (const auto& f : fields) j[f] = keep;
  return j;
}

const char* aggregate_suffix(Aggregate a) {
  switch (a) {
    case Aggregate::count: return "(count)";
    case Aggregate::min: return "(min)";
    case Aggregate::max: return "(max)";
    case Aggregate::avg: return "(avg)";
    case Aggregate::first: return "(first)";
    case Aggregate::none: break;
  }
  return "";
}

// {"a": {"b": {"field": "desc(max)"}}}: the relations nest, the last holds the column.
Order through_order(std::vector<std::string> through, std::string field, Aggregate aggregate, const char* direction) {
  Json leaf = std::string(direction) + aggregate_suffix(aggregate);
  if (!field.empty()) leaf = Json{{field, leaf}};
  if (through.empty()) return Order(std::move(field), std::move(leaf));
  for (size_t i = through.size(); i-- > 1;) leaf = Json{{through[i], leaf}};
  return Order(through.front(), std::move(leaf));
}

Json config_json(const ReadConfig& c);

// orderBy (object form, keys in priority order), limit and offset: rows and an aggregate's groups alike.
void order_limit_offset(Json& j, const std::vector<Order>& order_by, std::optional<std::int64_t> limit,
                        std::optional<std::int64_t> offset) {
  if (!order_by.empty()) {
    Json order = Json::object();
    for (const auto& o : order_by) order[o.key()] = o.value();
    j["orderBy"] = std::move(order);
  }
  if (limit) j["limit"] = *limit;
  if (offset) j["offset"] = *offset;
}

Json with_json(const std::vector<With>& with) {
  Json j = Json::object();
  for (const auto& w : with) {
    Json cfg = config_json(w.config);
    j[w.relation] = cfg.empty() ? Json(true) : std::move(cfg);
  }
  return j;
}

// Keys in Drizzle's documentation order, so the JSON reads like its examples.
Json config_json(const ReadConfig& c) {
  Json j = Json::object();
  if (c.columns) j["columns"] = c.columns->json();
  if (c.search) {
    j["search"] = Json{{"index", c.search->index}, {"query", c.search->query}};
    if (!c.search->filters.empty()) j["search"]["filters"] = c.search->filters;
  }
  if (c.where) j["where"] = c.where->json();
  if (!c.with.empty()) j["with"] = with_json(c.with);
  if (!c.count.empty()) {
    Json counts = Json::object();
    for (const auto& rc : c.count) counts[rc.relation] = rc.where ? Json{{"where", rc.where->json()}} : Json(true);
    if (!j.contains("with")) j["with"] = Json::object();
    j["with"]["_count"] = std::move(counts);
  }
  order_limit_offset(j, c.order_by, c.limit, c.offset);
  return j;
}

Json read(const std::string& table, const char* op, const ReadConfig& c) {
  Json j = Json{{"table", table}, {"op", op}};
  j.update(config_json(c));
  return j;
}

}  // namespace

Columns include(std::vector<std::string> fields) { return Columns(selection(fields, true)); }
Columns exclude(std::vector<std::string> fields) { return Columns(selection(fields, false)); }

Order asc(std::string field) { return Order(std::move(field), "asc"); }
Order desc(std::string field) { return Order(std::move(field), "desc"); }
Order asc(std::vector<std::string> through, std::string field, Aggregate aggregate) {
  return through_order(std::move(through), std::move(field), aggregate, "asc");
}
Order desc(std::vector<std::string> through, std::string field, Aggregate aggregate) {
  return through_order(std::move(through), std::move(field), aggregate, "desc");
}

ReadQuery ReadQuery::with_cursor(std::optional<std::string> cursor) const {
  Json j = json_;
  j["cursor"] = cursor ? Json(*cursor) : Json(nullptr);
  return ReadQuery(std::move(j));
}

ReadQuery TableQuery::find_many(const ReadConfig& config) const { return ReadQuery(read(table_, "findMany", config)); }
ReadQuery TableQuery::find_first(const ReadConfig& config) const { return ReadQuery(read(table_, "findFirst", config)); }

ReadQuery TableQuery::paginate(std::int64_t num_items, const ReadConfig& config, std::optional<std::string> cursor) const {
  Json j = read(table_, "paginate", config);
  j["numItems"] = num_items;
  j["cursor"] = cursor ? Json(*cursor) : Json(nullptr);
  return ReadQuery(std::move(j));
}

ReadQuery TableQuery::count(std::optional<Filter> where) const {
  Json j = Json{{"table", table_}, {"op", "count"}};
  if (where) j["where"] = where->json();
  return ReadQuery(std::move(j));
}

Function count_rows() { return Function(Json{{"count", true}}); }
Function count_of(std::string field) { return Function(Json{{"count", std::move(field)}}); }
Function count_distinct(std::string field) { return Function(Json{{"countDistinct", std::move(field)}}); }
Function sum(std::string field) { return Function(Json{{"sum", std::move(field)}}); }
Function avg(std::string field) { return Function(Json{{"avg", std::move(field)}}); }
Function min_of(std::string field) { return Function(Json{{"min", std::move(field)}}); }
Function max_of(std::string field) { return Function(Json{{"max", std::move(field)}}); }

ReadQuery TableQuery::aggregate(const AggregateConfig& config) const {
  Json j = Json{{"table", table_}, {"op", "aggregate"}};
  if (config.where) j["where"] = config.where->json();
  if (!config.group_by.empty()) j["groupBy"] = config.group_by;
  Json functions = Json::object();
  for (const auto& f : config.aggregates) functions[f.name] = f.function.json();
  j["aggregates"] = std::move(functions);
  if (config.having) j["having"] = config.having->json();
  order_limit_offset(j, config.order_by, config.limit, config.offset);
  return ReadQuery(std::move(j));
}

Insert::Insert(std::string table) : json_(Json{{"op", "insert"}, {"table", std::move(table)}}) {}
Insert Insert::values(Json row_or_rows) const {
  Insert c = *this;
  c.json_["values"] = std::move(row_or_rows);
  return c;
}
Insert Insert::returning() const {
  Insert c = *this;
  c.json_["returning"] = true;
  return c;
}
Insert Insert::returning(Columns columns) const {
  Insert c = *this;
  c.json_["returning"] = columns.json();
  return c;
}
Insert Insert::on_conflict_do_nothing(std::vector<std::string> target) const {
  Insert c = *this;
  c.json_["onConflict"] = Json{{"target", target}, {"do", "nothing"}};
  return c;
}
Insert Insert::on_conflict_do_update(std::vector<std::string> target, Json set) const {
  Insert c = *this;
  c.json_["onConflict"] = Json{{"target", target}, {"do", "update"}, {"set", std::move(set)}};
  return c;
}

Update::Update(std::string table) : json_(Json{{"op", "update"}, {"table", std::move(table)}}) {}
Update Update::set(Json assignments) const {
  Update c = *this;
  c.json_["set"] = std::move(assignments);
  return c;
}
Update Update::where(Filter f) const {
  Update c = *this;
  c.json_["where"] = f.json();
  return c;
}
Update Update::returning() const {
  Update c = *this;
  c.json_["returning"] = true;
  return c;
}
Update Update::returning(Columns columns) const {
  Update c = *this;
  c.json_["returning"] = columns.json();
  return c;
}

Delete::Delete(std::string table) : json_(Json{{"op", "delete"}, {"table", std::move(table)}}) {}
Delete Delete::where(Filter f) const {
  Delete c = *this;
  c.json_["where"] = f.json();
  return c;
}
Delete Delete::returning() const {
  Delete c = *this;
  c.json_["returning"] = true;
  return c;
}
Delete Delete::returning(Columns columns) const {
  Delete c = *this;
  c.json_["returning"] = columns.json();
  return c;
}

Mutation Db::transaction(std::vector<Mutation> ops) const {
  Json list = Json::array();
  for (const auto& op : ops) list.push_back(op.json());
  return Mutation(Json{{"op", "transaction"}, {"ops", std::move(list)}});
}

}  // namespace drizzle_convex
