// Column builders (adapter/src/columns.ts, table.ts, relations.ts): a
// builder schema exports the same Convex schema as its `v.*` twin, its
// describe answer carries defaults, uniques and relations, and the proxy
// loads it and applies them (tests/conformance covers the write paths).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defineSchema, defineTable } from 'convex/server';
import { v } from 'convex/values';
import {
  bigint, boolean, bytes, convexTable, defineAdapter, defineRelations, doublePrecision, id, index, integer, json, now, real,
  text, textEnum, uniqueIndex,
} from 'drizzle-convex-adapter';
import { createDeployment } from '../emulator/deployment.mjs';

const users = convexTable('users', {
  email: text().notNull().unique(),
  name: text().notNull(),
  role: textEnum(['member', 'admin']).notNull().default('member'),
  age: integer(),
  score: real().notNull().default(0),
  ratio: doublePrecision(),
  balance: bigint().notNull().default(5n),
  active: boolean().notNull().default(true),
  avatar: bytes(),
  settings: json(),
  tags: text().array().notNull(),
  token: text().notNull().defaultRandom(),
  createdAt: real().notNull().defaultNow(),
  updatedAt: real().$onUpdate(now),
});
const posts = convexTable('posts', {
  authorId: id('users').notNull().references(() => users._id, { onDelete: 'cascade' }),
  title: text().notNull(),
  slug: text().notNull(),
  published: boolean().notNull().default(false),
}, (t) => [index('by_author').on(t.authorId, t._creationTime), uniqueIndex('by_slug').on(t.slug)]);
const tags = convexTable('tags', { name: text().notNull() });
const postTags = convexTable('postTags', { postId: id('posts').notNull(), tagId: id('tags').notNull() },
  (t) => [index('by_post').on(t.postId), index('by_tag').on(t.tagId)]);

const builderSchema = defineSchema({ users, posts, tags, postTags });

// The same tables written with Convex's validators.
const nullable = (t) => v.optional(v.union(t, v.null()));
const plainSchema = defineSchema({
  users: defineTable({
    email: v.string(), name: v.string(), role: v.union(v.literal('member'), v.literal('admin')), age: nullable(v.float64()),
    score: v.float64(), ratio: nullable(v.float64()), balance: v.int64(), active: v.boolean(), avatar: nullable(v.bytes()),
    settings: nullable(v.any()), tags: v.array(v.string()), token: v.string(), createdAt: v.float64(), updatedAt: nullable(v.float64()),
  }).index('email_unique', ['email']),
  posts: defineTable({ authorId: v.id('users'), title: v.string(), slug: v.string(), published: v.boolean() })
    .index('by_author', ['authorId', '_creationTime']).index('by_slug', ['slug']),
  tags: defineTable({ name: v.string() }),
  postTags: defineTable({ postId: v.id('posts'), tagId: v.id('tags') }).index('by_post', ['postId']).index('by_tag', ['tagId']),
});

const relations = defineRelations({ users, posts, tags, postTags }, (r) => ({
  users: { posts: r.many.posts() },
  posts: {
    author: r.one.users({ from: r.posts.authorId, to: r.users._id, optional: false }),
    tags: r.many.tags({ from: r.posts._id.through(r.postTags.postId), to: r.tags._id.through(r.postTags.tagId) }),
    published: r.many.tags({ from: r.posts._id.through(r.postTags.postId), to: r.tags._id.through(r.postTags.tagId), where: { name: { ne: 'draft' } } }),
  },
}));

const describeOf = async (adapter) => JSON.parse(await adapter.describe._handler({}, {}));

test('a builder schema exports exactly the Convex schema of its v.* twin', () => {
  assert.deepEqual(JSON.parse(builderSchema.export()), JSON.parse(plainSchema.export()));
});

