// The plan format read back: every golden plan is parsed and written again
// by the tests, so the JSON both runners share holds the whole plan. A
// malformed plan is an error naming the JSON Pointer of the part at fault.
#include "server/planner/plan_from_json.hpp"

#include <functional>

#include "protocol/value_json.hpp"
#include "server/planner/plan_walk.hpp"

namespace dc {

namespace {

struct Bad {
  std::string message;
  std::string path;
};

class Reader {
 public:
  explicit Reader(const Schema& schema) : schema_(schema) {}

  ReadPlan plan(const Json& j) {
    ReadPlan p;
    p.version = need(j, "planVersion", "").get<int>();
    if (p.version != kPlanVersion) fail("plan version " + std::to_string(p.version) + ", this build reads " + std::to_string(kPlanVersion), "/planVersion");
    if (text(j, "kind", "") != "read") fail("not a read plan", "/kind");
    p.op = read_op(text(j, "op", ""));
    p.root = node(need(j, "root", ""), "/root");
    if (p.op == ReadOp::aggregate) p.group = group(need(j, "group", ""), p.root.access.table);
    if (j.contains("numItems")) p.num_items = j["numItems"].get<int64_t>();
    if (j.contains("after") && !j["after"].is_null()) p.after = values(j["after"], "/after");
    p.fingerprint = j.value("fingerprint", "");
    p.analyze = j.value("analyze", false);
    p.budget = need(j, "readBudget", "").get<uint64_t>();
    const Json& ab = need(j, "answerBudget", "");
    p.answer_rows = need(ab, "rows", "/answerBudget").get<uint64_t>();
    p.answer_bytes = need(ab, "bytes", "/answerBudget").get<uint64_t>();
    p.max_reads = count(j["maxReads"]);
    for (const auto& w : need(j, "warnings", "")) p.warnings.push_back(w.get<std::string>());
    walk_accesses(std::as_const(p.root), [&](const TableAccess&, AccessRole) { ++p.accesses; });
    return p;
  }

 private:
  [[noreturn]] static void fail(std::string message, std::string path) { throw Bad{std::move(message), std::move(path)}; }

  static const Json& need(const Json& j, const char* key, const std::string& path) {
    if (!j.is_object() || !j.contains(key)) fail(std::string("missing \"") + key + "\"", path);
    return j[key];
  }
  static std::string text(const Json& j, const char* key, const std::string& path) {
    const Json& v = need(j, key, path);
    if (!v.is_string()) fail(std::string("\"") + key + "\" is not a string", path + "/" + key);
    return v.get<std::string>();
  }
  static uint64_t count(const Json& v) { return v.is_null() ? kUnbounded : v.get<uint64_t>(); }
  static FieldList fields(const Json& v) {
    if (v.is_string()) return {v.get<std::string>()};
    return v.get<FieldList>();
  }

  static ReadOp read_op(const std::string& name) {
    for (ReadOp op : {ReadOp::find_many, ReadOp::find_first, ReadOp::paginate, ReadOp::count, ReadOp::aggregate}) {
      if (read_op_name(op) == name) return op;
    }
    fail("unknown op '" + name + "'", "/op");
  }

  static std::vector<Value> values(const Json& arr, const std::string& path) {
    std::vector<Value> out;
    for (size_t i = 0; i < arr.size(); ++i) {
      const Json& e = arr[i];
      if (e.is_object() && e.size() == 1 && e.contains("$undefined")) {
        out.emplace_back();  // a missing field
        continue;
      }
      auto v = value_from_json(e, path + "/" + std::to_string(i));
      if (!v) fail(v.error().message, v.error().path.value_or(path));
      out.push_back(std::move(v).value());
    }
    return out;
  }

