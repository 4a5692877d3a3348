// An `aggregate` query (protocol.md section 11) as Postgres SQL, for the
// differential check: the rows come from Drizzle's RQBv2 with the same
// `where` (so relation filters mean what Drizzle says), then Postgres groups
// them with GROUP BY. `having` becomes a filter on the grouped rows, and the
// order is section 11's: ascending NULLS FIRST, descending NULLS LAST, then
// the group fields ascending.
import { fromConvexJson } from './pg_mirror.mjs';

const ident = (name) => `"${name.replaceAll('"', '""')}"`;

const FUNCTIONS = {
  count: (f) => (f === true ? 'count(*)' : `count(${ident(f)})`),
  countDistinct: (f) => `count(distinct ${ident(f)})`,
  sum: (f) => `sum(${ident(f)})`,
  avg: (f) => `avg(${ident(f)})`,
  min: (f) => `min(${ident(f)})`,
  max: (f) => `max(${ident(f)})`,
};
const COMPARISONS = { eq: '=', ne: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' };

// A section 4 filter over the group rows' names, as SQL with $n parameters.
function havingSql(filter, params) {
  const parts = [];
  for (const [key, value] of Object.entries(filter)) {
    if (key === 'AND' || key === 'OR') {
      parts.push(`(${value.map((f) => havingSql(f, params)).join(key === 'AND' ? ' and ' : ' or ')})`);
    } else if (key === 'NOT') {
      parts.push(`not (${havingSql(value, params)})`);
    } else {
      const ops = value !== null && typeof value === 'object' && !Array.isArray(value) ? value : { eq: value };
      for (const [op, arg] of Object.entries(ops)) {
        const col = ident(key);
        if (op === 'isNull' || op === 'isNotNull') parts.push(`${col} is ${op === 'isNull' ? '' : 'not '}null`);
        else if (op in COMPARISONS) {
          params.push(fromConvexJson(arg));
          parts.push(`${col} ${COMPARISONS[op]} $${params.length}`);
        } else if (op === 'in' || op === 'notIn') {
          params.push(fromConvexJson(arg));
          parts.push(`${op === 'in' ? '' : 'not '}(${col} = any($${params.length}))`);
        } else throw new Error(`having operator ${op} has no SQL form here`);
      }
    }
  }
  return parts.length ? parts.join(' and ') : 'true';
}

export async function sqlAggregate(db, client, q) {
  const matching = await db.query[q.table].findMany({ columns: { _id: true }, ...(q.where ? { where: fromConvexJson(q.where) } : {}) });
  const by = typeof q.groupBy === 'string' ? [q.groupBy] : (q.groupBy ?? []);
  const select = [...by.map(ident)];
  for (const [name, spec] of Object.entries(q.aggregates ?? {})) {
    const [fn, arg] = Object.entries(spec)[0];
    select.push(`${FUNCTIONS[fn](arg)} as ${ident(name)}`);
  }
  const params = [matching.map((r) => r._id)];
  let sql = `select ${select.join(', ') || '1'} from ${ident(q.table)} where "_id" = any($1)`;
  if (by.length) sql += ` group by ${by.map(ident).join(', ')}`;
  if (!by.length) return (await client.query(sql, params)).rows[0];
  sql = `select * from (${sql}) as g`;
  if (q.having) sql += ` where ${havingSql(q.having, params)}`;
  const keys = Array.isArray(q.orderBy) ? q.orderBy.flatMap((o) => Object.entries(o)) : Object.entries(q.orderBy ?? {});
  for (const f of by) if (!keys.some(([k]) => k === f)) keys.push([f, 'asc']);
  sql += ` order by ${keys.map(([k, d]) => `${ident(k)} ${d === 'desc' ? 'desc nulls last' : 'asc nulls first'}`).join(', ')}`;
  if (q.limit !== undefined) sql += ` limit ${Number(q.limit)}`;
  if (q.offset !== undefined) sql += ` offset ${Number(q.offset)}`;
  return (await client.query(sql, params)).rows;
}

// Postgres answers counts as bigint and sums/averages of integers as
// numeric text: compare numbers as numbers (an int64 too).
export function numbersAsNumbers(x) {
  if (typeof x === 'bigint') return Number(x);
  if (typeof x === 'string' && /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(x)) return Number(x);
  if (Array.isArray(x)) return x.map(numbersAsNumbers);
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, numbersAsNumbers(v)]));
  return x;
}
