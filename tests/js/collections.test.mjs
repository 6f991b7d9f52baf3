// Collection API outcomes (errors by status and codes, successes by shape) against PocketBase 0.40.6.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startSeeded, withoutTimestamps } from "./diff/servers.mjs";

let world, clients;
before(async () => {
  world = await startSeeded();
  clients = world.clients;
});
after(async () => world?.stop());

const codes = (data) =>
  Object.fromEntries(Object.entries(data ?? {}).map(([k, v]) => [k, v?.code ?? codes(v)]));

async function attempt(run) {
  try {
    const r = await run();
    return { ok: typeof r === "object" ? withoutTimestamps(r) : r };
  } catch (e) {
    return { status: e.status, codes: codes(e.response?.data) };
  }
}

const TITLE_ID = "text724990059";
const cases = [
  ["duplicate name", (c) => c.collections.create({ name: "POSTS", type: "base" })],
  ["bad field name", (c) => c.collections.create({ name: "bad_fields", fields: [{ name: "a b", type: "text" }] })],
  ["missing relation target", (c) => c.collections.create({ name: "bad_rel", fields: [{ name: "r", type: "relation", collectionId: "nope" }] })],
  ["field type change", (c) => c.collections.update("posts", { fields: [{ id: TITLE_ID, name: "title", type: "number" }] })],
  ["rename a field", async (c) => {
    const posts = await c.collections.getOne("comments");
    const fields = posts.fields.map((f) => (f.name === "body" ? { ...f, name: "text" } : f));
    const updated = await c.collections.update("comments", { fields });
    return updated.fields.map((f) => f.name);
  }],
  ["renamed field keeps data", async (c) => (await c.collection("comments").getList(1, 10, { sort: "text" })).items.map((r) => r.text)],
  ["delete a referenced collection", (c) => c.collections.delete("posts")],
  ["delete an unreferenced collection", (c) => c.collections.delete("hidden_posts")],
  ["truncate", async (c) => { await c.collections.truncate("notes"); return (await c.collection("notes").getList()).totalItems; }],
  ["scaffolds", async (c) => Object.keys(await c.collections.getScaffolds()).sort()],
];

test("collection API outcomes match PocketBase", async () => {
  const failures = [];
  for (const [label, run] of cases) {
    const want = await attempt(() => run(clients.pb));
    const got = await attempt(() => run(clients.cr));
    try {
      assert.deepEqual(got, want);
    } catch {
      failures.push(`${label}\n    pocketbase: ${JSON.stringify(want)}\n    croft:      ${JSON.stringify(got)}`);
    }
  }
  assert.equal(failures.length, 0, failures.join("\n  "));
});
