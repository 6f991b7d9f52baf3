// The dashboard end to end in Chromium: sign in, build a collection, manage records with an
// image, settings, jobs, SQL, API keys; no console error; a screenshot of every main screen
// (tests/artifacts/dashboard/).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { deflateSync } from "node:zlib";
import { startCroft, croft } from "./server.mjs";
import { launch } from "./browser.mjs";

const SHOTS = join(dirname(fileURLToPath(import.meta.url)), "..", "artifacts", "dashboard");
let server, browser, page;
const errors = [];

function png(w, h) {
  const crc = (buf) => { let c = ~0; for (const b of buf) { c ^= b; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; } return ~c >>> 0; };
  const chunk = (t, d) => { const o = Buffer.alloc(12 + d.length); o.writeUInt32BE(d.length); o.write(t, 4, "ascii"); d.copy(o, 8); o.writeUInt32BE(crc(o.subarray(4, 8 + d.length)), 8 + d.length); return o; };
  const ihdr = Buffer.alloc(13); ihdr.writeUInt32BE(w); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = 2;
  const raw = Buffer.alloc((w * 3 + 1) * h, 0x55);
  for (let y = 0; y < h; y++) raw[y * (w * 3 + 1)] = 0;
  return Buffer.concat([Buffer.from([0x89, 80, 78, 71, 13, 10, 26, 10]), chunk("IHDR", ihdr), chunk("IDAT", deflateSync(raw)), chunk("IEND", Buffer.alloc(0))]);
}

