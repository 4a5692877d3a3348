// The release and the plan version both runners speak (docs/plan-format.md):
// printed by `--version`, carried by /healthz, dc_build_info and the
// Convex-Client header. The adapter's PLAN_VERSION (adapter/src/plan.ts) must equal kPlanVersion.
#pragma once

namespace dc {

inline constexpr const char* kVersion = "0.1.0";
inline constexpr int kPlanVersion = 5;

}  // namespace dc
