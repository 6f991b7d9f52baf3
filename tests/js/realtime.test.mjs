// Realtime through the official SDK (with the `eventsource` package) against PocketBase 0.40.6
// and Croft: the same subscriptions under list and view rules, with filter, fields and expand
// options and overlapping subscriptions, receive the same events.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { EventSource } from "eventsource";
import PocketBase from "pocketbase";
import { startBoth, superuserClient, withoutTimestamps } from "./diff/servers.mjs";
import { seed, PASSWORD } from "./diff/seed.mjs";

globalThis.EventSource = EventSource;

let servers;
const worlds = {};

async function client(url, email) {
  const pb = new PocketBase(url);
  pb.autoCancellation(false);
  if (email) await pb.collection("users").authWithPassword(email, PASSWORD);
  return pb;
}

/// Subscribes every client of one server; events land in `log[name]`.
async function subscribeAll(url) {
  const clients = {
    guest: await client(url),
    u1: await client(url, "alice@example.com"),
    u2: await client(url, "bob@example.com"),
  };
  const log = { guest: [], u1: [], u2: [] };
  const record = (name, topic) => (e) => log[name].push(JSON.stringify({ topic, action: e.action, record: withoutTimestamps(e.record) }));
  await clients.guest.collection("posts").subscribe("*", record("guest", "posts/*"));
  await clients.guest.collection("posts").subscribe("post00000000001", record("guest", "posts/1"));
  await clients.guest.collection("tasks").subscribe("*", record("guest", "tasks/*"));
  await clients.u1.collection("notes").subscribe("*", record("u1", "notes/*"));
  await clients.u1.collection("tasks").subscribe("*", record("u1", "tasks/*"));
  await clients.u1.collection("posts").subscribe("*", record("u1", "posts/* filtered"), { filter: "views > 5", fields: "id,title,views,expand.author.name", expand: "author" });
  await clients.u1.collection("posts").subscribe("*", record("u1", "posts/* plain"));
  await clients.u2.collection("notes").subscribe("*", record("u2", "notes/*"));
  await clients.u2.collection("users").subscribe("*", record("u2", "users/*"));
  return { clients, log };
}

const operations = [
  (su) => su.collection("posts").create({ id: "rtpost000000001", title: "new post", views: 10, author: "user00000000001" }),
  (su) => su.collection("posts").create({ id: "rtpost000000002", title: "quiet post", views: 1 }),
  (su) => su.collection("posts").update("post00000000001", { title: "Hello again", "views+": 1 }),
  (su) => su.collection("posts").delete("post00000000003"),
  (su) => su.collection("notes").create({ id: "rtnote000000001", text: "for alice", owner: "user00000000001" }),
  (su) => su.collection("notes").create({ id: "rtnote000000002", text: "for bob", owner: "user00000000002" }),
  (su) => su.collection("notes").delete("note00000000001"),
  (su) => su.collection("tasks").update("task00000000001", { title: "t1 changed" }),
  (su) => su.collection("users").update("user00000000002", { name: "Robert" }),
  (su) => su.collection("users").update("user00000000001", { name: "Alicia" }),
];

before(async () => {
  servers = await startBoth();
  for (const [name, url] of [["pb", servers.pb.url], ["cr", servers.cr.url]]) {
    const su = await superuserClient(url);
    await seed(su);
    worlds[name] = { su, ...(await subscribeAll(url)) };
  }
});

after(async () => {
  for (const w of Object.values(worlds)) for (const c of Object.values(w.clients)) c.realtime.unsubscribe();
  await servers?.pb.stop();
  await servers?.cr.stop();
});

const settle = () => new Promise((r) => setTimeout(r, 400));

test("the same events reach the same subscribers", async () => {
  const failures = [];
  let seen = 0;
  for (const [i, op] of operations.entries()) {
    for (const w of Object.values(worlds)) for (const l of Object.values(w.log)) l.length = 0;
    await op(worlds.pb.su);
    await op(worlds.cr.su);
    await settle();
    for (const who of ["guest", "u1", "u2"]) {
      const want = [...worlds.pb.log[who]].sort();
      const got = [...worlds.cr.log[who]].sort();
      seen += got.length;
      try {
        assert.deepEqual(got, want);
      } catch {
        failures.push(`operation ${i} for ${who}\n    pocketbase: ${want.join("\n                ")}\n    croft:      ${got.join("\n                ")}`);
      }
    }
  }
  assert.equal(failures.length, 0, failures.join("\n  "));
  assert.ok(seen >= 10, `only ${seen} events were delivered; the subscriptions did not work`);
});
