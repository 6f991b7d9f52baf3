// A schema exported from PocketBase 0.40.6 imports into Croft unchanged and yields the same
// collections and the same record API.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startPocketBase, superuserClient, ADMIN } from "./diff/servers.mjs";
import { startCroft, croft } from "./server.mjs";
import { collections as seedCollections } from "./diff/seed.mjs";

let pb, cr;
before(async () => {
  [pb, cr] = await Promise.all([startPocketBase(), startCroft()]);
  croft(cr.dir, "superuser", "upsert", ADMIN.email, ADMIN.password);
});
after(async () => {
  await pb?.stop();
  await cr?.stop();
});

/// What the API shows of a collection, without timestamps and per-installation secrets.
function shape(c) {
  const { created, updated, ...rest } = c;
  return JSON.parse(JSON.stringify(rest, Object.keys(rest).sort()));
}

test("PocketBase's exported collections import into Croft unchanged", async () => {
  const pbClient = await superuserClient(pb.url);
  for (const c of seedCollections) await pbClient.collections.create(c);
  const exported = await pbClient.collections.getFullList();
  const user = exported.filter((c) => !c.system);

  const crClient = await superuserClient(cr.url);
  // Reversed, so relations point at collections that come later in the file.
  await crClient.collections.import([...exported].reverse(), false).catch((e) => { throw new Error(JSON.stringify(e.response)); });
  for (const c of user) {
    const mine = await crClient.collections.getOne(c.name);
    const theirs = await pbClient.collections.getOne(c.name);
    assert.deepEqual(JSON.parse(JSON.stringify(mine, null)).fields, theirs.fields, `${c.name} fields`);
    for (const key of ["id", "name", "type", "listRule", "viewRule", "createRule", "updateRule", "deleteRule", "indexes"]) {
      assert.deepEqual(mine[key], theirs[key], `${c.name}.${key}`);
    }
  }
  // The same record API on top.
  const body = { id: "impo00000000001", title: "imported", views: 3, tags: ["a", "c"], loc: { lon: 1, lat: 2 } };
  const a = await pbClient.collection("posts").create(body);
  const b = await crClient.collection("posts").create(body);
  for (const r of [a, b]) { delete r.created; delete r.updated; }
  assert.deepEqual(b, a);
  // Importing again changes nothing; deleteMissing removes what the file lacks.
  await crClient.collections.import(exported, false);
  await crClient.collections.import(exported.filter((c) => c.name !== "hidden_posts"), true);
  const names = (await crClient.collections.getFullList()).map((c) => c.name);
  assert.ok(!names.includes("hidden_posts") && names.includes("posts"), names.join(","));
});
