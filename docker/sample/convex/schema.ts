// A small Convex project with the drizzle-convex adapter, deployed by
// docker/deploy-adapter.sh to the self-hosted backend of docker/compose.yml.
import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export default defineSchema({
  users: defineTable({
    name: v.string(),
    email: v.string(),
    role: v.union(v.literal("admin"), v.literal("member")),
    credits: v.number(),
  })
    .index("by_email", ["email"])
    .index("by_role_credits", ["role", "credits"]),
  posts: defineTable({
    authorId: v.id("users"),
    title: v.string(),
    published: v.boolean(),
  }).index("by_author", ["authorId"]),
});