test('describe carries defaults, onUpdate, integer, uniques and relations from the builders', async () => {
  const d = await describeOf(defineAdapter(builderSchema, relations));
  const u = d.tables.users.documentType.value;
  assert.equal(u.role.default, 'member');
  assert.deepEqual(u.balance.default, { $integer: 'BQAAAAAAAAA=' });
  assert.deepEqual(u.token.default, { $fn: 'uuid' });
  assert.deepEqual(u.createdAt.default, { $fn: 'now' });
  // Drizzle's $onUpdate without a default fills inserts too.
  assert.deepEqual(u.updatedAt.onUpdate, { $fn: 'now' });
  assert.deepEqual(u.updatedAt.default, { $fn: 'now' });
  assert.equal(u.age.integer, true);
  assert.equal(u.score.integer, undefined);
  assert.deepEqual(d.tables.users.unique, [['email']]);
  assert.deepEqual(d.tables.posts.unique, [['slug']]);
  assert.deepEqual(d.relations.users.posts, { many: 'posts', from: '_id', to: 'authorId' });
  assert.deepEqual(d.relations.posts.author, { one: 'users', from: 'authorId', to: '_id', optional: false, onDelete: 'cascade' });
  assert.deepEqual(d.relations.posts.tags, { many: 'tags', from: '_id', to: '_id', through: { table: 'postTags', from: 'postId', to: 'tagId' } });
  assert.deepEqual(d.relations.posts.published.where, { name: { ne: 'draft' } });
});

test('the v.* twin with the same extras describes the same schema', async () => {
  const built = await describeOf(defineAdapter(builderSchema, relations));
  const fields = {};
  for (const [t, def] of Object.entries(built.tables)) {
    for (const [f, x] of Object.entries(def.documentType.value)) {
      const extra = Object.fromEntries(['default', 'onUpdate', 'integer'].filter((k) => k in x).map((k) => [k, x[k]]));
      if (Object.keys(extra).length) (fields[t] ??= {})[f] = extra;
    }
  }
  const plain = await describeOf(defineAdapter(plainSchema, {
    unique: { users: [['email']], posts: [['slug']] }, fields, relations: built.relations,
  }));
  assert.deepEqual(plain, built);
});

test('builders and v.* validators mix in one schema', async () => {
  const mixed = defineSchema({ users, notes: defineTable({ userId: v.id('users'), body: v.string() }) });
  const d = await describeOf(defineAdapter(mixed));
  assert.equal(d.tables.users.documentType.value.role.default, 'member');
  assert.deepEqual(Object.keys(d.tables.notes.documentType.value), ['userId', 'body']);
});

test('defineRelations refuses what it cannot resolve, naming the relation', () => {
  assert.throws(() => defineRelations({ users, posts }, (r) => ({ posts: { author: r.one.users() } })), /posts\.author/);
  assert.throws(() => defineRelations({ users, posts }, (r) => ({ posts: { x: r.one.nope({}) } })), /no table 'nope'/);
  assert.throws(() => defineRelations({ users, tags }, (r) => ({ users: { tags: r.many.tags() } })), /users\.tags.*cannot tell/);
  assert.throws(() => defineRelations({ users, posts }, (r) => ({
    posts: { author: r.one.users({ from: r.users._id, to: r.posts.authorId }) },
  })), /from names users\._id/);
});

test('a column named like a TableDefinition member is refused', () => {
  assert.throws(() => convexTable('bad', { indexes: text() }), /bad\.indexes/);
});

test('a deployment of the builder schema answers describe with its defaults', async () => {
  // The proxy in front of such a deployment: tests/e2e/builders.test.mjs.
  const deployment = await createDeployment({ schema: builderSchema, extras: relations });
  const d = JSON.parse(await deployment.query('drizzle:describe', {}));
  assert.equal(d.planVersion > 0, true);
  assert.equal(d.tables.posts.documentType.value.published.default, false);
});

test('.references() without defineRelations: the one relation carries onDelete, and the inverse the proxy would infer is kept', async () => {
  const d = await describeOf(defineAdapter(defineSchema({ users, posts })));
  assert.deepEqual(d.relations.posts.author, { one: 'users', from: 'authorId', to: '_id', onDelete: 'cascade' });
  assert.deepEqual(d.relations.users.posts, { many: 'posts', from: '_id', to: 'authorId' });
});
