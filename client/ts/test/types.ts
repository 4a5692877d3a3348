// Type tests for drizzle-convex-client on the blog fixture's generated
// schema (test/blog_schema.ts, from `dcq codegen --lang ts`). Exact-type
// assertions in the Equal<> style of Drizzle's own type tests; every
// `@ts-expect-error` line is a must-not-compile case. Checked by
// `tsc -p client/ts/test` (ctest client_ts_types).
import { unset, type Db, type Id } from "drizzle-convex-client";
import { schema } from "./blog_schema.js";

type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false;
function expect<T extends true>(_: T) {}

declare const db: Db<typeof schema.$schema>;

async function reads() {
  // The whole row: required fields required, optional ones optional, int64 as bigint, ids branded.
  const all = await db.query.users.findMany();
  type User = (typeof all)[number];
  expect<Equal<User["_id"], Id<"users">>>(true);
  expect<Equal<User["role"], "admin" | "editor" | "member">>(true);
  expect<Equal<User["nickname"], string | null | undefined>>(true);
  expect<Equal<User["balance"], bigint | undefined>>(true);
  expect<Equal<User["address"], { city: string; country: string } | undefined>>(true);
  expect<Equal<User["langs"], string[]>>(true);

  // columns: include picks exactly those; exclude drops them.
  const names = await db.query.users.findMany({ columns: { name: true, _id: true } });
  expect<Equal<typeof names, { name: string; _id: Id<"users"> }[]>>(true);
  const noEmail = await db.query.users.findFirst({ columns: { email: false } });
  expect<Equal<keyof NonNullable<typeof noEmail>, Exclude<keyof User, "email">>>(true);
  expect<Equal<typeof noEmail extends null ? true : false, false>>(true);

  // Nested with: many → array, one → object or null; config applies at each level.
  const nested = await db.query.users.findMany({
    columns: { name: true },
    with: { posts: { columns: { title: true }, with: { comments: { columns: { body: true } }, tags: true } }, profile: true },
  });
  expect<Equal<(typeof nested)[number]["posts"][number]["title"], string>>(true);
  expect<Equal<(typeof nested)[number]["posts"][number]["comments"], { body: string }[]>>(true);
  expect<Equal<(typeof nested)[number]["posts"][number]["tags"][number]["name"], string>>(true);
  expect<Equal<(typeof nested)[number]["profile"], { _id: Id<"profiles">; _creationTime: number; userId: Id<"users">; bio: string } | null>>(true);
  expect<Equal<keyof (typeof nested)[number], "name" | "posts" | "profile">>(true);

  // columns: {} with a with: rows hold only their relations.
  const onlyRel = await db.query.posts.findMany({ columns: {}, with: { author: { columns: { name: true } } } });
  expect<Equal<typeof onlyRel, { author: { name: string } | null }[]>>(true);

  const page = await db.query.posts.paginate({ numItems: 2, columns: { title: true } });
  expect<Equal<typeof page, { page: { title: string }[]; continueCursor: string; isDone: boolean }>>(true);
  const n = await db.query.posts.count({ where: { published: true } });
  expect<Equal<typeof n, number>>(true);

  // Filters: operators, relation filters, AND/OR/NOT; values typed by the column.
  await db.query.posts.findMany({
    where: { views: { gte: 10, lt: 100 }, title: { ilike: "%a%" }, author: { role: "admin" }, OR: [{ category: null }, { category: { in: ["x"] } }] },
    orderBy: { views: "desc", _creationTime: "asc" },
    limit: 5,
  });
  await db.query.users.findMany({ where: { "address.city": "Paris", langs: { arrayContains: ["c"] } } });

  // @ts-expect-error unknown column in columns
  await db.query.users.findMany({ columns: { nme: true } });
  // @ts-expect-error unknown field in where
  await db.query.users.findMany({ where: { name: "a", nme: "b" } });
  // @ts-expect-error wrong value type for the column
  await db.query.users.findMany({ where: { credits: "many" } });
  // @ts-expect-error not one of the enum's literals
  await db.query.users.findMany({ where: { role: "owner" } });
  // @ts-expect-error like on a number column
  await db.query.posts.findMany({ where: { views: { like: "1%" } } });
  // @ts-expect-error unknown relation in with
  await db.query.users.findMany({ with: { postz: true } });
  // @ts-expect-error unknown key inside a nested with config
  await db.query.users.findMany({ with: { posts: { limt: 5 } } });
  // @ts-expect-error unknown field in a nested where
  await db.query.users.findMany({ with: { posts: { where: { titel: "x" } } } });
  // @ts-expect-error orderBy names a column the table lacks
  await db.query.users.findMany({ orderBy: { nme: "asc" } });
  // @ts-expect-error unknown top-level key
  await db.query.users.findMany({ limt: 5 });
  // @ts-expect-error paginate takes numItems, not limit
  await db.query.users.paginate({ numItems: 5, limit: 5 });
  // @ts-expect-error count takes only where
  await db.query.users.count({ limit: 5 });
  // @ts-expect-error no such table
  db.query.user;
}