  ReadNode node(const Json& j, const std::string& path) {
    ReadNode n;
    n.access = access(need(j, "access", path), path + "/access");
    if (j.contains("columns")) {
      const Json& c = j["columns"];
      n.columns.mode = c.contains("include") ? ColumnSelection::Mode::include : ColumnSelection::Mode::exclude;
      n.columns.fields = c.contains("include") ? c["include"].get<FieldList>() : need(c, "exclude", path + "/columns").get<FieldList>();
    }
    if (j.contains("with")) {
      for (size_t i = 0; i < j["with"].size(); ++i) n.with.push_back(relation(j["with"][i], path + "/with/" + std::to_string(i)));
    }
    return n;
  }

  RelationStep relation(const Json& j, const std::string& path) {
    RelationStep s;
    s.name = text(j, "relation", path);
    s.many = text(j, "cardinality", path) == "many";
    s.required = j.value("required", false);
    s.count = j.value("count", false);
    s.parent_fields = fields(need(j, "parentField", path));
    if (j.contains("junction")) s.junction = access(j["junction"], path + "/junction");
    if (j.contains("junctionTargetField")) s.through_to = fields(j["junctionTargetField"]);
    s.node = node(need(j, "target", path), path + "/target");
    return s;
  }

  Bound bound(const Json& j, const std::string& path) {
    return Bound{values(need(j, "key", path), path + "/key"), need(j, "inclusive", path).get<bool>()};
  }

  Source source(const Json& j, const std::string& path) {
    Source s;
    std::string type = text(j, "type", path);
    if (type == "get") {
      s.kind = Source::Kind::get;
      if (j.contains("ids")) s.ids = values(j["ids"], path + "/ids");
    } else if (type == "index" || type == "fullScan") {
      s.kind = type == "index" ? Source::Kind::index : Source::Kind::full_scan;
      s.index = text(j, "index", path);
      s.index_fields = need(j, "indexFields", path).get<std::vector<std::string>>();
      if (j.contains("ranges")) {
        for (size_t i = 0; i < j["ranges"].size(); ++i) {
          const Json& r = j["ranges"][i];
          std::string rp = path + "/ranges/" + std::to_string(i);
          Interval iv;
          if (r.contains("lower")) iv.lower = bound(r["lower"], rp + "/lower");
          if (r.contains("upper")) iv.upper = bound(r["upper"], rp + "/upper");
          s.intervals.push_back(std::move(iv));
        }
      }
      s.skip_field = j.value("skipScan", "");
      s.skip_observed = j.value("skipValues", "") == "observed";
      s.ranges_in_order = j.value("rangesInOrder", false);
      s.descending = text(j, "order", path) == "desc";
    } else if (type == "search") {
      s.kind = Source::Kind::search;
      s.index = text(j, "index", path);
      s.search_field = text(j, "searchField", path);
      s.search_query = text(j, "query", path);
      for (const auto& [k, v] : need(j, "filters", path).items()) {
        auto value = value_from_json(v, path + "/filters");
        if (!value) fail(value.error().message, path + "/filters");
        s.search_filters.emplace_back(k, std::move(value).value());
      }
    } else if (type == "empty") {
      s.kind = Source::Kind::empty;
    } else if (type == "union") {
      s.kind = Source::Kind::union_;
      const Json& b = need(j, "branches", path);
      for (size_t i = 0; i < b.size(); ++i) s.branches.push_back(source(b[i], path + "/branches/" + std::to_string(i)));
    } else {
      fail("unknown source type '" + type + "'", path + "/type");
    }
    return s;
  }

