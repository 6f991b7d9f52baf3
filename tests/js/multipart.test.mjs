// Multipart record bodies as the JS and Dart SDKs send them, compared with PocketBase 0.40.6.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startSeeded, withoutTimestamps } from "./diff/servers.mjs";

let world, servers, tokens;
before(async () => {
  world = await startSeeded();
  servers = world.servers;
  tokens = { pb: world.clients.pb.authStore.token, cr: world.clients.cr.authStore.token };
});
after(async () => world?.stop());

const forms = {
  // The JS SDK: scalars as text parts, each array/object value in its own @jsonPayload part.
  "js sdk style": [["id", "mult00000000001"], ["title", "t"], ["views", "3"], ["published", "true"], ["@jsonPayload", '{"tags":["a","b"]}'], ["@jsonPayload", '{"meta":{"k":1}}']],
  // The Dart SDK: every non-file field in one @jsonPayload part.
  "dart sdk style": [["@jsonPayload", '{"id":"mult00000000002","title":"d","views":4,"tags":["c"],"meta":[1,2]}']],
  "inferred values": [["id", "mult00000000003"], ["title", "010"], ["views", "1.50"], ["published", "True"], ["site", "https://x.org"]],
  "repeated names are lists": [["id", "mult00000000004"], ["tags", "a"], ["tags", "c"], ["editors", "user00000000001"], ["editors", "user00000000002"]],
  "modifiers in forms": [["id", "mult00000000005"], ["views+", "5"], ["tags+", "b"]],
  "invalid values": [["id", "mult00000000006"], ["tags", "zz"], ["site", "nope"]],
  "broken payload": [["@jsonPayload", "{nope"]],
};


async function send(url, token, parts) {
  const form = new FormData();
  for (const [k, v] of parts) form.append(k, v);
  const res = await fetch(`${url}/api/collections/posts/records`, { method: "POST", headers: { Authorization: token }, body: form });
  const body = await res.json();
  return res.ok ? { status: res.status, body: withoutTimestamps(body) } : { status: res.status, data: body.data };
}

test("multipart bodies match PocketBase", async () => {
  const failures = [];
  for (const [label, parts] of Object.entries(forms)) {
    const want = await send(servers.pb.url, tokens.pb, parts);
    const got = await send(servers.cr.url, tokens.cr, parts);
    try {
      assert.deepEqual(got, want);
    } catch {
      failures.push(`${label}\n    pocketbase: ${JSON.stringify(want)}\n    croft:      ${JSON.stringify(got)}`);
    }
  }
  assert.equal(failures.length, 0, failures.join("\n  "));
});
