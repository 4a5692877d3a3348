// The plan format the proxy sends (docs/plan-format.md; written by
// server/planner/plan_json.cpp and mutation_plan.cpp). Explain shows the
// same plan, where a role's rules may have replaced parts with "(hidden)"
// (docs/plan-format.md says which). Types only: the
// golden plans in tests/planner/golden are type-checked against them
// (tests/planner/typecheck_golden.mjs), so the two sides cannot drift apart
// without a red test.
import type { JSONValue } from "convex/values";

// The plan version both sides run (server/planner/plan.hpp kPlanVersion).
export const PLAN_VERSION = 5;

// A Convex value in its JSON encoding; {"$undefined": null} is a missing
// field (it sorts below null) and appears only in bounds and cursors.
export type EncodedValue = JSONValue;
export type MissingField = { $undefined: null };

// One field, or several for a composite key.
export type Fields = string | string[];
export type Direction = "asc" | "desc";

export type PlanBound = { key: (EncodedValue | MissingField)[]; inclusive: boolean };
export type PlanRange = { lower?: PlanBound; upper?: PlanBound };

export type IndexSource = {
  type: "index";
  index: string;
  indexFields: string[];
  ranges: PlanRange[];
  skipScan?: string; // the leading field read one range per value (explain only)
  skipValues?: "observed"; // the engine re-reads the values it holds when it runs
  rangesInOrder?: true; // the ranges in sequence (reversed when descending) are the index order: one stop, no merge
  order: Direction;
};
export type FullScanSource = { type: "fullScan"; index: string; indexFields: string[]; order: Direction; skipScan?: string };
export type GetSource = { type: "get"; ids?: EncodedValue[] }; // lookups take ids from their parents
export type SearchSource = {
  type: "search";
  index: string;
  searchField: string;
  query: string;
  filters: Record<string, EncodedValue>;
};
export type EmptySource = { type: "empty" };
export type UnionSource = { type: "union"; branches: PlanSource[] };
export type PlanSource = IndexSource | FullScanSource | GetSource | SearchSource | EmptySource | UnionSource;

export type CmpOp =
  | "eq" | "ne" | "gt" | "gte" | "lt" | "lte" | "in" | "notIn" | "isNull" | "isNotNull"
  | "like" | "ilike" | "notLike" | "notIlike" | "startsWith" | "endsWith" | "contains" | "between" | "notBetween"
  | "arrayContains" | "arrayContained" | "arrayOverlaps";
export type CmpFilter = { field: string; op: CmpOp; value?: EncodedValue };
export type PlanFilter =
  | { const: boolean }
  | { and: PlanFilter[] }
  | { or: PlanFilter[] }
  | { not: PlanFilter }
  | CmpFilter
  | { exists: PlanRelation | string } // a name only where explain shows an unplanned filter
  | { notExists: PlanRelation | string };

// A key of the row itself ({"views": "desc"}), or one read through relations.
export type RowOrderKey = { [field: string]: Direction };
export type RelatedOrderKey = { through: PlanRelation[]; direction: Direction; field?: string; aggregate?: string };
export type PlanOrderKey = RowOrderKey | RelatedOrderKey;
export type PlanOrder = {
  source: "accessPath" | "index" | "indexThenTies" | "sort";
  keys: PlanOrderKey[];
  requestedKeys: number;
  tieKeys?: number; // indexThenTies: the leading keys the index gives
};

export type PlanEstimate = {
  rows: number | null;
  basis: "counted" | "guessed" | "driven";
  chosenBy: "score" | "rows";
  alternatives: { index: string; rows: number | null }[];
};

export type PlanDriver = {
  relation: string;
  related: PlanNode;
  relatedField: Fields;
  junction?: PlanAccess;
  junctionField?: Fields;
  estimate: { driven: number | null; scan: number | null };
};

export type PlanAccess = {
  id: number;
  table: string;
  lookupBy?: Fields;
  source: PlanSource;
  indexFilter: PlanFilter[];
  postFilter: PlanFilter | null;
  order: PlanOrder;
  drivenBy?: PlanDriver;
  limit?: number;
  offset?: number;
  unique?: true;
  maxReads: number | null;
  estimate: PlanEstimate;
  actualReads?: number; // explain's analyze
  requestPath: string;
};

export type PlanColumns = { include: string[] } | { exclude: string[] };
export type PlanNode = { access: PlanAccess; columns?: PlanColumns; with?: PlanRelation[] };
export type PlanRelation = {
  relation: string;
  cardinality: "one" | "many";
  // A one relation declared "optional": false: no row found is an upstream error.
  required?: true;
  // `_count`: each parent gets `_count[relation]`, the number of rows found (none are loaded).
  count?: true;
  parentField: Fields;
  junction?: PlanAccess;
  junctionTargetField?: Fields;
  target: PlanNode;
};

// `op: "aggregate"`: the root's rows folded into groups (read_aggregate.ts).
export type GroupTerm = {
  name: string;
  fn: "count" | "countDistinct" | "sum" | "avg" | "min" | "max";
  field?: string; // absent: count rows
  int64?: true; // sum/avg over an int64 field: exact integer arithmetic
  path: string; // where an overflowing sum is reported
};
export type GroupPlan = {
  by: string[];
  aggregates: GroupTerm[];
  having: PlanFilter | null; // over group fields and aggregate names
  order: RowOrderKey[]; // the caller's keys, then every group field ascending
  limit: number | null;
  offset: number;
};

export type ReadPlan = {
  planVersion: typeof PLAN_VERSION;
  kind: "read";
  op: "findMany" | "findFirst" | "paginate" | "count" | "aggregate";
  root: PlanNode;
  group?: GroupPlan; // aggregate
  numItems?: number;
  after?: (EncodedValue | MissingField)[] | null;
  fingerprint?: string;
  analyze?: true;
  readBudget: number;
  answerBudget: { rows: number; bytes: number };
  maxReads: number | null;
  warnings: string[];
  reportReads?: true; // the Convex backend learns table sizes from the reads per access
  requestId?: string; // the proxy's access-log id, logged by the adapter
};

export type OnDeleteRule = { table: string; field: string; to: string; rule: "cascade" | "setNull" | "restrict"; nullable: boolean };
export type TableRules = {
  unique: string[][];
  references: { field: string; table: string }[];
  onDelete: OnDeleteRule[];
};
// A field's new value, or its removal.
export type SetValue = EncodedValue | { $unset: true };
export type MutationStep = {
  op: "insert" | "update" | "delete";
  table: string;
  path: string; // the request part failures are reported against
  rowPaths?: string[]; // insert: each row's request path
  rows?: EncodedValue[]; // insert
  onConflict?: { target: string[]; do: "update" | "nothing"; set?: Record<string, SetValue> };
  set?: Record<string, SetValue>; // update
  target?: ReadPlan; // update, delete: the rows they change
  check?: PlanFilter; // a role's check on every row written
  updateFilter?: PlanFilter; // onConflict update: the rows a role may update
  updateCheck?: PlanFilter;
  returning?: true | PlanColumns;
};
export type MutationPlan = {
  planVersion: typeof PLAN_VERSION;
  kind: "mutation";
  transaction: boolean;
  steps: MutationStep[];
  rules: Record<string, TableRules>;
  readBudget: number;
  role?: string;
  nameRows?: false;
  requestId?: string;
};

export type Plan = ReadPlan | MutationPlan;
