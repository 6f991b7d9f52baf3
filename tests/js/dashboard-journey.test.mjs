// A new user's journey through the dashboard in Chromium, at 1280 px and at 390 px: signed-out
// pages without the signed-in chrome, a collection with many field types built through the
// form (no JSON typed), a field error shown at the row it concerns, records created, sorted,
// edited and deleted, read as people read them (chips, relation by name, switches, sort
// indicator, total, toasts), the API preview, a not-found view and honest SQL/API-key feedback.
// Screenshots of every screen go to $TEST_SHOTS (default: a fresh directory under /tmp).
import assert from "node:assert/strict";
import { deflateSync } from "node:zlib";
import { addField, dashboardTests } from "./dashboard-harness.mjs";

const ctx = dashboardTests(
  { title: "a new user's journey", shots: "croft-dashboard-shots-", numbered: true, fullPage: true },
  (page, shot, width) => journey(page, shot, `posts${width}`),
);

/// A small solid-colour PNG.
function png(w, h) {
  const crc = (buf) => { let c = ~0; for (const b of buf) { c ^= b; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; } return ~c >>> 0; };
  const chunk = (t, d) => { const o = Buffer.alloc(12 + d.length); o.writeUInt32BE(d.length); o.write(t, 4, "ascii"); d.copy(o, 8); o.writeUInt32BE(crc(o.subarray(4, 8 + d.length)), 8 + d.length); return o; };
  const ihdr = Buffer.alloc(13); ihdr.writeUInt32BE(w); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = 2;
  const raw = Buffer.alloc((w * 3 + 1) * h, 0x3a);
  for (let y = 0; y < h; y++) raw[y * (w * 3 + 1)] = 0;
  return Buffer.concat([Buffer.from([0x89, 80, 78, 71, 13, 10, 26, 10]), chunk("IHDR", ihdr), chunk("IDAT", deflateSync(raw)), chunk("IEND", Buffer.alloc(0))]);
}

