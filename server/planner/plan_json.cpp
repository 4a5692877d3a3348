#include "server/planner/plan_json.hpp"

#include "server/schema/schema_json.hpp"

namespace dc {

std::string_view order_source_name(OrderSource s) {
  switch (s) {
    case OrderSource::none: return "accessPath";
    case OrderSource::index: return "index";
    case OrderSource::index_ties: return "indexThenTies";
    case OrderSource::sort: return "sort";
  }
  return "?";
}

std::string_view source_kind_name(Source::Kind k) {
  switch (k) {
    case Source::Kind::get: return "get";
    case Source::Kind::index: return "index";
    case Source::Kind::full_scan: return "fullScan";
    case Source::Kind::search: return "search";
    case Source::Kind::empty: return "empty";
    case Source::Kind::union_: return "union";
  }
  return "?";
}

namespace {

// Missing (undefined) keys appear in cursors; they are not null.
Json values_json(const std::vector<Value>& vs) {
  Json a = Json::array();
  for (const auto& v : vs) a.push_back(v.is_undefined() ? Json{{"$undefined", nullptr}} : to_json(v));
  return a;
}

Json bound_json(const Bound& b) { return Json{{"key", values_json(b.key)}, {"inclusive", b.inclusive}}; }

Json access_json(const TableAccess& a, const ActualReads* actual);

Json relation_json(const RelationStep& s, const ActualReads* actual) {
  Json j = Json::object();
  j["relation"] = s.name;
  j["cardinality"] = s.many ? "many" : "one";
  if (s.required) j["required"] = true;
  if (s.count) j["count"] = true;
  j["parentField"] = fields_json(s.parent_fields);
  if (s.junction) {
    j["junction"] = access_json(*s.junction, actual);
    j["junctionTargetField"] = fields_json(s.through_to);
  }
  j["target"] = plan_node_to_json(s.node, actual);
  return j;
}

// `lookup`: rows are found per parent key (a get then takes its ids from the parents).
Json source_json(const Source& source, bool lookup) {
  Json src = Json::object();
  src["type"] = source_kind_name(source.kind);
  switch (source.kind) {
    case Source::Kind::get:
      if (!lookup) src["ids"] = values_json(source.ids);
      break;
    case Source::Kind::index:
    case Source::Kind::full_scan: {
      src["index"] = source.index;
      src["indexFields"] = source.index_fields;
      Json ivs = Json::array();
      for (const auto& iv : source.intervals) {
        Json r = Json::object();
        if (iv.lower) r["lower"] = bound_json(*iv.lower);
        if (iv.upper) r["upper"] = bound_json(*iv.upper);
        ivs.push_back(std::move(r));
      }
      if (source.kind == Source::Kind::index) src["ranges"] = std::move(ivs);
      if (!source.skip_field.empty()) src["skipScan"] = source.skip_field;  // for explain; the ranges say it all
      if (source.skip_observed) src["skipValues"] = "observed";  // the engine re-reads them when it runs
      if (source.ranges_in_order) src["rangesInOrder"] = true;  // read in sequence, one early stop, no merge
      src["order"] = source.descending ? "desc" : "asc";
      break;
    }
    case Source::Kind::search: {
      src["index"] = source.index;
      src["searchField"] = source.search_field;
      src["query"] = source.search_query;
      Json f = Json::object();
      for (const auto& [k, v] : source.search_filters) f[k] = to_json(v);
      src["filters"] = std::move(f);
      break;
    }
    case Source::Kind::empty: break;
    case Source::Kind::union_: {
      Json branches = Json::array();
      for (const auto& b : source.branches) branches.push_back(source_json(b, false));
      src["branches"] = std::move(branches);
      break;
    }
  }
  return src;
}

Json access_json(const TableAccess& a, const ActualReads* actual) {
  Json j = Json::object();
  j["id"] = a.id;
  j["table"] = a.table;
  if (!a.key_fields.empty()) j["lookupBy"] = fields_json(a.key_fields);
  j["source"] = source_json(a.source, !a.key_fields.empty());
  Json served = Json::array();
  for (const auto& f : a.served) served.push_back(filter_to_json(f, actual));
  j["indexFilter"] = std::move(served);
  j["postFilter"] = a.post_filter ? filter_to_json(*a.post_filter, actual) : Json(nullptr);
  Json order = Json::array();
  for (size_t i = 0; i < a.order.size(); ++i) {
    const OrderKey& k = a.order[i];
    const char* dir = k.descending ? "desc" : "asc";
    if (i >= a.order_paths.size() || !a.order_paths[i]) {
      order.push_back(Json{{k.field, dir}});
      continue;
    }
    // Read through relations: `through` holds one lookup per relation (an array
    // where a plain key holds a direction string, so the two never mix up).
    Json through = Json::array();
    for (const auto& step : a.order_paths[i]->steps) through.push_back(relation_json(step, actual));
    Json key{{"through", std::move(through)}, {"direction", dir}};
    if (!k.field.empty()) key["field"] = k.field;
    if (k.aggregate != OrderAggregate::none) key["aggregate"] = aggregate_name(k.aggregate);
    order.push_back(std::move(key));
  }
  j["order"] = Json{{"source", order_source_name(a.order_source)}, {"keys", std::move(order)},
                    {"requestedKeys", a.user_order_keys}};
  if (a.order_source == OrderSource::index_ties) j["order"]["tieKeys"] = a.index_order_keys;
  if (a.driver) {
    // Read first: the related rows, then (many-to-many) their links; their keys look this access up.
    const Driver& d = *a.driver;
    Json dj{{"relation", d.relation}, {"related", plan_node_to_json(d.related, actual)}, {"relatedField", fields_json(d.related_fields)}};
    if (d.junction) {
      dj["junction"] = access_json(*d.junction, actual);
      dj["junctionField"] = fields_json(d.junction_fields);
    }
    auto number = [](uint64_t n) { return n == kUnbounded ? Json(nullptr) : Json(n); };
    dj["estimate"] = Json{{"driven", number(d.estimated_reads)}, {"scan", number(d.estimated_scan)}};
    j["drivenBy"] = std::move(dj);
  }
  if (a.limit) j["limit"] = *a.limit;
  if (a.offset) j["offset"] = a.offset;
  if (a.at_most_one_per_range) j["unique"] = true;
  j["maxReads"] = a.max_reads == kUnbounded ? Json(nullptr) : Json(a.max_reads);
  j["estimate"] = estimate_json(a.estimate);
  if (actual) j["actualReads"] = a.id < actual->size() ? (*actual)[a.id] : 0;
  // A backend that enforces the budget while running names this request part when it fails.
  j["requestPath"] = a.path.empty() ? "/where" : a.path;
  return j;
}

}  // namespace

Json estimate_json(const AccessEstimate& e) {
  auto number = [](std::optional<uint64_t> n) { return !n || *n == kUnbounded ? Json(nullptr) : Json(*n); };
  const char* basis = e.basis == AccessEstimate::Basis::counted ? "counted"
                      : e.basis == AccessEstimate::Basis::driven ? "driven"
                                                                 : "guessed";
  Json alternatives = Json::array();
  for (const auto& alt : e.alternatives) alternatives.push_back(Json{{"index", alt.index}, {"rows", number(alt.rows)}});
  return Json{{"rows", number(e.rows)}, {"basis", basis}, {"chosenBy", e.chosen_by_rows ? "rows" : "score"},
              {"alternatives", std::move(alternatives)}};
}

Json filter_to_json(const PlanFilter& f, const ActualReads* actual) {
  switch (f.kind) {
    case PlanFilter::Kind::constant: return Json{{"const", f.constant}};
    case PlanFilter::Kind::and_:
    case PlanFilter::Kind::or_: {
      Json a = Json::array();
      for (const auto& c : f.children) a.push_back(filter_to_json(c, actual));
      return Json{{f.kind == PlanFilter::Kind::and_ ? "and" : "or", std::move(a)}};
    }
    case PlanFilter::Kind::not_: return Json{{"not", filter_to_json(f.children[0], actual)}};
    case PlanFilter::Kind::cmp: {
      Json j{{"field", f.field}, {"op", op_name(f.op)}};
      if (f.op != CmpOp::is_null && f.op != CmpOp::is_not_null) j["value"] = to_json(f.arg);
      return j;
    }
    case PlanFilter::Kind::exists: {
      Json j{{f.negate ? "notExists" : "exists", f.relation ? relation_json(*f.relation, actual) : Json(f.relation_def->name)}};
      return j;
    }
  }
  return nullptr;
}

Json plan_node_to_json(const ReadNode& n, const ActualReads* actual) {
  Json j = Json::object();
  j["access"] = access_json(n.access, actual);
  if (n.columns.mode != ColumnSelection::Mode::all) {
    j["columns"] = Json{{n.columns.mode == ColumnSelection::Mode::include ? "include" : "exclude", n.columns.fields}};
  }
  if (!n.with.empty()) {
    Json w = Json::array();
    for (const auto& s : n.with) w.push_back(relation_json(s, actual));
    j["with"] = std::move(w);
  }
  return j;
}

// An aggregate's groups: run by the backend over the root's rows.
Json group_json(const GroupPlan& g, const ActualReads* actual) {
  Json terms = Json::array();
  for (const auto& t : g.terms) {
    Json term{{"name", t.name}, {"fn", aggregate_fn_name(t.fn)}};
    if (!t.field.empty()) term["field"] = t.field;
    if (t.int64) term["int64"] = true;
    term["path"] = t.path;  // where a runner reports an overflowing sum
    terms.push_back(std::move(term));
  }
  Json order = Json::array();
  for (const auto& k : g.order) order.push_back(Json{{k.field, k.descending ? "desc" : "asc"}});
  return Json{{"by", g.group_by},
              {"aggregates", std::move(terms)},
              {"having", g.having ? filter_to_json(*g.having, actual) : Json(nullptr)},
              {"order", std::move(order)},
              {"limit", g.limit ? Json(*g.limit) : Json(nullptr)},
              {"offset", g.offset}};
}

Json plan_to_json(const ReadPlan& p, const ActualReads* actual) {
  Json j = Json::object();
  j["planVersion"] = p.version;
  j["kind"] = "read";
  j["op"] = read_op_name(p.op);
  j["root"] = plan_node_to_json(p.root, actual);
  if (p.op == ReadOp::aggregate) j["group"] = group_json(p.group, actual);
  if (p.op == ReadOp::paginate) {
    j["numItems"] = p.num_items;
    j["after"] = p.after ? values_json(*p.after) : Json(nullptr);
    j["fingerprint"] = p.fingerprint;  // a backend encodes the next cursor with it
  }
  if (p.analyze) j["analyze"] = true;
  j["readBudget"] = p.budget;
  j["answerBudget"] = {{"rows", p.answer_rows}, {"bytes", p.answer_bytes}};
  j["maxReads"] = p.max_reads == kUnbounded ? Json(nullptr) : Json(p.max_reads);
  j["warnings"] = p.warnings;
  return j;
}

}  // namespace dc
