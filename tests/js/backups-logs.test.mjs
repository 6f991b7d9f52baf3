// pb.backups.* and pb.logs.* through the official SDK, against PocketBase 0.40.6 and Croft side
// by side (same calls, same outcomes and shapes); then a backup to and back from a real S3
// server (s3s-fs), which only Croft is asked to do here.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { startBoth, superuserClient } from "./diff/servers.mjs";
import { startS3, BUCKET } from "./s3.mjs";

let servers, clients;

before(async () => {
  servers = await startBoth();
  clients = { pb: await superuserClient(servers.pb.url), croft: await superuserClient(servers.cr.url) };
});

after(async () => {
  await servers?.pb.stop();
  await servers?.cr.stop();
});

/// Runs `fn(client, url)` on both servers: { ok, value } or { ok: false, status, data, message }.
async function both(fn) {
  const out = {};
  for (const [name, client] of Object.entries(clients)) {
    const url = name === "pb" ? servers.pb.url : servers.cr.url;
    try {
      out[name] = { ok: true, value: await fn(client, url) };
    } catch (e) {
      out[name] = { ok: false, status: e.status, data: e.response?.data, message: e.response?.message };
    }
  }
  return out;
}

function sameOutcome(r, what) {
  assert.equal(r.croft.ok, r.pb.ok, `${what}: ${JSON.stringify(r)}`);
  if (!r.pb.ok) {
    assert.equal(r.croft.status, r.pb.status, `${what}: ${JSON.stringify(r)}`);
    assert.equal(r.croft.message, r.pb.message, `${what}: ${JSON.stringify(r)}`);
    assert.deepEqual(Object.keys(r.croft.data ?? {}).sort(), Object.keys(r.pb.data ?? {}).sort(), what);
    for (const k of Object.keys(r.pb.data ?? {})) assert.equal(r.croft.data[k]?.code, r.pb.data[k]?.code, `${what}: ${k}`);
  }
}

async function waitHealthy(url) {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${url}/api/health`)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come back`);
}

test("pb.backups: create, list, refuse bad names, download, upload, delete", async () => {
  let r = await both((c) => c.backups.getFullList());
  sameOutcome(r, "empty list");
  assert.deepEqual(r.croft.value, r.pb.value);

  r = await both((c) => c.backups.create("x.zip"));
  sameOutcome(r, "create");
  for (const name of ["x.zip", "a b.zip", "X.ZIP", "x.tar", `${"a".repeat(147)}.zip`]) {
    sameOutcome(await both((c) => c.backups.create(name)), `create ${name}`);
  }

  r = await both((c) => c.backups.getFullList());
  sameOutcome(r, "list");
  for (const side of [r.pb.value, r.croft.value]) {
    assert.deepEqual(side.map((b) => b.key), ["x.zip"]);
    assert.deepEqual(Object.keys(side[0]).sort(), ["key", "modified", "size"]);
    assert.match(side[0].modified, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z$/);
  }

  // Download with a superuser file token; without one both refuse alike.
  const zips = {};
  r = await both(async (c, url) => {
    const token = await c.files.getToken();
    const res = await fetch(c.backups.getDownloadURL(token, "x.zip"));
    const bare = await fetch(`${url}/api/backups/x.zip`);
    zips[url] = new Uint8Array(await res.arrayBuffer());
    return { status: res.status, type: res.headers.get("content-type"), disposition: res.headers.get("content-disposition"), bare: bare.status, body: await bare.json() };
  });
  sameOutcome(r, "download");
  assert.deepEqual(r.croft.value, r.pb.value);
  assert.equal(r.croft.value.status, 200);

  // Upload the archive the same server wrote, then delete it twice.
  r = await both((c, url) => c.backups.upload({ file: new File([zips[url]], "up.zip", { type: "application/zip" }) }));
  sameOutcome(r, "upload");
  r = await both((c, url) => c.backups.upload({ file: new File([zips[url]], "up.zip", { type: "application/zip" }) }));
  sameOutcome(r, "upload twice");
  r = await both((c) => c.backups.upload({ file: new File(["hello"], "notzip.txt", { type: "text/plain" }) }));
  sameOutcome(r, "upload a text file");
  r = await both((c) => c.backups.delete("up.zip"));
  sameOutcome(r, "delete");
  r = await both((c) => c.backups.delete("up.zip"));
  assert.equal(r.pb.ok, false);
  assert.equal(r.croft.ok, false);
  assert.equal(r.croft.status, r.pb.status, JSON.stringify(r));
  r = await both((c) => c.backups.restore("missing.zip"));
  sameOutcome(r, "restore a missing backup");
});

