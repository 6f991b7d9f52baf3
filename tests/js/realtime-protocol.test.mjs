// Realtime protocol details: every message is one line of JSON (the Dart SDK keeps only the
// last `data:` line), and the SDK reconnects and resubscribes after a server restart.
import { test } from "node:test";
import assert from "node:assert/strict";
import { EventSource } from "eventsource";
import PocketBase from "pocketbase";
import { startCroft, croft } from "./server.mjs";

globalThis.EventSource = EventSource;
const ADMIN = ["rt@example.com", "password123"];

async function withCollection(url) {
  const su = new PocketBase(url);
  await su.collection("_superusers").authWithPassword(...ADMIN);
  await su.collections.create({ name: "notes", listRule: "", viewRule: "", fields: [{ name: "text", type: "text" }, { name: "meta", type: "json" }] });
  return su;
}

/// Reads the raw stream and checks each event with the Dart SDK's line rule.
test("every event's data is a single line of JSON", async () => {
  const server = await startCroft();
  croft(server.dir, "superuser", "upsert", ...ADMIN);
  try {
    const su = await withCollection(server.url);
    const res = await fetch(`${server.url}/api/realtime`);
    assert.equal(res.headers.get("content-type"), "text/event-stream");
    assert.equal(res.headers.get("x-accel-buffering"), "no");
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    const events = [];
    const pump = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          events.push(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    })();
    while (events.length === 0) await new Promise((r) => setTimeout(r, 20));
    const clientId = JSON.parse(events[0].split("\n").find((l) => l.startsWith("data:")).replace(/^data:\s?/, "")).clientId;
    const sub = await fetch(`${server.url}/api/realtime`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ clientId, subscriptions: ["notes/*"] }) });
    assert.equal(sub.status, 204);
    await su.collection("notes").create({ text: "line one\nline two\r\nthree", meta: { nested: ["a\nb"] } });
    while (events.length < 2) await new Promise((r) => setTimeout(r, 20));
    const dart = /^(\w+)[\s:]+(.*)?$/;
    for (const e of events) {
      const lines = e.split("\n").filter((l) => l && !l.startsWith(":"));
      const data = lines.filter((l) => l.startsWith("data"));
      assert.equal(data.length, 1, `one data line: ${e}`);
      const m = dart.exec(data[0]);
      assert.ok(m, data[0]);
      JSON.parse(m[2]);
      assert.ok(lines.some((l) => l.replace(/^id:\s?/, "") === clientId), "every message carries the client id");
    }
    assert.equal(JSON.parse(dart.exec(events[1].split("\n").find((l) => l.startsWith("data")))[2]).record.text, "line one\nline two\r\nthree");
    await reader.cancel();
    await pump.catch(() => {});
  } finally {
    await server.stop();
  }
});

test("the SDK reconnects and resubscribes after a restart", async () => {
  const probe = await startCroft();
  const addr = new URL(probe.url).host;
  await probe.stop();
  let server = await startCroft({ addr });
  croft(server.dir, "superuser", "upsert", ...ADMIN);
  const dir = server.dir;
  try {
    const su = await withCollection(server.url);
    const pb = new PocketBase(server.url);
    const seen = [];
    await pb.collection("notes").subscribe("*", (e) => seen.push(e.record.text));
    await su.collection("notes").create({ text: "before" });
    while (!seen.includes("before")) await new Promise((r) => setTimeout(r, 20));

    await server.stop({ keepData: true });
    server = await startCroft({ dir, addr });
    const su2 = new PocketBase(server.url);
    await su2.collection("_superusers").authWithPassword(...ADMIN);
    const deadline = Date.now() + 15000;
    while (!seen.includes("after") && Date.now() < deadline) {
      await su2.collection("notes").create({ text: "after" });
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(seen.includes("after"), `no event after the restart: ${seen}`);
    pb.realtime.unsubscribe();
  } finally {
    await server.stop();
  }
});
