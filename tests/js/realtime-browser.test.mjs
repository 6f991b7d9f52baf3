// A browser's own EventSource in headless Chromium receives realtime events from Croft.
import { test } from "node:test";
import assert from "node:assert/strict";
import PocketBase from "pocketbase";
import { startCroft, croft } from "./server.mjs";
import { launch } from "./browser.mjs";

test("Chromium's EventSource receives record events", async () => {
  const server = await startCroft();
  croft(server.dir, "superuser", "upsert", "b@example.com", "password123");
  const browser = await launch();
  try {
    const su = new PocketBase(server.url);
    await su.collection("_superusers").authWithPassword("b@example.com", "password123");
    await su.collections.create({ name: "news", listRule: "", viewRule: "", fields: [{ name: "title", type: "text" }] });
    const page = await browser.context.newPage();
    await page.goto(`${server.url}/_/`);
    await page.evaluate(async () => {
      window.received = [];
      const source = new EventSource("/api/realtime");
      const clientId = await new Promise((resolve) => source.addEventListener("PB_CONNECT", (e) => resolve(JSON.parse(e.data).clientId)));
      source.addEventListener("news/*", (e) => window.received.push(JSON.parse(e.data)));
      const res = await fetch("/api/realtime", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ clientId, subscriptions: ["news/*"] }) });
      if (res.status !== 204) throw new Error(`subscribe: ${res.status}`);
    });
    await su.collection("news").create({ title: "from node" });
    await page.waitForFunction(() => window.received.length > 0, null, { timeout: 10000 });
    const received = await page.evaluate(() => window.received);
    assert.equal(received[0].action, "create");
    assert.equal(received[0].record.title, "from node");
  } finally {
    await browser.close();
    await server.stop();
  }
});