test("pb.backups.restore answers alike and puts the data back", async () => {
  const r = await both(async (c) => {
    await c.collections.create({ name: "notes", type: "base", fields: [{ name: "title", type: "text" }] });
    await c.collection("notes").create({ title: "kept" });
    await c.backups.create("restore-me.zip");
    await c.collections.delete("notes");
    return c.backups.restore("restore-me.zip");
  });
  sameOutcome(r, "restore");
  // Croft restores in place before it answers (PocketBase answers first, then restores and
  // re-executes itself; its data is not checked here).
  const fresh = await superuserClient(servers.cr.url);
  assert.deepEqual((await fresh.collection("notes").getFullList()).map((n) => n.title), ["kept"]);
  // Wait for the restarted PocketBase and sign in again.
  await new Promise((res) => setTimeout(res, 2000));
  await waitHealthy(servers.pb.url);
  clients.pb = await superuserClient(servers.pb.url);
});

test("pb.logs: list, filter, view, stats in the same shape", async () => {
  await both((_, url) => fetch(`${url}/api/nope-for-logs?x=1`, { headers: { "user-agent": "sdk-diff/1.0" } }));
  // PocketBase writes its logs in batches after ~3 s of quiet.
  await new Promise((r) => setTimeout(r, 4500));
  const filter = 'data.url ~ "nope-for-logs"';
  let r = await both((c) => c.logs.getList(1, 10, { filter }));
  sameOutcome(r, "list");
  for (const side of [r.pb.value, r.croft.value]) {
    assert.equal(side.totalItems, 1, JSON.stringify(side));
    const [entry] = side.items;
    assert.deepEqual(Object.keys(entry).sort(), ["created", "data", "id", "level", "message"]);
  }
  const [p, c] = [r.pb.value.items[0], r.croft.value.items[0]];
  // The error text itself differs: PocketBase logs its internal "File not found." where both
  // answer "The requested resource wasn't found.".
  const stable = (e) => ({ ...e.data, execTime: typeof e.data.execTime, details: null, error: typeof e.data.error });
  assert.deepEqual(stable(c), stable(p));
  assert.equal(c.data.error, "The requested resource wasn't found.");
  assert.equal(c.message, p.message);
  assert.equal(c.level, p.level);

  r = await both((cl, url) => cl.logs.getOne(url === servers.pb.url ? p.id : c.id));
  sameOutcome(r, "view");
  assert.equal(r.croft.value.message, r.pb.value.message);
  sameOutcome(await both((cl) => cl.logs.getOne("missing")), "view missing");

  r = await both((cl) => cl.logs.getStats({ filter }));
  sameOutcome(r, "stats");
  assert.deepEqual(r.croft.value.map((s) => s.total), r.pb.value.map((s) => s.total));
  assert.deepEqual(Object.keys(r.croft.value[0]).sort(), ["date", "total"]);
  sameOutcome(await both((cl) => cl.logs.getList(1, 10, { filter: "bad((" })), "bad filter");
  sameOutcome(await both((cl) => cl.logs.getStats({ filter: "bad((" })), "bad stats filter");
});

test("croft keeps backups in the backups.s3 bucket and restores from it", async () => {
  const s3 = await startS3();
  try {
    const c = clients.croft;
    await c.settings.update({ backups: { s3: s3.settings } });
    await c.backups.create("in-s3.zip");
    assert.ok(existsSync(join(s3.root, BUCKET, "in-s3.zip")), "the archive is in the bucket");
    const list = await c.backups.getFullList();
    assert.deepEqual(list.map((b) => b.key), ["in-s3.zip"]);
    const token = await c.files.getToken();
    const res = await fetch(c.backups.getDownloadURL(token, "in-s3.zip"));
    assert.equal(res.status, 200);
    assert.equal((await res.arrayBuffer()).byteLength, list[0].size);
    await c.collections.create({ name: "s3notes", type: "base", fields: [{ name: "title", type: "text" }] });
    await c.backups.restore("in-s3.zip");
    await assert.rejects(c.collections.getOne("s3notes"), (e) => e.status === 404);
    await c.backups.delete("in-s3.zip");
    assert.ok(!existsSync(join(s3.root, BUCKET, "in-s3.zip")));
  } finally {
    await clients.croft.settings.update({ backups: { s3: { enabled: false } } }).catch(() => {});
    await s3.stop();
  }
});
