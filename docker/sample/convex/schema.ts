// A small Convex project with the drizzle-convex adapter, deployed by
// docker/deploy-adapter.sh to the self-hosted backend of docker/compose.yml.
// Tables are written with Drizzle's column builders (adapter/README.md):
// Convex deploys plain validators; defaults, uniques, integer columns and
// relations reach the proxy through the adapter's `describe`.
import { defineSchema } from "convex/server";
import { boolean, convexTable, defineRelations, id, index, integer, now, real, text, textEnum } from "drizzle-convex-adapter";

export const users = convexTable(
  "users",
  {
    name: text().notNull(),
    email: text().notNull().unique(),
    role: textEnum(["admin", "member"]).notNull().default("member"),
    credits: integer().notNull().default(0),
    createdAt: real().notNull().defaultNow(),
  },
  (t) => [index("by_email").on(t.email), index("by_role_credits").on(t.role, t.credits)],
);

export const posts = convexTable(
  "posts",
  {
    authorId: id("users").notNull().references(() => users._id, { onDelete: "cascade" }),
    title: text().notNull(),
    published: boolean().notNull().default(false),
    updatedAt: real().$onUpdate(now),
  },
  (t) => [index("by_author").on(t.authorId)],
);

export const relations = defineRelations({ users, posts }, (r) => ({
  users: { posts: r.many.posts() },
  posts: { author: r.one.users({ from: r.posts.authorId, to: r.users._id, optional: false }) },
}));

export default defineSchema({ users, posts });
