// The proxy calls drizzle:execute, drizzle:mutate and drizzle:describe
// (adapter/README.md). posts.authorId → users gives the relations
// posts.author and users.posts without declaring them.
import schema from "./schema";
import { defineAdapter } from "drizzle-convex-adapter";

export const { execute, mutate, describe } = defineAdapter(schema, {
  unique: { users: [["email"]] },
});
