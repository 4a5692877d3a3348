// `dcq codegen`: a schema (protocol.md section 8) as one C++ header of
// row structs, insert structs, enums, column and relation descriptors and
// codecs, for the typed API of drizzle_convex/typed.hpp.
#pragma once

#include <string>

#include "server/schema/model.hpp"

namespace dcq {

struct CodegenOptions {
  std::string namespace_name = "schema";  // the C++ namespace of everything generated
  std::string source;                     // named in the header's first line
};

// Deterministic: the same schema gives the same text, byte for byte.
std::string generate_header(const dc::Schema& schema, const CodegenOptions& options);

// The schema as a TypeScript module exporting `schema` for drizzle-convex-client.
std::string generate_ts_module(const dc::Schema& schema, const std::string& source);

// A C++ identifier for a schema name: other characters become '_', a
// leading digit or a keyword gets one more '_'.
std::string cpp_identifier(const std::string& raw);

}  // namespace dcq
