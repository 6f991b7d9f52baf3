// The first superuser through the one-time installer link `croft serve` prints, in Chromium.
import { test } from "node:test";
import assert from "node:assert/strict";
import PocketBase from "pocketbase";
import { startCroft } from "./server.mjs";
import { launch } from "./browser.mjs";

test("the installer link creates the first superuser once", async () => {
  const server = await startCroft();
  const browser = await launch();
  try {
    let link;
    for (let i = 0; i < 100 && !link; i++) {
      link = server.output.map((l) => l.match(/(http\S+\/_\/#\/install\/[A-Za-z0-9]+)/)?.[1]).find(Boolean);
      if (!link) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(link, "serve prints the installer link while no superuser exists");
    const page = await browser.context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    await page.goto(link);
    await page.fill("#install-form input[name=email]", "first@example.com");
    await page.fill("#install-form input[name=password]", "password123");
    await page.fill("#install-form input[name=passwordConfirm]", "password123");
    await page.click("#install-form button[type=submit]");
    await page.waitForSelector("#home:not([hidden])");
    assert.equal(await page.textContent("#who"), "first@example.com");
    assert.deepEqual(errors, []);

    const pb = new PocketBase(server.url);
    await pb.collection("_superusers").authWithPassword("first@example.com", "password123");
    assert.ok(pb.authStore.isSuperuser);
    const token = link.split("/").pop();
    const again = await fetch(`${server.url}/api/installer`, {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ token, email: "second@example.com", password: "password123", passwordConfirm: "password123" }),
    });
    assert.equal(again.status, 400, "the link works once, and only while there is no superuser");
  } finally {
    await browser.close();
    await server.stop();
  }
});