/// Calls the API from the page with the dashboard's own session.
function pageApi(page, method, path, body) {
  return page.evaluate(async ([method, path, body]) => {
    const token = JSON.parse(localStorage.getItem("croft_auth")).token;
    const res = await fetch(path, { method, headers: { Authorization: token, "Content-Type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.status === 204 ? null : res.json();
  }, [method, path, body]);
}

/// Opens a screen from the nav, through the Menu button on a phone.
async function navTo(page, text) {
  if (await page.isVisible("#menu")) await page.click("#menu");
  await page.click(`nav >> text=${text}`);
}

async function expectToast(page, text) {
  await page.locator(".toast", { hasText: text }).first().waitFor();
}

async function journey(page, shot, name) {
  // Signed out: the sign-in page, without the nav or "Sign out".
  await page.goto(`${ctx.server.url}/_/`);
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await page.waitForSelector("#login h1");
  assert.equal(await page.isVisible("#nav"), false, "no nav when signed out");
  assert.equal(await page.isVisible("#signout"), false, "no Sign out when signed out");
  await shot("signin");
  await page.goto(`${ctx.server.url}/_/#/install/abc123`);
  await page.waitForSelector("#install h1");
  assert.equal(await page.isVisible("#nav"), false, "no nav on the installer page");
  await shot("installer");

  await page.goto(`${ctx.server.url}/_/`);
  await page.fill("#login-form input[name=identity]", "admin@example.com");
  await page.fill("#login-form input[name=password]", "password123");
  await page.click("#login-form button[type=submit]");
  await page.waitForSelector("h1:has-text('Collections')");
  assert.equal(await page.isVisible("#nav"), true);
  // A phone folds the nav behind "Menu"; a wide screen shows it.
  assert.equal(await page.isVisible("#nav >> text=Settings"), page.viewportSize().width > 640);
  // System collections are folded under "System".
  assert.equal(await page.isVisible("td a:text-is('users')"), true);
  assert.equal(await page.isVisible("td a:text-is('_superusers')"), false, "system collections folded");
  await page.click("details.system summary");
  await page.waitForSelector("td a:text-is('_superusers')");
  await shot("collections");

  // An unknown route says so.
  await page.goto(`${ctx.server.url}/_/#/no-such-screen`);
  await page.waitForSelector("h1:has-text('Page not found')");
  await shot("not-found");

  // A person to relate posts to.
  const users = await pageApi(page, "GET", "/api/collections/users");
  await pageApi(page, "POST", "/api/collections/users/records", { email: `alice-${name}@example.com`, name: `Alice ${name}`, password: "password123", passwordConfirm: "password123" });

  // The new collection, through the form only.
  await page.goto(`${ctx.server.url}/_/#/collections/new`);
  await page.fill("input[aria-label='Collection name']", name);
  const rowNames = () => page.$$eval(".fields .field input[name=name]", (els) => els.map((e) => e.value));
  assert.deepEqual(await rowNames(), ["created", "updated"], "created/updated by default");
  const title = await addField(page, "text", "title");
  await title.locator("label.toggle:has-text('Required') input").check();
  await title.locator("input[name=min]").fill("3");
  const slug = await addField(page, "text", "slug");
  await slug.locator("input[name=pattern]").fill("([a-z");
  const views = await addField(page, "number", "views");
  await views.locator("input[name=min]").fill("0");
  await views.locator("label.toggle:has-text('Integers only') input").check();
  await addField(page, "bool", "published");
  const tags = await addField(page, "select", "tags");
  for (const v of ["news", "tech", "life"]) {
    await tags.locator("input[name=values]").fill(v);
    await tags.locator("input[name=values]").press("Enter");
  }
  await tags.locator("label:has-text('Multiple') input").check();
  const cover = await addField(page, "file", "cover");
  await cover.locator("select[aria-label='MIME type presets']").selectOption({ label: "Images (jpg, png, svg, gif, webp)" });
  await cover.locator("input[name=thumbs]").fill("50x50");
  await cover.locator("input[name=thumbs]").press("Enter");
  const author = await addField(page, "relation", "author");
  await author.locator("select[name=collectionId]").selectOption({ label: "users" });
  await addField(page, "json", "meta");
  // New fields went before the timestamps; move "published" above "views" with its button.
  await page.locator(".fields .field").nth(3).locator("button[aria-label='Move up']").click();
  assert.deepEqual(await rowNames(), ["title", "slug", "published", "views", "tags", "cover", "author", "meta", "created", "updated"]);
  await page.uncheck("input[aria-label='List rule locked']");
  await page.uncheck("input[aria-label='View rule locked']");
  await shot("collection-new");

  // The bad pattern is reported at the "slug" row (position 2 in the API, with the hidden id
  // first), not at a row counted with hidden fields.
  await page.click("form.card button[type=submit]");
  await page.waitForSelector(".field.invalid");
  const invalid = await page.$$eval(".field.invalid", (rows) => rows.map((r) => [r.querySelector("input[name=name]").value, r.querySelector(".field-error").textContent]));
  assert.equal(invalid.length, 1);
  assert.equal(invalid[0][0], "slug");
  assert.match(invalid[0][1], /regular expression/i);
  await expectToast(page, "Failed");
  await shot("collection-field-error");
  await slug.locator("input[name=pattern]").fill("^[a-z0-9-]+$");
  await page.click("form.card button[type=submit]");
  await expectToast(page, `Saved the collection ${name}`);
  await page.waitForURL(new RegExp(`#/collections/${name}$`));
  await page.waitForSelector(`h1:has-text('Collection ${name}')`);
  await shot("collection-saved");

  const saved = await pageApi(page, "GET", `/api/collections/${name}`);
  const by = Object.fromEntries(saved.fields.map((f) => [f.name, f]));
  assert.deepEqual(saved.fields.map((f) => f.name), ["id", "title", "slug", "published", "views", "tags", "cover", "author", "meta", "created", "updated"]);
  assert.deepEqual([by.created.type, by.created.onCreate, by.created.onUpdate, by.updated.onUpdate], ["autodate", true, false, true]);
  assert.deepEqual([by.title.required, by.title.min], [true, 3]);
  assert.equal(by.slug.pattern, "^[a-z0-9-]+$");
  assert.deepEqual([by.views.min, by.views.max, by.views.onlyInt], [0, null, true]);
  assert.deepEqual([by.tags.values, by.tags.maxSelect], [["news", "tech", "life"], 3]);
  assert.deepEqual([by.cover.maxSelect, by.cover.thumbs], [1, ["50x50"]]);
  assert.ok(by.cover.mimeTypes.includes("image/png") && by.cover.mimeTypes.includes("image/webp"), "Images preset");
  assert.deepEqual([by.author.collectionId, by.author.maxSelect], [users.id, 1]);
  assert.equal(saved.listRule, "");

  // Records through the panel: a relation picked by name, tags as chips, an image.
  const create = async (values) => {
    await page.goto(`${ctx.server.url}/_/#/records/${name}`);
    await page.click("text=New record");
    const panel = page.locator("dialog.panel");
    await panel.waitFor();
    await panel.locator("input[name=title]").fill(values.title);
    if (values.views !== undefined) await panel.locator("input[name=views]").fill(String(values.views));
    if (values.published) await panel.locator("label.toggle:has-text('published') input").check();
    for (const t of values.tags || []) await panel.locator(`.choice:has-text('${t}')`).click();
    if (values.author) {
      await panel.locator("input[aria-label='Search author']").fill(`Alice ${name}`);
      await panel.locator("button.pick", { hasText: `Alice ${name}` }).click();
      await panel.locator(".relation .chip", { hasText: "Alice" }).waitFor();
    }
    if (values.cover) await panel.locator("input[aria-label='Upload cover']").setInputFiles({ name: "cover.png", mimeType: "image/png", buffer: png(64, 48) });
    if (values.shot) await shot("record-new");
    await panel.locator("button[type=submit]").click();
    await expectToast(page, "Created the record");
    await page.waitForSelector("dialog.panel", { state: "detached" });
  };
  await create({ title: "Hello world", views: 5, published: true, tags: ["news", "tech"], author: true, cover: true, shot: true });
  // A second later, so that "newest first" has something to order.
  await page.waitForTimeout(1100);
  await create({ title: "Second post", views: 9, tags: ["life"] });

  await page.waitForSelector("text=Total: 2");
  const firstTitle = () => page.locator("tbody tr").first().locator("td[data-label=title]").textContent();
  assert.equal(await firstTitle(), "Second post", "newest first by default");
  assert.equal(await page.getAttribute("th[data-key=created]", "aria-sort"), "descending");
  assert.equal(await page.locator("th[data-key=created] .sort-arrow").textContent(), "↓");
  const hello = page.locator("tbody tr", { hasText: "Hello world" });
  assert.deepEqual(await hello.locator("td[data-label=tags] .chip").allTextContents(), ["news", "tech"]);
  assert.equal(await hello.locator("td[data-label=author] .chip").textContent(), `Alice ${name}`, "relation shown by name");
  assert.equal(await hello.locator("td[data-label=published] input.switch").isChecked(), true);
  await hello.locator("img.thumb").waitFor();
  assert.ok(await hello.locator("td[data-label=created] time").getAttribute("title").then((t) => / UTC$/.test(t)), "UTC on hover");
  await shot("records");
  await page.click("th[data-key=title] button");
  await page.waitForSelector("th[data-key=title][aria-sort=ascending]");
  assert.equal(await firstTitle(), "Hello world");
  assert.equal(await page.locator("th[data-key=title] .sort-arrow").textContent(), "↑");
  await shot("records-sorted");

  // Edit, then delete with a styled confirmation.
  await hello.locator("td[data-label=title]").click();
  const panel = page.locator("dialog.panel");
  await panel.waitFor();
  assert.equal(await panel.locator(".relation .chip").first().textContent().then((t) => t.replace("×", "")), `Alice ${name}`);
  await panel.locator("input[name=title]").fill("Hello again");
  await shot("record-edit");
  await panel.locator("button[type=submit]").click();
  await expectToast(page, "Saved the record");
  await page.waitForSelector("td[data-label=title]:text-is('Hello again')");
  await page.locator("tbody tr", { hasText: "Hello again" }).locator("td[data-label=title]").click();
  await panel.locator("button:has-text('Delete')").click();
  await page.waitForSelector("dialog.confirm");
  await shot("record-delete-confirm");
  await page.click("dialog.confirm button.danger");
  await expectToast(page, "Deleted the record");
  await page.waitForSelector("text=Total: 1");

  // The API preview shows snippets, not "[object HTMLHeadingElement]".
  await page.goto(`${ctx.server.url}/_/#/collections/${name}/api`);
  await page.waitForSelector(`text=API preview: ${name}`);
  assert.doesNotMatch(await page.textContent("#view"), /\[object /);
  await page.waitForSelector(`pre:has-text('pb.collection("${name}").getList(1, 30')`);
  await shot("api-preview-js");
  await page.click("button[role=tab]:has-text('curl')");
  await page.waitForSelector(`pre:has-text("curl -X DELETE")`);
  await shot("api-preview-curl");

  // The SQL console's read-only refusal says how to allow writes.
  await navTo(page, "SQL");
  await page.fill("textarea[aria-label='SQL query']", `DELETE FROM ${name}`);
  await page.click("text=Run (Ctrl+Enter)");
  await page.waitForSelector(".error:has-text('allow writes')");
  await shot("sql-readonly");

  // A failed key creation clears the key shown before; a new key has a copy button.
  await navTo(page, "API keys");
  await page.fill("input[aria-label='Key name']", `k${name}`);
  await page.fill("input[aria-label='Scopes']", `${name}:list,view`);
  await page.click("text=Create key");
  await page.waitForSelector(".new-key button:has-text('Copy key')");
  await shot("keys-created");
  await page.fill("input[aria-label='Key name']", `bad${name}`);
  await page.fill("input[aria-label='Scopes']", `${name}:read`);
  await page.click("text=Create key");
  await page.waitForSelector(".error:has-text('Unknown action')");
  assert.equal(await page.isVisible(".new-key"), false, "the earlier key is gone");
  assert.equal(await page.locator("text=/croft_[a-z0-9]{15}_/").count(), 0);
  await shot("keys-failed");

  // Signing out leaves no signed-in chrome.
  if (await page.isVisible("#menu")) await page.click("#menu");
  await page.click("#signout");
  await page.waitForSelector("#login h1");
  assert.equal(await page.isVisible("#nav"), false);
  await shot("signed-out");
}
