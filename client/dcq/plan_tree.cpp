#include "client/dcq/plan_tree.hpp"

#include <vector>

#include "client/dcq/terminal_text.hpp"

namespace dcq {

namespace {

std::string text_of(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  return v.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string short_json(const Json& v, size_t max = 60) {
  std::string s = text_of(v);
  return s.size() > max ? s.substr(0, max - 1) + "…" : s;
}

// A plan filter in the query's words: `published = true and views > 100`.
std::string filter_text(const Json& f) {
  if (!f.is_object()) return short_json(f);
  if (f.contains("field") && f.contains("op") && f["op"].is_string()) {
    static const std::vector<std::pair<std::string, std::string>> symbols = {
        {"eq", "="}, {"ne", "≠"}, {"gt", ">"}, {"gte", "≥"}, {"lt", "<"}, {"lte", "≤"}};
    std::string op = f["op"].get<std::string>();
    for (const auto& [name, symbol] : symbols) {
      if (op == name) op = symbol;
    }
    std::string out = text_of(f["field"]) + " " + op;
    if (f.contains("value")) out += " " + short_json(f["value"], 40);
    return out;
  }
  for (const char* k : {"and", "or"}) {
    if (f.contains(k) && f[k].is_array()) {
      std::string out;
      for (const auto& c : f[k]) {
        if (!out.empty()) out += std::string(" ") + k + " ";
        out += filter_text(c);
      }
      return "(" + out + ")";
    }
  }
  if (f.contains("not")) return "not " + filter_text(f["not"]);
  for (const char* k : {"exists", "notExists"}) {
    if (f.contains(k)) {
      const Json& r = f[k];
      return std::string(k == std::string("exists") ? "exists " : "not exists ") + (r.is_object() ? text_of(r.value("relation", Json("?"))) : text_of(r));
    }
  }
  if (f.contains("const")) return text_of(f["const"]);
  return short_json(f);
}

// One access on one line.
std::string access_line(const Json& a) {
  std::string out = text_of(a.value("table", Json("?")));
  const Json& src = a.contains("source") ? a["source"] : Json::object();
  std::string type = src.is_object() ? text_of(src.value("type", Json("?"))) : "?";
  out += "  " + (type == "fullScan" ? std::string("full scan") : type);
  if (src.is_object() && src.contains("index") && type != "fullScan") out += " " + text_of(src["index"]);
  if (a.contains("lookupBy")) out += " by " + text_of(a["lookupBy"]);
  if (src.is_object() && src.contains("skipScan")) out += " (skip-scan on " + text_of(src["skipScan"]) + ")";
  if (src.is_object() && src.contains("ranges") && src["ranges"].is_array() && src["ranges"].size() > 1) {
    out += " (" + std::to_string(src["ranges"].size()) + " ranges)";
  }
  if (src.is_object() && src.contains("branches") && src["branches"].is_array()) {
    out += " of " + std::to_string(src["branches"].size()) + " branches";
  }
  if (a.contains("indexFilter") && a["indexFilter"].is_array() && !a["indexFilter"].empty()) {
    std::string served;
    for (const auto& c : a["indexFilter"]) {
      if (!served.empty()) served += " and ";
      served += filter_text(c);
    }
    out += " [" + served + "]";
  }
  if (a.contains("postFilter") && !a["postFilter"].is_null()) out += " · filter " + filter_text(a["postFilter"]);
  if (a.contains("order") && a["order"].is_object()) {
    const Json& o = a["order"];
    std::string source = text_of(o.value("source", Json("")));
    size_t requested = o.value("requestedKeys", 0u);
    if (requested > 0 && o.contains("keys") && o["keys"].is_array()) {
      std::string keys;
      for (size_t i = 0; i < requested && i < o["keys"].size(); ++i) {
        const Json& k = o["keys"][i];
        if (k.is_object() && k.contains("through")) {
          keys += std::string(keys.empty() ? "" : ", ") + "(related) " + text_of(k.value("field", Json("count"))) + " " +
                  text_of(k.value("direction", Json("")));
        } else if (k.is_object() && !k.empty()) {
          keys += std::string(keys.empty() ? "" : ", ") + k.begin().key() + " " + text_of(k.begin().value());
        }
      }
      std::string how = source == "sort" ? "sort" : source == "indexThenTies" ? "index, then ties sorted" : "index order";
      out += " · order " + keys + " (" + how + ")";
    }
  }
  if (a.contains("limit")) out += " · limit " + text_of(a["limit"]);
  if (a.contains("offset") && a["offset"] != 0) out += " · offset " + text_of(a["offset"]);
  if (a.contains("estimate") && a["estimate"].is_object() && a["estimate"].contains("rows") && !a["estimate"]["rows"].is_null()) {
    out += " · est " + text_of(a["estimate"]["rows"]) + " (" + text_of(a["estimate"].value("basis", Json("?"))) + ")";
  }
  if (a.contains("maxReads") && !a["maxReads"].is_null()) out += " · up to " + text_of(a["maxReads"]);  // null: unbounded (Convex)
  if (a.contains("actualReads")) out += " · read " + text_of(a["actualReads"]);
  return out;  // made terminal-safe where it is printed
}

// A line and the accesses it leads to.
struct Item {
  std::string line;
  std::vector<Item> kids;
};

Item node_item(const Json& n, const std::string& label);

// How a relation is read: its links (many-to-many), then its target.
void relation_items(const Json& r, const std::string& label, std::vector<Item>& out) {
  if (r.contains("junction") && r["junction"].is_object()) out.push_back({label + " (links): " + access_line(r["junction"]), {}});
  if (r.contains("target") && r["target"].is_object()) out.push_back(node_item(r["target"], label));
}

// EXISTS probes of a post-filter: each relation's target, read per row.
void probe_items(const Json& f, std::vector<Item>& out) {
  if (f.is_array()) {
    for (const auto& c : f) probe_items(c, out);
    return;
  }
  if (!f.is_object()) return;
  for (const char* k : {"exists", "notExists"}) {
    if (f.contains(k) && f[k].is_object()) relation_items(f[k], "probe " + text_of(f[k].value("relation", Json("?"))), out);
  }
  for (const char* k : {"and", "or", "not"}) {
    if (f.contains(k)) probe_items(f[k], out);
  }
}

Item node_item(const Json& n, const std::string& label) {
  const Json& a = n.contains("access") ? n["access"] : Json::object();
  Item item{(label.empty() ? "" : label + ": ") + access_line(a), {}};
  if (a.contains("drivenBy") && a["drivenBy"].is_object()) {
    const Json& d = a["drivenBy"];
    std::string rel = "driven by " + text_of(d.value("relation", Json("?")));
    if (d.contains("related") && d["related"].is_object()) item.kids.push_back(node_item(d["related"], rel));
    if (d.contains("junction") && d["junction"].is_object()) item.kids.push_back({rel + " (links): " + access_line(d["junction"]), {}});
  }
  if (a.contains("postFilter")) probe_items(a["postFilter"], item.kids);
  // Order keys read through relations: each step's accesses, per sorted row.
  if (a.contains("order") && a["order"].is_object() && a["order"].contains("keys") && a["order"]["keys"].is_array()) {
    for (const auto& k : a["order"]["keys"]) {
      if (!k.is_object() || !k.contains("through") || !k["through"].is_array()) continue;
      for (const auto& step : k["through"]) relation_items(step, "order via " + text_of(step.value("relation", Json("?"))), item.kids);
    }
  }
  if (n.contains("with") && n["with"].is_array()) {
    for (const auto& w : n["with"]) {
      std::string what = w.value("count", false) ? "count " : "with ";
      relation_items(w, what + text_of(w.value("relation", Json("?"))), item.kids);
    }
  }
  return item;
}

void print(const Item& item, const std::string& indent, bool last, bool root, std::string& out) {
  std::string line = terminal_safe(item.line);  // relation names come from the server too
  out += root ? line + "\n" : indent + (last ? "└─ " : "├─ ") + line + "\n";
  std::string inner = root ? "" : indent + (last ? "   " : "│  ");
  for (size_t i = 0; i < item.kids.size(); ++i) print(item.kids[i], inner, i + 1 == item.kids.size(), false, out);
}

}  // namespace

std::optional<std::string> render_plan_tree(const Json& plan) {
  if (!plan.is_object() || plan.value("kind", Json("")) != "read" || !plan.contains("root")) return std::nullopt;
  std::string head = text_of(plan.value("op", Json("read")));
  if (plan.contains("maxReads") && !plan["maxReads"].is_null()) head += ": up to " + text_of(plan["maxReads"]) + " documents";
  if (plan.contains("readBudget")) head += " (budget " + text_of(plan["readBudget"]) + ")";
  if (plan.contains("docsRead")) head += " · read " + text_of(plan["docsRead"]);
  std::string out = terminal_safe(head) + "\n";
  print(node_item(plan["root"], ""), "", true, true, out);
  if (plan.contains("group")) out += "then grouped: " + terminal_safe(short_json(plan["group"], 200)) + "\n";
  if (plan.contains("warnings") && plan["warnings"].is_array() && !plan["warnings"].empty()) {
    out += "warnings:\n";
    for (const auto& w : plan["warnings"]) out += "  " + terminal_safe(text_of(w)) + "\n";
  }
  return out;
}

}  // namespace dcq