  PlanFilter filter(const Json& j, const std::string& table, const std::string& path) {
    PlanFilter f;
    if (!j.is_object() || j.empty()) fail("a filter is an object", path);
    if (j.contains("const")) {
      f.kind = PlanFilter::Kind::constant;
      f.constant = j["const"].get<bool>();
    } else if (j.contains("and") || j.contains("or")) {
      f.kind = j.contains("and") ? PlanFilter::Kind::and_ : PlanFilter::Kind::or_;
      const Json& c = j.contains("and") ? j["and"] : j["or"];
      for (size_t i = 0; i < c.size(); ++i) f.children.push_back(filter(c[i], table, path + "/" + std::to_string(i)));
    } else if (j.contains("not")) {
      f.kind = PlanFilter::Kind::not_;
      f.children.push_back(filter(j["not"], table, path + "/not"));
    } else if (j.contains("exists") || j.contains("notExists")) {
      f.kind = PlanFilter::Kind::exists;
      f.negate = j.contains("notExists");
      const Json& r = f.negate ? j["notExists"] : j["exists"];
      std::string name = r.is_string() ? r.get<std::string>() : text(r, "relation", path);
      f.relation_def = schema_.relation(table, name);
      if (!f.relation_def) fail("no relation '" + name + "' on '" + table + "'", path);
      if (!r.is_string()) f.relation = PlanBox<RelationStep>(relation(r, path + (f.negate ? "/notExists" : "/exists")));
    } else {
      f.kind = PlanFilter::Kind::cmp;
      f.field = text(j, "field", path);
      auto op = op_from_name(text(j, "op", path));
      if (!op) fail("unknown operator", path + "/op");
      f.op = *op;
      if (j.contains("value")) {
        auto v = value_from_json(j["value"], path + "/value");
        if (!v) fail(v.error().message, path + "/value");
        f.arg = std::move(v).value();
      }
    }
    return f;
  }

  GroupPlan group(const Json& j, const std::string& table) {
    GroupPlan g;
    g.group_by = need(j, "by", "/group").get<std::vector<std::string>>();
    const Json& terms = need(j, "aggregates", "/group");
    for (size_t i = 0; i < terms.size(); ++i) {
      const Json& t = terms[i];
      std::string path = "/group/aggregates/" + std::to_string(i);
      AggregateTerm term{text(t, "name", path), AggregateFn::count, t.value("field", ""), t.value("int64", false), t.value("path", "")};
      std::string fn = text(t, "fn", path);
      bool known = false;
      for (auto f : {AggregateFn::count, AggregateFn::count_distinct, AggregateFn::sum, AggregateFn::avg, AggregateFn::min, AggregateFn::max}) {
        if (aggregate_fn_name(f) == fn) term.fn = f, known = true;
      }
      if (!known) fail("unknown function '" + fn + "'", path + "/fn");
      g.terms.push_back(std::move(term));
    }
    // `having` binds against the group rows, not a table: no relation in it resolves.
    if (!need(j, "having", "/group").is_null()) g.having = filter(j["having"], table + " groups", "/group/having");
    for (const auto& k : need(j, "order", "/group")) g.order.push_back(OrderKey{k.begin().key(), k.begin().value() == "desc", ""});
    if (!need(j, "limit", "/group").is_null()) g.limit = j["limit"].get<int64_t>();
    g.offset = need(j, "offset", "/group").get<int64_t>();
    return g;
  }

  OrderKey order_key(const Json& k, PlanBox<OrderPath>& through) {
    OrderKey key;
    if (!k.contains("through")) {
      key.field = k.begin().key();
      key.descending = k.begin().value() == "desc";
      return key;
    }
    key.field = k.value("field", "");
    key.descending = k.value("direction", "asc") == "desc";
    std::string aggregate = k.value("aggregate", "");
    for (OrderAggregate a : {OrderAggregate::count, OrderAggregate::min, OrderAggregate::max, OrderAggregate::avg,
                             OrderAggregate::first}) {
      if (aggregate_name(a) == aggregate) key.aggregate = a;
    }
    OrderPath path;
    for (const auto& step : k["through"]) {
      path.steps.push_back(relation(step, "/order"));
      key.via.push_back(path.steps.back().name);
    }
    through = PlanBox<OrderPath>(std::move(path));
    return key;
  }

