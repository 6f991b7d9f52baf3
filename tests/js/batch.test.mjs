// Batch requests through the SDK (multipart with @jsonPayload), compared with PocketBase 0.40.6.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import PocketBase from "pocketbase";
import { startBoth, superuserClient, withoutTimestamps } from "./diff/servers.mjs";
import { seed, PASSWORD } from "./diff/seed.mjs";

let servers, clients;
before(async () => {
  servers = await startBoth();
  clients = {};
  for (const [name, url] of [["pb", servers.pb.url], ["cr", servers.cr.url]]) {
    const su = await superuserClient(url);
    await seed(su);
    const u1 = new PocketBase(url);
    u1.autoCancellation(false);
    await u1.collection("users").authWithPassword("alice@example.com", PASSWORD);
    clients[name] = { su, u1 };
  }
});
after(async () => {
  await servers?.pb.stop();
  await servers?.cr.stop();
});


async function outcome(build) {
  try {
    return { ok: withoutTimestamps(await build().send()) };
  } catch (e) {
    return { status: e.status, data: withoutTimestamps(e.response?.data) };
  }
}

const cases = [
  ["create, update and delete one record", (c) => {
    const b = c.su.createBatch();
    b.collection("posts").create({ id: "bat000000000001", title: "b1", views: 1 });
    b.collection("posts").update("bat000000000001", { title: "b2", "views+": 2 });
    b.collection("posts").delete("bat000000000001");
    return b;
  }],
  ["a failing request rolls everything back", (c) => {
    const b = c.su.createBatch();
    b.collection("posts").create({ id: "bat000000000002", title: "kept?" });
    b.collection("posts").create({ id: "short" });
    return b;
  }],
  ["upsert twice", (c) => {
    const b = c.su.createBatch();
    b.collection("posts").upsert({ id: "bat000000000003", title: "u1" });
    b.collection("posts").upsert({ id: "bat000000000003", title: "u2", tags: ["a"] });
    return b;
  }],
  ["relations to records created earlier in the batch", (c) => {
    const b = c.su.createBatch();
    b.collection("posts").create({ id: "bat000000000004", title: "parent" });
    b.collection("comments").create({ id: "bat000000000005", body: "child", post: "bat000000000004" });
    return b;
  }],
  ["rules apply per request", (c) => {
    const b = c.u1.createBatch();
    b.collection("tasks").create({ id: "bat000000000006", title: "mine", owner: "user00000000001", priority: 1 });
    b.collection("tasks").update("task00000000002", { title: "not mine" });
    return b;
  }],
  ["rules pass", (c) => {
    const b = c.u1.createBatch();
    b.collection("tasks").create({ id: "bat000000000007", title: "mine", owner: "user00000000001", priority: 1 });
    b.collection("tasks").update("bat000000000007", { title: "still mine" });
    return b;
  }],
  ["empty batch", (c) => c.su.createBatch()],
];

test("batch is disabled by default", async () => {
  for (const name of ["pb", "cr"]) {
    const r = await outcome(() => {
      const b = clients[name].su.createBatch();
      b.collection("posts").create({ title: "x" });
      return b;
    });
    assert.equal(r.status, 403, name);
  }
});

test("batch requests match PocketBase", async () => {
  for (const name of ["pb", "cr"]) await clients[name].su.settings.update({ batch: { enabled: true } });
  const failures = [];
  for (const [label, build] of cases) {
    const want = await outcome(() => build(clients.pb));
    const got = await outcome(() => build(clients.cr));
    try {
      assert.deepEqual(got, want);
    } catch {
      failures.push(`${label}\n    pocketbase: ${JSON.stringify(want)}\n    croft:      ${JSON.stringify(got)}`);
    }
  }
  // Nothing of the failed batch was kept.
  for (const name of ["pb", "cr"]) {
    await assert.rejects(clients[name].su.collection("posts").getOne("bat000000000002"), (e) => e.status === 404, name);
  }
  assert.equal(failures.length, 0, failures.join("\n  "));
});
