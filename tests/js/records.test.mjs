// Differential record API suite: CRUD, validation, modifiers, expand, fields, pagination and
// rule outcomes, compared response by response with PocketBase 0.40.6.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startSeeded, tokensFor } from "./diff/servers.mjs";
import { users, PASSWORD } from "./diff/seed.mjs";
import { recordCases } from "./diff/record-cases.mjs";

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

const DATE = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z$/;

/// Masks what legitimately differs: timestamps of records created during the run.
function normalize(v) {
  if (Array.isArray(v)) return v.map(normalize);
  if (v && typeof v === "object") {
    const out = {};
    for (const k of Object.keys(v).sort()) {
      out[k] = (k === "created" || k === "updated") && typeof v[k] === "string" && DATE.test(v[k]) ? "<date>" : normalize(v[k]);
    }
    return out;
  }
  return v;
}

async function call(url, token, c) {
  const method = c.get ? "GET" : c.post ? "POST" : c.patch ? "PATCH" : "DELETE";
  const path = c.get ?? c.post ?? c.patch ?? c.delete;
  const headers = c.bare ? {} : { "Content-Type": "application/json" };
  if (token) headers.Authorization = token;
  const res = await fetch(url + path, { method, headers, body: c.body ? JSON.stringify(c.body) : undefined });
  const text = await res.text();
  let body = text ? JSON.parse(text) : null;
  if (!res.ok) body = { status: body?.status, data: body?.data };
  return { status: res.status, body: normalize(body) };
}

test(`${recordCases.length} record API cases match PocketBase`, async () => {
  const failures = [];
  for (const c of recordCases) {
    const want = await call(servers.pb.url, tokens.pb[c.as], c);
    const got = await call(servers.cr.url, tokens.cr[c.as], c);
    try {
      assert.deepEqual(got, want);
    } catch {
      failures.push(`${c.as} ${JSON.stringify(c)}\n    pocketbase: ${JSON.stringify(want)}\n    croft:      ${JSON.stringify(got)}`);
    }
  }
  assert.equal(failures.length, 0, `${failures.length} of ${recordCases.length} cases differ:\n  ${failures.join("\n  ")}`);
});
