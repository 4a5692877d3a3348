// drizzle-convex's adapter: three internal functions the proxy calls with the
// deployment's deploy key. Add to your Convex project (convex/drizzle.ts):
//
//   import schema from "./schema";
//   import { defineAdapter } from "drizzle-convex-adapter";
//   export const { execute, mutate, describe } = defineAdapter(schema);
//
// The proxy then calls "drizzle:execute", "drizzle:mutate" and
// "drizzle:describe" (its --convex-module flag names another module).
import { internalMutationGeneric, internalQueryGeneric, type SchemaDefinition } from "convex/server";
import { v } from "convex/values";
import { PlanError, reported } from "./errors.js";
import { PLAN_VERSION, type MutationPlan, type Plan, type ReadPlan } from "./plan.js";
import { Reader } from "./read.js";
import { ValueCounter } from "./value_counts.js";
import { Writer, type IndexDefs, type OptionalFields } from "./write.js";
import { describeSchema, tableExports, type AdapterExtras } from "./describe.js";
import type { Relations } from "./relations.js";

export { compare } from "./values.js";
export { likeMatch } from "./filter.js";
export { PLAN_VERSION } from "./plan.js";
export type * from "./plan.js";

export * from "./columns.js";
export { convexTable, index, uniqueIndex, type ConvexTable, type InferInsert, type InferSelect } from "./table.js";
export { defineRelations, type Relations, type RelationOptions } from "./relations.js";
export type { AdapterExtras, FieldExtras } from "./describe.js";

// A plan of another version is refused, never half-understood; `describe`
// reports the version (plan.ts) so that the proxy stays unready until the two match.
function checkedPlan<P extends Plan>(text: string, kind: P["kind"]): P {
  const plan = JSON.parse(text);
  if (plan.planVersion !== PLAN_VERSION) {
    throw new PlanError(
      "UPSTREAM_ERROR",
      `this adapter runs plan version ${PLAN_VERSION} and was sent version ${JSON.stringify(plan.planVersion ?? null)}: deploy the adapter from the proxy's own release`,
      null,
    );
  }
  if (plan.kind !== kind) throw new PlanError("UPSTREAM_ERROR", `expected a ${kind} plan, was sent ${JSON.stringify(plan.kind ?? null)}`, null);
  return plan as P;
}

// Plans arrive as JSON text: plan values use Convex's encoding, and plan keys
// such as "$unset" are not valid Convex object fields.
const planArgs = { plan: v.string() };

// `extras`: what a `v.*` schema cannot say (AdapterExtras), or the result of
// defineRelations; builder tables (convexTable) bring their own defaults,
// uniques and references.
export function defineAdapter(schema: SchemaDefinition<any, boolean>, extras: AdapterExtras | Relations = {}) {
  const tables = tableExports(schema);
  // Built once, at deploy time: a mistake in the extras fails the push, not the first call.
  const described = JSON.stringify({ planVersion: PLAN_VERSION, ...describeSchema(schema, extras, tables) });
  const indexes: IndexDefs = new Map(
    tables.map((t) => [t.name, t.indexes.map((i: any) => ({ name: i.indexDescriptor, fields: i.fields }))]),
  );
  const optional: OptionalFields = new Map(
    tables.map((t) => {
      const fields = t.documentType?.type === "object" ? Object.entries(t.documentType.value) : [];
      return [t.name, new Set(fields.filter(([, f]: [string, any]) => f.optional).map(([k]) => k))];
    }),
  );

  const execute = internalQueryGeneric({
    args: planArgs,
    handler: (ctx, args) =>
      reported(async () => {
        const plan = checkedPlan<ReadPlan>(args.plan, "read");
        const reader = new Reader(ctx.db, plan.readBudget ?? 32000);
        const root = plan.root.access;
        // A whole-table read: count the values of the fields that lead its indexes on the way.
        const whole = root.source.type === "fullScan" && !root.drivenBy && root.limit === undefined && plan.op !== "paginate";
        if (plan.reportReads && whole) {
          reader.rootValues = new ValueCounter([...new Set((indexes.get(root.table) ?? []).map((i) => i.fields[0]).filter(Boolean))]);
        }
        const data = await reader.run(plan);
        // Reads per access only for explain's "analyze" and for plans the
        // proxy learns table sizes from ("reportReads"): live answers stay small.
        if (reader.rootValues) return { data, docsRead: reader.docsRead(), readsByAccess: reader.readsByAccess(), valueCounts: reader.rootValues.report() };
        return plan.analyze || plan.reportReads
          ? { data, docsRead: reader.docsRead(), readsByAccess: reader.readsByAccess() }
          : { data, docsRead: reader.docsRead() };
      }),
  });

  const mutate = internalMutationGeneric({
    args: planArgs,
    handler: (ctx, args) =>
      reported(async () => {
        const plan = checkedPlan<MutationPlan>(args.plan, "mutation");
        // The proxy's request id (its access log's "requestId"): one line in
        // Convex's function logs matches the two. Absent from older proxies.
        if (typeof plan.requestId === "string") console.log(`drizzle-convex request ${plan.requestId}`);
        const writer = new Writer(ctx.db, plan, indexes, optional);
        const data = await writer.run();
        return { data, docsRead: writer.docsRead() };
      }),
  });

  const describe = internalQueryGeneric({
    args: {},
    handler: async () => described,
  });

  return { execute, mutate, describe };
}
