#include "client/dcq/table.hpp"

#include "client/dcq/terminal_text.hpp"
#include "drizzle_convex/value.hpp"

#include <algorithm>
#include <limits>
#include <vector>

namespace dcq {

namespace {

constexpr size_t kMaxCell = 40;

// UTF-8 aware enough for alignment: counts code points, not bytes.
size_t width(const std::string& s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string cell(const Json& v, size_t max_cell) {
  std::string s;
  if (auto n = drizzle_convex::as_int64(v))  // an int64 as people write it, not its encoding
    s = std::to_string(*n);
  else if (v.is_string())
    s = v.get<std::string>();
  else if (v.is_null())
    s = "null";
  else
    s = v.dump(-1, ' ', false, Json::error_handler_t::replace);
  s = terminal_safe(s);
  if (width(s) > max_cell) {
    size_t n = 0, i = 0;
    for (; i < s.size() && n < max_cell - 1; ++i)
      if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) ++n;
    while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) ++i;
    s = s.substr(0, i) + "…";
  }
  return s;
}

// The row `row` (at position r) was before: the one with its _id when rows
// carry ids (a row inserted at the top shifts the others, which did not
// change), else the one at the same position.
const Json* previous_row(const Json& row, size_t r, const Json* previous) {
  if (!previous || !previous->is_array()) return nullptr;
  if (row.is_object() && row.contains("_id")) {
    for (const auto& p : *previous) {
      if (p.is_object() && p.contains("_id") && p["_id"] == row["_id"]) return &p;
    }
    return nullptr;  // a new row: every cell is new
  }
  return r < previous->size() ? &(*previous)[r] : nullptr;
}

// Every column of `rows`, in the order first met.
std::vector<std::string> column_names(const Json& rows) {
  std::vector<std::string> columns;
  for (const auto& row : rows) {
    if (!row.is_object()) continue;
    for (const auto& [k, v] : row.items())
      if (std::find(columns.begin(), columns.end(), k) == columns.end()) columns.push_back(k);
  }
  return columns;
}

std::string rows_table(const Json& rows, const Json* previous, bool mark, size_t max_cell = kMaxCell) {
  std::vector<std::string> columns = column_names(rows);
  if (columns.empty()) return rows.empty() ? "(no rows)\n" : terminal_json(rows) + "\n";
  std::vector<std::vector<std::string>> cells;
  std::vector<std::vector<bool>> changed;
  std::vector<size_t> widths;
  std::vector<std::string> headers;  // the names as shown; `columns` keeps them for lookups
  for (const auto& c : columns) headers.push_back(terminal_safe(c));
  for (const auto& h : headers) widths.push_back(width(h));
  for (size_t r = 0; r < rows.size(); ++r) {
    const Json& row = rows[r];
    const Json* before = previous_row(row, r, previous);
    std::vector<std::string> line;
    std::vector<bool> marks;
    for (size_t i = 0; i < columns.size(); ++i) {
      bool present = row.is_object() && row.contains(columns[i]);
      std::string text = present ? cell(row[columns[i]], max_cell) : "";
      bool differs = false;
      if (mark && previous) {
        bool was = before && before->is_object() && before->contains(columns[i]);
        differs = was != present || (present && (*before)[columns[i]] != row[columns[i]]);
        if (differs) text += "*";
      }
      widths[i] = std::max(widths[i], width(text));
      line.push_back(std::move(text));
      marks.push_back(differs);
    }
    cells.push_back(std::move(line));
    changed.push_back(std::move(marks));
  }
  std::string out;
  auto pad = [](const std::string& s, size_t w) { return s + std::string(w - std::min(w, width(s)), ' '); };
  for (size_t i = 0; i < columns.size(); ++i) out += (i ? " │ " : "") + pad(headers[i], widths[i]);
  out += "\n";
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i) out += "─┼─";
    for (size_t k = 0; k < widths[i]; ++k) out += "─";
  }
  out += "\n";
  for (size_t r = 0; r < cells.size(); ++r) {
    for (size_t i = 0; i < columns.size(); ++i) {
      if (i) out += " │ ";
      if (changed[r][i]) out += "\x1b[7m";
      out += pad(cells[r][i], widths[i]);
      if (changed[r][i]) out += "\x1b[0m";
    }
    out += "\n";
  }
  out += "(" + std::to_string(rows.size()) + (rows.size() == 1 ? " row)\n" : " rows)\n");
  return out;
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string csv_value(const Json& v) {
  if (auto n = drizzle_convex::as_int64(v)) return std::to_string(*n);
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace

std::string render_csv(const Json& result) {
  Json rows = result.is_array() ? result
              : result.is_object() && result.contains("page") && result["page"].is_array() ? result["page"]
              : Json::array({result});
  std::vector<std::string> columns = column_names(rows);
  std::string out;
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i) out += ',';
    out += csv_field(columns[i]);
  }
  if (columns.empty()) out += "value";  // rows that are not objects: one column of them
  out += "\r\n";
  for (const auto& row : rows) {
    if (!row.is_object()) {
      out += csv_field(csv_value(row)) + "\r\n";
      continue;
    }
    for (size_t i = 0; i < columns.size(); ++i) {
      out += i ? "," : "";
      if (row.contains(columns[i])) out += csv_field(csv_value(row[columns[i]]));
    }
    out += "\r\n";
  }
  return out;
}

std::string render_rows_whole(const Json& rows) { return rows_table(rows, nullptr, false, std::numeric_limits<size_t>::max()); }

std::string render_table(const Json& result, const Json* previous, bool mark_changes) {
  if (result.is_array()) return rows_table(result, previous, mark_changes);
  if (result.is_object() && result.contains("page") && result["page"].is_array()) {
    const Json* before = previous && previous->is_object() && previous->contains("page") ? &(*previous)["page"] : nullptr;
    std::string out = rows_table(result["page"], before, mark_changes);
    // Whole, not cut to a cell's width: the next page needs every character.
    if (result.contains("continueCursor")) {
      const Json& c = result["continueCursor"];
      out += "continueCursor: " + (c.is_string() ? terminal_safe(c.get<std::string>()) : terminal_json(c)) + "\n";
    }
    if (result.contains("isDone")) out += "isDone: " + terminal_json(result["isDone"]) + "\n";
    return out;
  }
  if (result.is_object()) {
    Json one = Json::array({result});
    Json before;
    if (previous && previous->is_object()) before = Json::array({*previous});
    return rows_table(one, previous && previous->is_object() ? &before : nullptr, mark_changes);
  }
  return terminal_json(result) + "\n";
}

}  // namespace dcq
