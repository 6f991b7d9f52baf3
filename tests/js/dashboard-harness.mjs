// The frame of the dashboard's Chromium tests: one Croft with a superuser
// (admin@example.com / password123) per file, and the test run once per screen width in a browser
// of its own (no session left over from the other width) that fails on page errors, unexpected
// console errors and native dialogs.
// Screenshots go to $TEST_SHOTS (default: a fresh directory under /tmp).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startCroft, croft } from "./server.mjs";
import { launch } from "./browser.mjs";

export const WIDTHS = [[1280, 800], [390, 844]];

/// Registers `title at W px` for each width; `run(page, shot, width)` drives the page. `numbered`
/// screenshots keep their order in the file names; `fullPage` captures whole pages. The returned
/// context holds `server` once the tests run.
export function dashboardTests({ title, shots, numbered = false, fullPage = false }, run) {
  const root = process.env.TEST_SHOTS || mkdtempSync(join(tmpdir(), shots));
  const ctx = {};
  before(async () => {
    ctx.server = await startCroft();
    croft(ctx.server.dir, "superuser", "upsert", "admin@example.com", "password123");
    console.log(`screenshots: ${root}`);
  });
  after(async () => {
    await ctx.server?.stop();
  });
  for (const [width, height] of WIDTHS) {
    test(`${title} at ${width} px`, async () => {
      const dir = join(root, String(width));
      mkdirSync(dir, { recursive: true });
      const browser = await launch();
      const page = await browser.context.newPage();
      await page.setViewportSize({ width, height });
      const errors = [];
      page.on("pageerror", (e) => errors.push(e.message));
      // Chromium logs every 4xx answer as a console error; the tests provoke 400s on purpose
      // (bad patterns and rules, read-only SQL writes, bad scopes). Anything else counts.
      page.on("console", (m) => m.type() === "error" && !/status of 400/.test(m.text()) && errors.push(m.text()));
      page.on("dialog", (d) => { errors.push(`native dialog: ${d.message()}`); d.dismiss(); });
      let n = 0;
      const shot = (name) => {
        const file = numbered ? `${String(++n).padStart(2, "0")}-${name}.png` : `${name}.png`;
        return page.screenshot({ path: join(dir, file), fullPage });
      };
      try {
        await run(page, shot, width);
      } catch (err) {
        await shot("failure");
        throw err;
      } finally {
        await page.close();
        await browser.close();
      }
      assert.deepEqual(errors, []);
    });
  }
  return ctx;
}

/// Adds a field of `type` named `name` to the open collection form; the new row.
export async function addField(page, type, name) {
  await page.click("text=+ New field");
  await page.click(`.type-grid button[data-type=${type}]`);
  // Pinned by position: a locator with last() would follow later rows.
  const added = page.locator(".fields .field:not([data-type=autodate])");
  const row = added.nth(await added.count() - 1);
  await row.locator("input[name=name]").fill(name);
  return row;
}
