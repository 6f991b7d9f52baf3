// The official PocketBase JS SDK signs a superuser in against Croft.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import PocketBase from "pocketbase";
import { startCroft, croft } from "./server.mjs";

let server;
before(async () => {
  server = await startCroft();
  croft(server.dir, "superuser", "upsert", "sdk@example.com", "password123");
});
after(async () => {
  assert.equal(await server.stop(), 0, "croft exits 0 on SIGTERM");
});

test("authWithPassword makes the auth store valid", async () => {
  const pb = new PocketBase(server.url);
  const auth = await pb.collection("_superusers").authWithPassword("sdk@example.com", "password123");
  assert.equal(auth.record.email, "sdk@example.com");
  assert.equal(auth.record.collectionName, "_superusers");
  assert.ok(pb.authStore.isValid, "authStore.isValid");
  assert.ok(pb.authStore.isSuperuser, "authStore.isSuperuser");
  assert.equal(pb.authStore.record.id, auth.record.id);
});

test("authRefresh keeps the session", async () => {
  const pb = new PocketBase(server.url);
  await pb.collection("_superusers").authWithPassword("sdk@example.com", "password123");
  const before = pb.authStore.token;
  const refreshed = await pb.collection("_superusers").authRefresh();
  assert.ok(refreshed.token);
  assert.ok(pb.authStore.isValid);
  assert.equal(typeof before, "string");
});

test("a wrong password is a ClientResponseError 400", async () => {
  const pb = new PocketBase(server.url);
  await assert.rejects(
    pb.collection("_superusers").authWithPassword("sdk@example.com", "nope-nope"),
    (err) => err.status === 400 && err.response.message === "Failed to authenticate." && typeof err.response.data === "object",
  );
  assert.equal(pb.authStore.isValid, false);
});

test("health and crons through pb.send and pb.crons", async () => {
  const pb = new PocketBase(server.url);
  const health = await pb.health.check();
  assert.equal(health.code, 200);
  await pb.collection("_superusers").authWithPassword("sdk@example.com", "password123");
  const crons = await pb.crons.getFullList();
  assert.ok(crons.some((c) => c.id === "db_maintenance"));
  await pb.crons.run("db_maintenance");
});
