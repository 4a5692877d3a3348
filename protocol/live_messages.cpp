#include "protocol/live_messages.hpp"

namespace dc::live {

Violation invalid_message() { return Violation{close_code::bad_request, "Invalid message received"}; }

namespace {

// A non-empty string `id`, or nullopt.
std::optional<std::string> message_id(const Json& m) {
  auto id = m.find("id");
  if (id == m.end() || !id->is_string() || id->get_ref<const std::string&>().empty()) return std::nullopt;
  return id->get<std::string>();
}

ClientMessage decode_subscribe(const Json& m, const ParseLimits& limits) {
  auto id = message_id(m);
  if (!id) return invalid_message();
  auto payload = m.find("payload");
  if (payload == m.end() || !payload->is_object()) return invalid_message();
  Subscribe s{std::move(*id)};
  auto q = payload->find("query");
  if (q != payload->end() && q->is_string() && !payload->contains("table")) {
    s.query = parse_json_body(q->get_ref<const std::string&>(), limits);
  } else {
    s.query = *payload;
  }
  return s;
}

}  // namespace

ClientMessage decode_client_message(std::string_view text, const ParseLimits& limits) {
  ParseLimits envelope = limits;
  envelope.max_json_depth += 1;  // the message object around the payload, which is the query
  auto parsed = parse_json_body(text, envelope);
  if (!parsed) return invalid_message();
  const Json& m = *parsed;
  if (!m.is_object()) return invalid_message();
  auto type_it = m.find("type");
  if (type_it == m.end() || !type_it->is_string()) return invalid_message();
  const std::string& type = type_it->get_ref<const std::string&>();
  if (type == "connection_init") {
    ConnectionInit init;
    auto payload = m.find("payload");
    if (payload != m.end() && payload->is_object()) {
      auto p = payload->find("patches");
      init.patches = p != payload->end() && p->is_boolean() && p->get<bool>();
      auto t = payload->find("token");
      if (t != payload->end() && t->is_string()) init.token = t->get<std::string>();
      else if (t != payload->end() && !t->is_null()) init.token_malformed = true;
    } else if (payload != m.end() && !payload->is_null()) {
      init.token_malformed = true;  // a payload that is not an object cannot be read as "no credentials"
    }
    return init;
  }
  if (type == "ping") return Ping{};
  if (type == "pong") return Pong{};
  if (type == "subscribe") return decode_subscribe(m, limits);
  if (type == "complete") {
    auto id = message_id(m);
    if (!id) return invalid_message();
    return Complete{std::move(*id)};
  }
  return invalid_message();
}

std::string encode_connection_ack() { return R"({"type":"connection_ack"})"; }
std::string encode_pong() { return R"({"type":"pong"})"; }

std::string encode_complete(std::string_view id) {
  std::string out = R"({"type":"complete","id":)";
  write_json_string(id, out);
  out += '}';
  return out;
}

std::string encode_error(std::string_view id, std::string_view errors_json) {
  std::string out = R"({"type":"error","id":)";
  write_json_string(id, out);
  out += R"(,"payload":)";
  out += errors_json;
  out += '}';
  return out;
}

std::string encode_next_head(std::string_view id, uint64_t version, bool patch) {
  std::string out = R"({"type":"next","id":)";
  write_json_string(id, out);
  out += R"(,"payload":{"version":)";
  out += std::to_string(version);
  out += patch ? R"(,"patch":)" : R"(,"data":)";
  return out;
}

std::string_view next_tail() { return "}}"; }

std::string encode_next_data(std::string_view id, uint64_t version, std::string_view data_json) {
  std::string out = encode_next_head(id, version, false);
  out += data_json;
  out += next_tail();
  return out;
}

}  // namespace dc::live
