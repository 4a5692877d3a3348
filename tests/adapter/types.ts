// Type tests for the column builders: what a Drizzle user's editor would
// accept and refuse. `npx tsc -p tests/adapter` must pass; every
// `@ts-expect-error` line is a must-not-compile case (tsc fails if it compiles).
import { defineSchema } from "convex/server";
import type { GenericId } from "convex/values";
import { bigint, boolean, convexTable, id, index, integer, json, now, real, text, textEnum } from "drizzle-convex-adapter";

const users = convexTable("users", {
  email: text().notNull(),
  role: textEnum(["member", "admin"]).notNull().default("member"),
  age: integer(),
  balance: bigint().notNull(),
  active: boolean().notNull().default(true),
  prefs: json<{ theme: string }>(),
  tags: text().array().notNull(),
  createdAt: real().notNull().defaultNow(),
  updatedAt: real().notNull().$onUpdate(now),
}, (t) => [index("by_email").on(t.email)]);
const posts = convexTable("posts", { authorId: id("users").notNull(), title: text().notNull() });
defineSchema({ users, posts });

type Select = typeof users.$inferSelect;
type Insert = typeof users.$inferInsert;

// Selected rows: not-null columns are required, nullable ones may be null or absent.
const row: Select = { _id: "x" as GenericId<"users">, _creationTime: 1, email: "a", role: "admin", balance: 1n, active: true, tags: [], createdAt: 1, updatedAt: 2 };
const role: "member" | "admin" = row.role;
const age: number | null | undefined = row.age;
const theme: string | undefined = row.prefs?.theme;
const author: GenericId<"users"> = ({} as typeof posts.$inferSelect).authorId;
// @ts-expect-error a nullable column may be null: it is not a plain number
const ageNumber: number = row.age;
// @ts-expect-error textEnum's values only
const badRole: Select["role"] = "owner";

// Inserts: defaulted and nullable columns may be left out; the rest are required.
const minimal: Insert = { email: "a", balance: 1n, tags: [] };
const full: Insert = { email: "a", balance: 1n, tags: ["x"], role: "member", age: null, active: false, createdAt: 5, updatedAt: 6 };
// @ts-expect-error email is notNull without a default
const noEmail: Insert = { balance: 1n, tags: [] };
// @ts-expect-error balance is an int64 (bigint), not a number
const wrongType: Insert = { email: "a", balance: 1, tags: [] };
// @ts-expect-error a notNull column takes no null
const nullEmail: Insert = { email: null, balance: 1n, tags: [] };
// @ts-expect-error a column the table does not have
const extra: Insert = { email: "a", balance: 1n, tags: [], nickname: "x" };

// Builders check their defaults' types.
// @ts-expect-error a text column's default is a string
text().default(3);
// @ts-expect-error now is for number columns
text().default(now);
integer().default(now);
// @ts-expect-error defaultNow is for number columns
text().defaultNow();
// @ts-expect-error defaultRandom is for string columns
integer().defaultRandom();
// @ts-expect-error $onUpdate(now) is for number columns
text().$onUpdate(now);
text().$onUpdate("edited");
// @ts-expect-error an index names columns of its own table
convexTable("c", { a: text() }, (t) => [index("by_b").on(t.b)]);

// Columns are named through the table, as .references() and relations name them.
const ref: { table: string; column: string } = users.email;
// @ts-expect-error no such column
users.nickname;

export { role, age, theme, author, ageNumber, badRole, minimal, full, noEmail, wrongType, nullEmail, extra, ref };
