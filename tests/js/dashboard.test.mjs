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
  page.on("dialog", (d) => d.accept());
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
  const addField = async (name, type, extra) => {
    await page.click("text=Add field");
    const row = page.locator(".fields .field").last();
    await row.locator("input[name=name]").fill(name);
    await row.locator("select[name=type]").selectOption(type);
    if (extra) await row.locator("input[name=extra]").fill(extra);
  };
  await addField("title", "text");
  await addField("views", "number");
  await addField("published", "bool");
  await addField("category", "select", "news, blog");
  await addField("meta", "json");
  await addField("cover", "file", "1");
  const cover = page.locator(".fields .field").last();
  await cover.locator("summary").click();
  await cover.locator("textarea[name=options]").fill('{"maxSize": 3000000, "mimeTypes": ["image/png", "image/jpeg"], "thumbs": ["50x50"]}');
  await page.uncheck("input[aria-label='List rule locked']");
  await page.fill("input[aria-label='List rule']", "");
  await page.uncheck("input[aria-label='View rule locked']");
  await page.click("text=Save");
  await page.waitForSelector("text=Saved articles.");
  const saved = await pageApi("GET", "/api/collections/articles");
  const coverField = saved.fields.find((f) => f.name === "cover");
  assert.deepEqual([coverField.maxSize, coverField.mimeTypes, coverField.thumbs], [3000000, ["image/png", "image/jpeg"], ["50x50"]], "field options from the JSON box");
  assert.equal(saved.fields.length, 7, "id and six fields");
  // The rule is checked on the server as it is typed.
  await page.fill("input[aria-label='View rule']", "title = ");
  await page.waitForSelector("text=/invalid|Something went wrong/i");
  await page.fill("input[aria-label='View rule']", "title != ''");
  await page.waitForSelector("text=✓ valid");
  await page.click("text=Save");
  await page.waitForSelector("text=Saved articles.");
  await shot("collection-editor");

  // Records: two with an image, then filter, sort, edit and delete.
  for (const [title, views] of [["Hello world", 5], ["Second post", 9]]) {
    await page.goto(`${server.url}/_/#/records/articles/new`);
    await page.waitForSelector("text=New articles record");
    await page.fill("label:has-text('title') input", title);
    await page.fill("label:has-text('views') input", String(views));
    await page.check("label:has-text('published') input");
    await page.selectOption("label:has-text('category') select", "blog");
    await page.fill("label:has-text('meta') textarea", '{"tags": ["a"]}');
    await page.setInputFiles("input[aria-label='Upload cover']", { name: "cover.png", mimeType: "image/png", buffer: png(64, 48) });
    await page.click("#view form button[type=submit]");
    await page.waitForSelector("text=Saved.");
    // The dashboard then moves to the new record's page: let it get there first, or its late
    // hash change lands after the next navigation and the next form edits this record.
    await page.waitForURL(/#\/records\/articles\/[a-z0-9]{15}$/);
  }
  await page.goto(`${server.url}/_/#/records/articles`);
  await page.waitForSelector("text=2 records");
  await page.waitForSelector("img.thumb");
  await shot("records");
  await page.fill("input[aria-label='Filter']", "title ~ 'Second'");
  await page.press("input[aria-label='Filter']", "Enter");
  await page.waitForSelector("text=1 records");
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
  await page.waitForSelector("text=Back to list");
  await page.goBack();
  // Columns can be chosen: hide the id column.
  await page.click("summary:has-text('Columns')");
  await page.uncheck("details label:has-text('id') input");
  await page.waitForFunction(() => ![...document.querySelectorAll("th button")].some((b) => b.textContent === "id"));
  await page.click("tbody tr:has-text('Second post') td:nth-child(2)");
  await page.waitForSelector("text=Back to list");
  await page.fill("label:has-text('title') input", "Second post, edited");
  await page.click("#view form button[type=submit]");
  await page.waitForSelector("text=Saved.");
  await shot("record-editor");
  await page.click("text=Delete");
  await page.waitForSelector("text=1 records");

  // The relation picker finds related records by their text fields, not only by id.
  const articles = await pageApi("GET", "/api/collections/articles");
  await pageApi("POST", "/api/collections", { name: "comments", type: "base", fields: [{ name: "note", type: "text" }, { name: "article", type: "relation", collectionId: articles.id, maxSelect: 1 }] });
  const articleId = (await pageApi("GET", "/api/collections/articles/records")).items[0].id;
  await page.goto(`${server.url}/_/#/records/comments/new`);
  await page.fill("label:has-text('note') input", "Nice");
  await page.fill("input[aria-label='Search article']", "hello");
  await page.click(`button:has-text('Hello world (${articleId})')`);
  assert.equal(await page.inputValue("input[name=article]"), articleId);
  await page.click("#view form button[type=submit]");
  await page.waitForSelector("text=Saved.");

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
  await page.waitForSelector("text=Revoked importer.");
  await page.goto(`${server.url}/_/#/collections/articles/api`);
  await page.waitForSelector("text=API preview: articles");
  await shot("api-preview");

  // A 360-pixel-wide screen still shows the records.
  await page.setViewportSize({ width: 360, height: 740 });
  await page.goto(`${server.url}/_/#/records/articles`);
  await page.waitForSelector("text=1 records");
  await shot("records-mobile");
}