  AccessEstimate estimate(const Json& j) {
    AccessEstimate e;
    if (!j.is_object()) return e;  // explain's "(hidden)"
    e.rows = count(j["rows"]);
    std::string basis = j.value("basis", "guessed");
    e.basis = basis == "counted" ? AccessEstimate::Basis::counted
              : basis == "driven" ? AccessEstimate::Basis::driven
                                  : AccessEstimate::Basis::guessed;
    e.chosen_by_rows = j.value("chosenBy", "score") == "rows";
    for (const auto& alt : j.value("alternatives", Json::array())) {
      std::optional<uint64_t> rows;
      if (!alt["rows"].is_null()) rows = alt["rows"].get<uint64_t>();
      e.alternatives.push_back({alt["index"].get<std::string>(), rows});
    }
    return e;
  }

  TableAccess access(const Json& j, const std::string& path) {
    TableAccess a;
    a.id = need(j, "id", path).get<uint32_t>();
    a.table = text(j, "table", path);
    if (!schema_.table(a.table)) fail("unknown table '" + a.table + "'", path + "/table");
    if (j.contains("lookupBy")) a.key_fields = fields(j["lookupBy"]);
    a.source = source(need(j, "source", path), path + "/source");
    const Json& served = need(j, "indexFilter", path);
    for (size_t i = 0; i < served.size(); ++i) a.served.push_back(filter(served[i], a.table, path + "/indexFilter/" + std::to_string(i)));
    if (!need(j, "postFilter", path).is_null()) a.post_filter = filter(j["postFilter"], a.table, path + "/postFilter");
    const Json& order = need(j, "order", path);
    std::string source = text(order, "source", path + "/order");
    for (OrderSource s : {OrderSource::none, OrderSource::index, OrderSource::index_ties, OrderSource::sort}) {
      if (order_source_name(s) == source) a.order_source = s;
    }
    const Json& keys = need(order, "keys", path + "/order");
    for (size_t i = 0; i < keys.size(); ++i) {
      PlanBox<OrderPath> through;
      a.order.push_back(order_key(keys[i], through));
      if (through) {
        a.order_paths.resize(i + 1);
        a.order_paths[i] = std::move(through);
      }
    }
    a.user_order_keys = need(order, "requestedKeys", path + "/order").get<size_t>();
    a.index_order_keys = order.value("tieKeys", size_t{0});
    if (j.contains("drivenBy")) {
      const Json& d = j["drivenBy"];
      Driver driver;
      driver.relation = text(d, "relation", path + "/drivenBy");
      driver.related = node(need(d, "related", path + "/drivenBy"), path + "/drivenBy/related");
      driver.related_fields = fields(need(d, "relatedField", path + "/drivenBy"));
      if (d.contains("junction")) driver.junction = access(d["junction"], path + "/drivenBy/junction");
      if (d.contains("junctionField")) driver.junction_fields = fields(d["junctionField"]);
      driver.estimated_reads = count(d["estimate"]["driven"]);
      driver.estimated_scan = count(d["estimate"]["scan"]);
      a.driver = PlanBox<Driver>(std::move(driver));
    }
    if (j.contains("limit")) a.limit = j["limit"].get<int64_t>();
    a.offset = j.value("offset", int64_t{0});
    a.at_most_one_per_range = j.value("unique", false);
    a.max_reads = count(need(j, "maxReads", path));
    if (j.contains("estimate")) a.estimate = estimate(j["estimate"]);
    a.path = j.value("requestPath", "");
    return a;
  }

  const Schema& schema_;
};

}  // namespace

Result<ReadPlan> read_plan_from_json(const Json& j, const Schema& schema) {
  try {
    return Reader(schema).plan(j);
  } catch (const Bad& b) {
    return Error::query("plan: " + b.message, b.path);
  } catch (const Json::exception& e) {
    return Error::query(std::string("plan: ") + e.what(), "");
  }
}

}  // namespace dc
