// What the fuzz targets share: the conformance fixtures (blog, org) on an
// embedded engine behind the real request pipeline, so an input travels the
// path a request takes: JSON reading, parsing, binding, planning, running
// and serializing. Everything runs inline on the calling thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "server/backend/embedded/embedded_backend.hpp"
#include "server/pipeline/pipeline.hpp"

namespace dc::fuzz {

enum class Fixture { blog, org };

struct Server {
  std::shared_ptr<EmbeddedBackend> backend;
  std::shared_ptr<Pipeline> pipeline;
  // Answers one call; the answer (or error) is checked to be one JSON text.
  void call(std::string_view method, std::string_view path, std::string_view body);
};

// One per fixture, built once; reads never change it.
Server& shared_server(Fixture fixture);
// A fresh one, for inputs that write.
Server fresh_server(Fixture fixture);

}  // namespace dc::fuzz
