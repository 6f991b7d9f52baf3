// Differential suite: the same schema, data and requests against PocketBase 0.40.6 and Croft;
// every case must give the same records in the same order, or the same error status.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { startSeeded, tokensFor } from "./diff/servers.mjs";
import { users, PASSWORD } from "./diff/seed.mjs";

const cases = JSON.parse(readFileSync(new URL("./diff/filter-cases.json", import.meta.url)));
let servers;
const tokens = { pb: {}, cr: {} };

let world;
before(async () => {
  world = await startSeeded();
  servers = world.servers;
  tokens.pb = await tokensFor(servers.pb.url, users, PASSWORD);
  tokens.cr = await tokensFor(servers.cr.url, users, PASSWORD);
});

after(async () => world?.stop());

async function run(url, token, c) {
  const q = new URLSearchParams({ perPage: "100" });
  if (c.filter !== undefined) q.set("filter", c.filter);
  if (c.sort !== undefined) q.set("sort", c.sort);
  const headers = { "X-Test": "yes" };
  if (token) headers.Authorization = token;
  const res = await fetch(`${url}/api/collections/${c.collection}/records?${q}`, { headers });
  const body = await res.json();
  if (!res.ok) return { status: res.status };
  const ids = body.items.map((r) => r.id);
  // Without a sort neither server promises an order (SQLite's DISTINCT may even order by
  // random columns), so only sorted requests compare order.
  if (c.sort === undefined) ids.sort();
  return { status: res.status, total: body.totalItems, ids };
}

test(`${cases.length} filter and sort cases match PocketBase`, async () => {
  const failures = [];
  for (const c of cases) {
    const [want, got] = await Promise.all([
      run(servers.pb.url, tokens.pb[c.as], c),
      run(servers.cr.url, tokens.cr[c.as], c),
    ]);
    try {
      assert.deepEqual(got, want);
    } catch {
      failures.push(`${c.as} ${c.collection} filter=${JSON.stringify(c.filter)} sort=${JSON.stringify(c.sort)}\n    pocketbase: ${JSON.stringify(want)}\n    croft:      ${JSON.stringify(got)}`);
    }
  }
  assert.equal(failures.length, 0, `${failures.length} of ${cases.length} cases differ:\n  ${failures.join("\n  ")}`);
});
