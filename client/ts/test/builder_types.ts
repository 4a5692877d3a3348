// The builder module as the client's schema: `import * as schema from
// "./convex/schema"` (here the sample project's, docker/sample), passed to
// connect as it is. Same Equal<> style as types.ts.
import { connect, type Id } from "drizzle-convex-client";
import * as sample from "../../../docker/sample/convex/schema.js";

type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false;
function expect<T extends true>(_: T) {}

const db = connect({ url: "http://127.0.0.1:8080", schema: sample });

async function builderReads() {
  const users = await db.query.users.findMany({ columns: { name: true, role: true }, with: { posts: { columns: { title: true } } } });
  expect<Equal<typeof users, { name: string; role: "admin" | "member"; posts: { title: string }[] }[]>>(true);
  const post = await db.query.posts.findFirst({ with: { author: { columns: { name: true } } } });
  // posts.author is declared optional: false: a row, never null.
  expect<Equal<NonNullable<typeof post>["author"], { name: string }>>(true);
  expect<Equal<NonNullable<typeof post>["authorId"], Id<"users">>>(true);
  expect<Equal<NonNullable<typeof post>["updatedAt"], number | null | undefined>>(true);
  await db.query.posts.findMany({ where: { published: true, author: { role: "admin" } } });
  // @ts-expect-error unknown column
  await db.query.users.findMany({ columns: { nme: true } });
  // @ts-expect-error not one of the textEnum's values
  await db.query.users.findMany({ where: { role: "owner" } });
  // @ts-expect-error no such relation
  await db.query.users.findMany({ with: { comments: true } });
}

async function builderWrites() {
  // role, credits and createdAt have defaults: an insert may leave them out.
  const ins = await db.insert(sample.users).values({ name: "Ada", email: "ada@x.io" }).returning({ role: true });
  expect<Equal<typeof ins, { role: "admin" | "member" }[]>>(true);
  // @ts-expect-error email is notNull without a default
  await db.insert(sample.users).values({ name: "Ada" });
  await db.update(sample.posts).set({ title: "t" }).where({ published: false });
}

export { builderReads, builderWrites };
