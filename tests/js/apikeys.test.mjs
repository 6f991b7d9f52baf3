// Croft's API keys: created by superusers (API and CLI), shown once, scoped to collections and
// record actions, refused everywhere else, revocable.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import PocketBase from "pocketbase";
import { startCroft, croft } from "./server.mjs";
import { superuserClient, ADMIN } from "./diff/servers.mjs";

let server, su;

before(async () => {
  server = await startCroft();
  croft(server.dir, "superuser", "upsert", ADMIN.email, ADMIN.password);
  su = await superuserClient(server.url);
  // Locked rules: only superusers (and keys in scope) get through.
  await su.collections.create({ name: "posts", fields: [{ name: "title", type: "text" }, { name: "owner", type: "relation", collectionId: "_pb_users_auth_", maxSelect: 1 }] });
  await su.collections.create({ name: "secrets", fields: [{ name: "text", type: "text" }] });
  const u = await su.collection("users").create({ email: "u@example.com", password: "password123", passwordConfirm: "password123" });
  await su.collection("posts").create({ title: "hello", owner: u.id });
  await su.collection("secrets").create({ text: "classified" });
});

after(async () => server?.stop());

const call = async (key, method, path, body) => {
  const res = await fetch(server.url + path, {
    method, headers: { "content-type": "application/json", ...(key ? { authorization: key } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
};

test("keys are created by superusers, shown once and scoped", async () => {
  assert.equal((await call(null, "GET", "/api/keys")).status, 401);
  const user = new PocketBase(server.url);
  await user.collection("users").authWithPassword("u@example.com", "password123");
  assert.equal((await call(user.authStore.token, "GET", "/api/keys")).status, 403);
  const bad = await call(su.authStore.token, "POST", "/api/keys", { name: "x", scopes: [{ collection: "posts", actions: ["drop"] }] });
  assert.equal(bad.status, 400);
  assert.ok(bad.body.data.scopes);
  const past = await call(su.authStore.token, "POST", "/api/keys", { name: "x", scopes: [{ collection: "posts", actions: ["list"] }], expires: "2020-01-01 00:00:00.000Z" });
  assert.equal(past.status, 400);

  const created = await call(su.authStore.token, "POST", "/api/keys", { name: "reader", scopes: [{ collection: "posts", actions: ["list", "view"] }] });
  assert.equal(created.status, 200);
  const key = created.body.key;
  assert.match(key, /^croft_[a-z0-9]{15}_[A-Za-z0-9]{50}$/);
  const listed = await call(su.authStore.token, "GET", "/api/keys");
  assert.equal(listed.body.length, 1);
  assert.equal(listed.body[0].key, undefined, "the key is never shown again");
  assert.ok(!JSON.stringify(listed.body).includes(key.split("_")[2]), "nor its secret");

  // In scope: a superuser of posts' list and view (the rules are locked for everybody else).
  const list = await call(key, "GET", "/api/collections/posts/records?expand=owner");
  assert.equal(list.status, 200);
  assert.equal(list.body.items[0].title, "hello");
  assert.equal(list.body.items[0].expand?.owner, undefined, "users are out of scope: no expand");
  assert.equal((await call(key, "GET", `/api/collections/posts/records/${list.body.items[0].id}`)).status, 200);
  // Out of scope: other actions, other collections, admin routes, file tokens, @collection filters.
  assert.equal((await call(key, "POST", "/api/collections/posts/records", { title: "x" })).status, 403);
  assert.equal((await call(key, "DELETE", `/api/collections/posts/records/${list.body.items[0].id}`)).status, 403);
  assert.equal((await call(key, "GET", "/api/collections/secrets/records")).status, 403);
  assert.equal((await call(key, "GET", "/api/collections")).status, 403);
  assert.equal((await call(key, "GET", "/api/settings")).status, 403);
  assert.equal((await call(key, "GET", "/api/keys")).status, 403);
  assert.equal((await call(key, "POST", "/api/files/token")).status, 403);
  const probe = await call(key, "GET", "/api/collections/posts/records?filter=" + encodeURIComponent("@collection.secrets.text = 'classified'"));
  assert.equal(probe.status, 403);
  // A tampered secret is no key.
  assert.equal((await call(key.slice(0, -1) + "x", "GET", "/api/collections/posts/records")).status, 403);

  // Revoked keys stop working at once.
  assert.equal((await call(su.authStore.token, "DELETE", `/api/keys/${created.body.id}`)).status, 204);
  assert.equal((await call(key, "GET", "/api/collections/posts/records")).status, 403);
  assert.equal((await call(su.authStore.token, "DELETE", `/api/keys/${created.body.id}`)).status, 404);
});

test("the CLI creates, lists and revokes keys", async () => {
  const out = croft(server.dir, "apikey", "create", "ci", "--scope", "posts:create", "--scope", "*:list");
  const key = out.trim().split("\n").pop();
  assert.match(key, /^croft_/);
  const made = await call(key, "POST", "/api/collections/posts/records", { title: "from ci" });
  assert.equal(made.status, 200);
  assert.equal((await call(key, "GET", "/api/collections/secrets/records")).body.items.length, 1, "*:list covers every collection");
  const id = key.split("_")[1];
  assert.match(croft(server.dir, "apikey", "list"), new RegExp(`${id}\\s+ci\\s+posts:create \\*:list`));
  croft(server.dir, "apikey", "revoke", id);
  const revoked = await call(key, "POST", "/api/collections/posts/records", { title: "x" });
  assert.equal(revoked.status, 403, "a revoked key is a guest, and the createRule is locked");
});

test("croft superuser otp prints a code that signs the superuser in", async () => {
  assert.throws(() => croft(server.dir, "superuser", "otp", ADMIN.email), /OTP is not enabled/);
  await su.collections.update("_superusers", { otp: { enabled: true } });
  const out = croft(server.dir, "superuser", "otp", ADMIN.email);
  const otpId = out.match(/otpId:\s+(\S+)/)[1];
  const code = out.match(/password:\s+(\d+)/)[1];
  const pb = new PocketBase(server.url);
  await pb.collection("_superusers").authWithOTP(otpId, code);
  assert.ok(pb.authStore.isSuperuser);
  await su.collections.update("_superusers", { otp: { enabled: false } });
});