async function shot(name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  server = await startCroft();
  croft(server.dir, "superuser", "upsert", "admin@example.com", "password123");
  browser = await launch();
  page = await browser.context.newPage();
  page.on("pageerror", (e) => errors.push(e.message));
  // Chromium logs every 4xx answer as a console error; the test provokes two on purpose (an
  // invalid rule and an invalid filter, both 400). Anything else counts.
  page.on("console", (m) => m.type() === "error" && !/status of 400/.test(m.text()) && errors.push(m.text()));
  // Confirmations are the dashboard's own dialogs; a native one is a regression.
  page.on("dialog", (d) => { errors.push(`native dialog: ${d.message()}`); d.dismiss(); });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test("a superuser manages collections, records, settings, jobs, SQL and keys in the browser", async () => {
  try {
    await journey();
  } catch (err) {
    await shot("failure");
    throw err;
  }
  assert.deepEqual(errors, []);
});

/// Calls the API from the page with the dashboard's own session.
function pageApi(method, path, body) {
  return page.evaluate(async ([method, path, body]) => {
    const token = JSON.parse(localStorage.getItem("croft_auth")).token;
    const headers = { Authorization: token, "Content-Type": "application/json" };
    const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status}`);
    return res.json();
  }, [method, path, body]);
}

async function journey() {
  await page.goto(`${server.url}/_/`);
  await page.fill("#login-form input[name=identity]", "admin@example.com");
  await page.fill("#login-form input[name=password]", "password123");
  await page.click("#login-form button[type=submit]");
  await page.waitForSelector("text=New collection");
  await shot("collections");

  // A collection with six field types and a rule.
  await page.click("text=New collection");
  await page.fill("input[aria-label='Collection name']", "articles");
  const addField = async (name, type, values) => {
    await page.click("text=+ New field");
    await page.click(`.type-grid button[data-type=${type}]`);
    const row = page.locator(".fields .field:not([data-type=autodate])").last();
    await row.locator("input[name=name]").fill(name);
    for (const v of values || []) await row.locator("input[name=values]").fill(v).then(() => row.locator("input[name=values]").press("Enter"));
  };
  await addField("title", "text");
  await addField("views", "number");
  await addField("published", "bool");
  await addField("category", "select", ["news", "blog"]);
  await addField("meta", "json");
  await addField("cover", "file");
  // The field's raw JSON, behind the "Advanced" switch, rebuilds the form when edited.
  const cover = page.locator(".fields .field:not([data-type=autodate])").last();
  await cover.locator("details.advanced summary").click();
  // The details' toggle event (which fills the JSON) fires after the click returns.
  const area = cover.locator("textarea[aria-label='Field JSON']");
  await page.waitForFunction((el) => el.value !== "", await area.elementHandle());
  const raw = JSON.parse(await area.inputValue());
  Object.assign(raw, { maxSize: 3000000, mimeTypes: ["image/png", "image/jpeg"], thumbs: ["50x50"] });
  await cover.locator("textarea[aria-label='Field JSON']").fill(JSON.stringify(raw));
  await cover.locator("textarea[aria-label='Field JSON']").press("Tab");
  await page.locator(".fields .field[data-type=file]").locator(".chip", { hasText: "image/jpeg" }).waitFor();
  await page.uncheck("input[aria-label='List rule locked']");
  await page.fill("input[aria-label='List rule']", "");
  await page.uncheck("input[aria-label='View rule locked']");
  await page.click("form.card button[type=submit]");
  await page.waitForSelector("text=Saved articles.");
  const saved = await pageApi("GET", "/api/collections/articles");
  const coverField = saved.fields.find((f) => f.name === "cover");
  assert.deepEqual([coverField.maxSize, coverField.mimeTypes, coverField.thumbs], [3000000, ["image/png", "image/jpeg"], ["50x50"]], "field options from the JSON box");
  assert.equal(saved.fields.length, 9, "id, created, updated and six fields");
  // The rule is checked on the server as it is typed.
  await page.fill("input[aria-label='View rule']", "title = ");
  await page.waitForSelector("text=/invalid|Something went wrong/i");
  await page.fill("input[aria-label='View rule']", "title != ''");
  await page.waitForSelector("text=✓ valid");
  await page.click("form.card button[type=submit]");
  await page.waitForSelector("text=Saved articles.");
  await shot("collection-editor");

  // Records: two with an image, then filter, sort, edit and delete.
  for (const [title, views] of [["Hello world", 5], ["Second post", 9]]) {
    await page.goto(`${server.url}/_/#/records/articles/new`);
    await page.waitForSelector("text=New articles record");
    await page.fill("dialog.panel input[name=title]", title);
    await page.fill("dialog.panel input[name=views]", String(views));
    await page.check("dialog.panel input[name=published]");
    await page.selectOption("dialog.panel select[name=category]", "blog");
    await page.fill("dialog.panel textarea[name=meta]", '{"tags": ["a"]}');
    await page.setInputFiles("input[aria-label='Upload cover']", { name: "cover.png", mimeType: "image/png", buffer: png(64, 48) });
    await page.click("dialog.panel button[type=submit]");
    await page.waitForSelector(".toast:has-text('Created the record')");
    await page.waitForSelector("dialog.panel", { state: "detached" });
  }
  await page.goto(`${server.url}/_/#/records/articles`);
  await page.waitForSelector("text=Total: 2");
  await page.waitForSelector("img.thumb");
  await shot("records");
  await page.fill("input[aria-label='Filter']", "title ~ 'Second'");
  await page.press("input[aria-label='Filter']", "Enter");
  await page.waitForSelector("text=Total: 1");
  await page.fill("input[aria-label='Filter']", "title ~~ broken");
  await page.press("input[aria-label='Filter']", "Enter");
  await page.waitForSelector("[role=alert]:has-text('filter')");
  await page.fill("input[aria-label='Filter']", "");
  await page.press("input[aria-label='Filter']", "Enter");
  await page.click("th button:has-text('views')");
  await page.click("th button:has-text('views')");
  // Columns: a checkbox, then id, title, views …
  await page.waitForFunction(() => document.querySelector("tbody tr td:nth-child(3)")?.textContent === "Second post");
  await page.click("tbody tr:first-child td:nth-child(3)");
  await page.waitForSelector("dialog.panel");
  await page.goBack();
  await page.waitForSelector("dialog.panel", { state: "detached" });
  // Columns can be chosen: hide the id column.
  await page.click("summary:has-text('Columns')");
  await page.uncheck("details label:has-text('id') input");
  await page.waitForFunction(() => ![...document.querySelectorAll("th button")].some((b) => b.textContent === "id"));
  await page.click("tbody tr:has-text('Second post') td:nth-child(2)");
  await page.waitForSelector("dialog.panel");
  await page.fill("dialog.panel input[name=title]", "Second post, edited");
  await shot("record-editor");
  await page.click("dialog.panel button[type=submit]");
  await page.waitForSelector(".toast:has-text('Saved the record')");
  await page.click("tbody tr:has-text('Second post, edited') td:nth-child(2)");
  await page.click("dialog.panel button:has-text('Delete')");
  await page.click("dialog.confirm button.danger");
  await page.waitForSelector("text=Total: 1");

  // The relation picker finds related records by their text fields, not only by id.
  const articles = await pageApi("GET", "/api/collections/articles");
  await pageApi("POST", "/api/collections", { name: "comments", type: "base", fields: [{ name: "note", type: "text" }, { name: "article", type: "relation", collectionId: articles.id, maxSelect: 1 }] });
  const articleId = (await pageApi("GET", "/api/collections/articles/records")).items[0].id;
  await page.goto(`${server.url}/_/#/records/comments/new`);
  await page.fill("dialog.panel input[name=note]", "Nice");
  await page.fill("input[aria-label='Search article']", "hello");
  await page.click(`button.pick[data-id='${articleId}']:has-text('Hello world')`);
  await page.waitForSelector(`.relation .chip[data-id='${articleId}']:has-text('Hello world')`);
  await page.click("dialog.panel button[type=submit]");
  await page.waitForSelector(".toast:has-text('Created the record')");
  const comment = (await pageApi("GET", "/api/collections/comments/records")).items[0];
  assert.equal(comment.article, articleId);

  // Settings, jobs, SQL, API keys.
  await page.click("nav >> text=Settings");
  await page.fill("input[name='meta.appName']", "Dashboard Test");
  await page.locator("form", { hasText: "Application" }).locator("button[type=submit]").click();
  await page.waitForSelector("text=Saved.");
  await shot("settings");

  // Auth options of the users collection: OTP on, a shorter auth token lifetime.
  await page.goto(`${server.url}/_/#/collections/users`);
  await page.check("input[aria-label='One-time passwords']");
  await page.fill("input[aria-label='Auth token lifetime in seconds']", "3600");
  await page.uncheck("input[aria-label='Manage rule locked']");
  await page.fill("input[aria-label='Manage rule']", "@request.auth.id = id");
  await page.click("form.card button[type=submit]");
  await page.waitForSelector("text=Saved users.");
  await shot("auth-options");
  const users = await pageApi("GET", "/api/collections/users");
  assert.equal(users.otp.enabled, true);
  assert.equal(users.authToken.duration, 3600);
  assert.equal(users.manageRule, "@request.auth.id = id");
  assert.equal(users.passwordAuth.enabled, true, "untouched options keep their values");
  await page.click("nav >> text=Jobs");
  await page.locator("tr", { hasText: "db_maintenance" }).locator("text=Run now").click();
  await page.waitForSelector("text=Ran db_maintenance.");
  await shot("jobs");
  await page.click("nav >> text=SQL");
  await page.fill("textarea[aria-label='SQL query']", "SELECT title, views FROM articles");
  await page.click("text=Run (Ctrl+Enter)");
  await page.waitForSelector("td:has-text('Hello world')");
  await page.fill("textarea[aria-label='SQL query']", "DELETE FROM articles");
  await page.click("text=Run (Ctrl+Enter)");
  await page.waitForSelector(".error:has-text('readonly')");
  await shot("sql");
  await page.click("nav >> text=Files");
  await page.click(".tabs >> text=articles");
  await page.waitForSelector("td:has-text('cover')");
  await shot("files");
  await page.click("nav >> text=API keys");
  await page.fill("input[aria-label='Key name']", "importer");
  await page.fill("input[aria-label='Scopes']", "articles:list,view");
  await page.click("text=Create key");
  await page.waitForSelector("text=/croft_[a-z0-9]{15}_/");
  await shot("keys");
  await page.locator("tr", { hasText: "importer" }).locator("text=Revoke").click();
  await page.click("dialog.confirm button.danger");
  await page.waitForSelector("text=Revoked importer.");
  await page.goto(`${server.url}/_/#/collections/articles/api`);
  await page.waitForSelector("text=API preview: articles");
  await shot("api-preview");

  // A 360-pixel-wide screen still shows the records.
  await page.setViewportSize({ width: 360, height: 740 });
  await page.goto(`${server.url}/_/#/records/articles`);
  await page.waitForSelector("text=Total: 1");
  await shot("records-mobile");
}
