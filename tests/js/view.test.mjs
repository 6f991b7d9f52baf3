// View collections: fields inferred from the query and rows read through it, as PocketBase does.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startSeeded, withoutTimestamps } from "./diff/servers.mjs";

let world, clients;
before(async () => {
  world = await startSeeded();
  clients = world.clients;
});
after(async () => world?.stop());

const views = [
  { name: "post_stats", type: "view", listRule: "", viewRule: "",
    viewQuery: "SELECT p.id, p.title, p.views, p.tags, p.author, count(c.id) as comments, (p.views * 2) as doubled, u.name as author_name FROM posts p LEFT JOIN comments c ON c.post = p.id LEFT JOIN users u ON u.id = p.author GROUP BY p.id" },
  { name: "no_id", type: "view", viewQuery: "SELECT title FROM posts" },
  { name: "not_select", type: "view", viewQuery: "DELETE FROM posts" },
];

const fieldShape = (f) => {
  const { id, ...rest } = f;
  return { ...rest, id: id.startsWith("_clone_") ? "_clone_" : id };
};

async function attempt(client, body) {
  try {
    const c = await client.collections.create(body);
    return { fields: c.fields.map(fieldShape), viewQuery: c.viewQuery };
  } catch (e) {
    return { status: e.status, codes: Object.fromEntries(Object.entries(e.response.data).map(([k, v]) => [k, v.code])) };
  }
}

test("view collections match PocketBase", async () => {
  for (const v of views) {
    assert.deepEqual(await attempt(clients.cr, v), await attempt(clients.pb, v), v.name);
  }
  const list = async (c) => withoutTimestamps(await c.collection("post_stats").getList(1, 50, { sort: "-comments,title", filter: "views > 0 || comments > 0" }));
  assert.deepEqual(await list(clients.cr), await list(clients.pb));
  await assert.rejects(clients.cr.collection("post_stats").create({ title: "x" }), (e) => e.status === 400);
});
