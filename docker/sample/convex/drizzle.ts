// The proxy calls drizzle:execute, drizzle:mutate and drizzle:describe
// (adapter/README.md). The builder tables bring their defaults and unique
// columns; `relations` brings posts.author and users.posts.
import schema, { relations } from "./schema";
import { defineAdapter } from "drizzle-convex-adapter";

export const { execute, mutate, describe } = defineAdapter(schema, relations);