async function writes() {
  // Inserts: required fields required; optional ones may be left out.
  const ins = await db.insert(schema.tags).values({ name: "t" });
  expect<Equal<typeof ins, { rowsAffected: number; ids: Id<"tags">[] }>>(true);
  const rows = await db.insert(schema.tags).values([{ name: "a" }, { name: "b" }]).returning();
  expect<Equal<typeof rows, { _id: Id<"tags">; _creationTime: number; name: string }[]>>(true);
  const picked = await db.insert(schema.users)
    .values({ name: "A", email: "a@x", role: "member", credits: 0, langs: [] })
    .onConflictDoUpdate({ target: "email", set: { credits: 1, nickname: unset } })
    .returning({ email: true });
  expect<Equal<typeof picked, { email: string }[]>>(true);
  // @ts-expect-error email is required
  db.insert(schema.users).values({ name: "A", role: "member", credits: 0, langs: [] });
  // @ts-expect-error int64 takes a bigint
  db.insert(schema.users).values({ name: "A", email: "a", role: "member", credits: 0, langs: [], balance: 5 });
  // @ts-expect-error onConflict names a column of the table
  db.insert(schema.tags).values({ name: "a" }).onConflictDoNothing({ target: "nme" });

  const upd = await db.update(schema.posts).set({ views: 1 }).where({ published: false });
  expect<Equal<typeof upd, { rowsAffected: number }>>(true);
  const updRows = await db.update(schema.posts).set({ category: unset }).where({}).returning({ title: true });
  expect<Equal<typeof updRows, { title: string }[]>>(true);
  const del = await db.delete(schema.comments).where({ body: { like: "%spam%" } }).returning();
  expect<Equal<(typeof del)[number]["body"], string>>(true);

  // @ts-expect-error an update needs .where() before it can run
  await db.update(schema.posts).set({ views: 1 }).then(() => {});
  // @ts-expect-error a delete needs .where()
  await db.delete(schema.posts).then(() => {});
  // @ts-expect-error unset is for optional fields only
  db.update(schema.posts).set({ title: unset });
  // @ts-expect-error a field of another table
  db.update(schema.posts).set({ name: "x" });

  const [a, b] = await db.transaction([
    db.insert(schema.tags).values({ name: "t" }).returning({ name: true }),
    db.delete(schema.tags).where({ name: "t" }),
  ]);
  expect<Equal<typeof a, { name: string }[]>>(true);
  expect<Equal<typeof b, { rowsAffected: number }>>(true);

  // Live: the callback gets the read's own result type.
  const stop = db.query.tags.findMany({ columns: { name: true } }).subscribe((tags) => {
    expect<Equal<typeof tags, { name: string }[]>>(true);
  });
  stop();
}

export { reads, writes };

async function relationCounts() {
  // _count (protocol.md section 11): a number per relation, beside columns and loaded relations.
  const users = await db.query.users.findMany({
    columns: { name: true },
    with: { _count: { posts: true, comments: { where: { body: { ilike: "%indeed%" } } } }, profile: { columns: { bio: true } } },
  });
  expect<Equal<(typeof users)[number], { name: string; profile: { bio: string } | null; _count: { posts: number; comments: number } }>>(true);
  const nested = await db.query.users.findMany({ columns: {}, with: { posts: { columns: { title: true }, with: { _count: { tags: true } } } } });
  expect<Equal<(typeof nested)[number]["posts"][number], { title: string; _count: { tags: number } }>>(true);
  // @ts-expect-error _count names relations only
  await db.query.users.findMany({ with: { _count: { postz: true } } });
  // @ts-expect-error a _count entry takes only where
  await db.query.users.findMany({ with: { _count: { posts: { limit: 2 } } } });
  // @ts-expect-error the where is checked against the related table
  await db.query.users.findMany({ with: { _count: { posts: { where: { titel: "x" } } } } });
}

export { relationCounts };

async function aggregates() {
  // No groupBy: one object; counts are numbers, the other functions may be null.
  const totals = await db.query.posts.aggregate({
    aggregates: { n: { count: true }, views: { sum: "views" }, mean: { avg: "views" }, first: { min: "title" }, cats: { countDistinct: "category" } },
  });
  expect<Equal<typeof totals, { n: number; views: number | null; mean: number | null; first: string | null; cats: number }>>(true);
  // groupBy: an array of groups; a missing field groups as null.
  const groups = await db.query.posts.aggregate({
    where: { published: true },
    groupBy: ["authorId", "category"],
    aggregates: { n: { count: true } },
    having: { n: { gte: 2 } },
    orderBy: { n: "desc" },
    limit: 5,
  });
  expect<Equal<typeof groups, { authorId: Id<"users">; category: string | null; n: number }[]>>(true);
  // An int64 sum stays a bigint; groupBy may be one name.
  const balances = await db.query.users.aggregate({ groupBy: "role", aggregates: { total: { sum: "balance" } }, orderBy: [{ total: "desc" }] });
  expect<Equal<typeof balances, { role: "admin" | "editor" | "member"; total: bigint | null }[]>>(true);
  const distinct = await db.query.comments.aggregate({ groupBy: ["authorId"] });
  expect<Equal<typeof distinct, { authorId: Id<"users"> }[]>>(true);

  // @ts-expect-error sum takes fields holding one number kind
  await db.query.posts.aggregate({ aggregates: { t: { sum: "title" } } });
  // @ts-expect-error avg of a field holding strings or numbers
  await db.query.users.aggregate({ aggregates: { c: { avg: "code" } } });
  // @ts-expect-error groupBy names fields of the table
  await db.query.posts.aggregate({ groupBy: ["colour"] });
  // @ts-expect-error having names group fields and aggregate names only
  await db.query.posts.aggregate({ groupBy: ["category"], aggregates: { n: { count: true } }, having: { views: { gt: 1 } } });
  // @ts-expect-error orderBy names group fields and aggregate names only
  await db.query.posts.aggregate({ groupBy: ["category"], aggregates: { n: { count: true } }, orderBy: { views: "asc" } });
  // @ts-expect-error an aggregate takes no columns
  await db.query.posts.aggregate({ columns: { title: true }, aggregates: { n: { count: true } } });
  // @ts-expect-error a function spec names a known function
  await db.query.posts.aggregate({ aggregates: { m: { median: "views" } } });
}
void aggregates;
