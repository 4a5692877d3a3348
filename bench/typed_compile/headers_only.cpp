// The includes of typed_20.cpp and nothing else: what the headers cost.
#include "blog.hpp"
#include "drizzle_convex/client.hpp"

int run() { return 0; }
