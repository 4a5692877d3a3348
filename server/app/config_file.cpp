#include "server/app/config_file.hpp"

#include <toml.hpp>

#include "server/app/config.hpp"

namespace dc {

namespace {

Error at(const std::string& path, const std::string& pointer, const std::string& message) {
  return Error{ErrorCode::invalid_query, path + ": " + pointer + ": " + message, pointer};
}

using Table = toml::value;

Status add(const std::string& path, const std::string& pointer, const std::string& flag, const Table& v,
           std::vector<ConfigSetting>& out) {
  ConfigSetting s{pointer, {}};
  if (flag == "--config" || flag == "--check-config" || flag == "--help") return at(path, pointer, "not an option of the file");
  if (v.is_boolean()) {
    if (!is_switch_flag(flag)) return at(path, pointer, "takes a value, not true/false");
    if (v.as_boolean()) s.flags = {flag};
  } else if (is_switch_flag(flag)) {
    return at(path, pointer, "is true or false");
  } else if (v.is_string()) {
    s.flags = {flag, v.as_string().str};
  } else if (v.is_integer()) {
    if (v.as_integer() < 0) return at(path, pointer, "takes a number from 0");
    s.flags = {flag, std::to_string(v.as_integer())};
  } else if (v.is_array()) {
    // A list (cors-origins): the flag's comma-separated form.
    std::string joined;
    for (const auto& item : v.as_array()) {
      if (!item.is_string()) return at(path, pointer, "a list here holds strings");
      joined += (joined.empty() ? "" : ",") + item.as_string().str;
    }
    s.flags = {flag, joined};
  } else {
    return at(path, pointer, "takes a string, a whole number, true/false or a list of strings");
  }
  out.push_back(std::move(s));
  return Ok{};
}

}  // namespace

Result<std::vector<ConfigSetting>> read_config_file(const std::string& path) {
  Table root;
  try {
    root = toml::parse(path);
  } catch (const toml::syntax_error& e) {
    return Error{ErrorCode::invalid_query, path + ": not valid TOML: " + std::string(e.what()), std::string()};
  } catch (const std::exception& e) {
    return Error{ErrorCode::invalid_query, path + ": cannot be read: " + std::string(e.what()), std::string()};
  }
  std::vector<ConfigSetting> out;
  for (const auto& [key, value] : root.as_table()) {
    if (value.is_table()) {
      for (const auto& [inner, v] : value.as_table()) {
        if (v.is_table()) return at(path, "/" + key + "/" + inner, "tables nest one level only");
        if (auto st = add(path, "/" + key + "/" + inner, "--" + key + "-" + inner, v, out); !st) return std::move(st).error();
      }
    } else if (auto st = add(path, "/" + key, "--" + key, value, out); !st) {
      return std::move(st).error();
    }
  }
  return out;
}

}  // namespace dc
