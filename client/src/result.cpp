#include "drizzle_convex/result.hpp"

namespace drizzle_convex {

std::string Error::describe() const {
  std::string s = code;
  if (status) s += " (" + std::to_string(status) + ")";
  if (path && !path->empty()) s += " at " + *path;
  s += ": " + message;
  return s;
}

}  // namespace drizzle_convex
