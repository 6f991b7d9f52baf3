// A team's SPA mounted with --mount in Chromium: it loads under a strict CSP (so its module is
// served with the right type), navigates with history.pushState, and a reloaded deep link
// falls back to the SPA. The script is served from a precompressed sibling.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brotliCompressSync, gzipSync } from "node:zlib";
import { startCroft } from "./server.mjs";
import { launch } from "./browser.mjs";

const SCRIPT = "assets/app-5e1f09c2.js";

const INDEX = `<!doctype html>
<html><head><meta charset="utf-8"><title>IT app</title>
<script type="module" src="/it/${SCRIPT}"></script></head>
<body><nav><a href="/it/">Home</a> <a href="/it/tickets/42">Ticket 42</a> <a href="/it/people/ada">Ada</a></nav>
<main id="view">loading</main></body></html>`;

// Renders the path; in-app links change it with history.pushState instead of loading a page.
const APP = `
window.loads = (window.loads ?? 0) + 1;
const view = document.getElementById("view");
function render() {
  view.textContent = "route " + location.pathname;
}
document.addEventListener("click", (event) => {
  const link = event.target.closest("a");
  if (!link || !link.pathname.startsWith("/it/")) return;
  event.preventDefault();
  history.pushState({}, "", link.pathname);
  render();
});
window.addEventListener("popstate", render);
render();
`;

let site, server, browser, page;
const errors = [];

before(async () => {
  site = mkdtempSync(join(tmpdir(), "croft-it-app-"));
  mkdirSync(join(site, "assets"));
  writeFileSync(join(site, "index.html"), INDEX);
  writeFileSync(join(site, SCRIPT), "throw new Error('the uncompressed script was served');");
  writeFileSync(join(site, `${SCRIPT}.br`), brotliCompressSync(APP));
  writeFileSync(join(site, `${SCRIPT}.gz`), gzipSync(APP));
  server = await startCroft({ args: ["--mount", `/it=${site}`], env: { CROFT_CSP: "default-src 'self'" } });
  browser = await launch();
  page = await browser.context.newPage();
  page.on("pageerror", (e) => errors.push(e.message));
  // Failed loads are reported by URL; Chromium's own /favicon.ico probe finds no root site.
  page.on("response", (r) => r.status() >= 400 && !r.url().endsWith("/favicon.ico") && errors.push(`${r.status()} ${r.url()}`));
  page.on("console", (m) => m.type() === "error" && !m.text().startsWith("Failed to load resource") && errors.push(m.text()));
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (site) rmSync(site, { recursive: true, force: true });
});

test("a mounted SPA navigates in the browser and deep links reload into it", async () => {
  const first = await page.goto(`${server.url}/it/`);
  assert.equal(first.headers()["content-security-policy"], "default-src 'self'");
  await page.waitForSelector("#view:has-text('route /it/')");

  // In-app navigation: the URL changes, the page is not loaded again.
  await page.click("text=Ticket 42");
  await page.waitForSelector("#view:has-text('route /it/tickets/42')");
  assert.equal(new URL(page.url()).pathname, "/it/tickets/42");
  await page.click("text=Ada");
  await page.waitForSelector("#view:has-text('route /it/people/ada')");
  assert.equal(await page.evaluate(() => window.loads), 1);
  await page.goBack();
  await page.waitForSelector("#view:has-text('route /it/tickets/42')");

  // A reload of the deep link asks the server for /it/tickets/42: the fallback serves the SPA.
  const reloaded = await page.reload();
  assert.equal(reloaded.status(), 200);
  await page.waitForSelector("#view:has-text('route /it/tickets/42')");
  assert.equal(await page.evaluate(() => window.loads), 1, "a fresh page");

  // A deep link opened directly, and /it without its slash.
  await page.goto(`${server.url}/it/people/grace`);
  await page.waitForSelector("#view:has-text('route /it/people/grace')");
  await page.goto(`${server.url}/it`);
  assert.equal(new URL(page.url()).pathname, "/it/");
  await page.waitForSelector("#view:has-text('route /it/')");
  assert.deepEqual(errors, []);
});
