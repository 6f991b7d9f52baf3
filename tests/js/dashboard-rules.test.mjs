// The API rule editor in Chromium, at 1280 px and 390 px: a rule typed into a new collection's
// form is highlighted token by token, completed from the keyboard (a field, then
// `@request.auth.id`), checked on the server before the collection exists, a bad rule's error
// shown under that rule (live and after a failed save), the "available fields" list inserts a
// name, and the saved rules are read back and enforced through the API.
// Screenshots go to $TEST_SHOTS (default: a fresh directory under /tmp).
import assert from "node:assert/strict";
import { addField, dashboardTests } from "./dashboard-harness.mjs";

const ctx = dashboardTests({ title: "the rule editor", shots: "croft-rules-shots-" }, (page, shot, width) =>
  rules(page, shot, `notes${width}`));

async function call(method, path, { token, body } = {}) {
  const headers = { "Content-Type": "application/json" };
  if (token) headers.Authorization = token;
  const res = await fetch(`${ctx.server.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = res.status === 204 ? null : await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(data)}`);
  return data;
}

const signIn = async (collection, identity) =>
  (await call("POST", `/api/collections/${collection}/auth-with-password`, { body: { identity, password: "password123" } })).token;

async function rules(page, shot, name) {
  await page.goto(`${ctx.server.url}/_/`);
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await page.fill("#login-form input[name=identity]", "admin@example.com");
  await page.fill("#login-form input[name=password]", "password123");
  await page.click("#login-form button[type=submit]");
  await page.waitForSelector("h1:has-text('Collections')");

  // A new collection with a title and an owner (a relation to users), through the form.
  // As a person would: the button (a hash change right after sign-in can race the list's render).
  await page.click("a[href='#/collections/new'] button");
  await page.waitForSelector("h1:has-text('New collection')");
  await page.fill("input[aria-label='Collection name']", name);
  await addField(page, "text", "title");
  const owner = await addField(page, "relation", "owner");
  await owner.locator("select[name=collectionId]").selectOption({ label: "users" });

  const list = page.locator(".rule[data-rule=listRule]");
  const listInput = list.locator("input[aria-label='List rule']");
  const options = list.locator("[role=listbox] [role=option]");
  await page.uncheck("input[aria-label='List rule locked']");
  await listInput.click();

  // "ti" offers the field "title"; Enter takes it.
  await page.keyboard.type("ti");
  await options.first().waitFor();
  assert.equal(await listInput.getAttribute("aria-expanded"), "true");
  assert.ok((await options.allTextContents()).some((t) => t.startsWith("title")), "the field is offered");
  await page.keyboard.press("Enter");
  assert.equal(await listInput.inputValue(), "title");
  assert.equal(await options.count(), 0, "closed after a leaf");

  // "ow" offers the relation and its paths; the relation's own fields come one level down.
  await page.keyboard.type(" != '' && ow");
  await list.locator("[role=option] .value:text-is('owner.')").waitFor();
  await page.keyboard.press("Escape");
  assert.equal(await list.locator("[role=listbox]").isVisible(), false, "Esc closes the list");
  await page.keyboard.type("ner.");
  await list.locator("[role=option] .value:text-is('owner.email')").waitFor();
  for (let i = 0; i < "owner.".length; i++) await page.keyboard.press("Backspace");

  // "@request.auth." completes from the users collection's fields; pick "id" with the arrows.
  await page.keyboard.type("@request.au");
  await list.locator("[role=option] .value:text-is('@request.auth.')").waitFor();
  await page.keyboard.press("Tab");
  assert.equal(await listInput.inputValue(), "title != '' && @request.auth.");
  await list.locator("[role=option] .value:text-is('@request.auth.email')").waitFor();
  const offered = (await options.locator(".value").allTextContents());
  assert.ok(offered.includes("@request.auth.name"), `users' fields offered: ${offered}`);
  assert.ok(!offered.includes("@request.auth.password") && !offered.includes("@request.auth.tokenKey"), "no secrets offered");
  const at = offered.indexOf("@request.auth.id");
  assert.ok(at >= 0, "@request.auth.id offered");
  for (let i = 0; i < at; i++) await page.keyboard.press("ArrowDown");
  assert.equal(await options.nth(at).getAttribute("aria-selected"), "true");
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= innerWidth), "the open list fits the screen");
  await shot("autocomplete");
  await page.keyboard.press("Enter");
  await page.keyboard.type(" != ''");
  assert.equal(await listInput.inputValue(), "title != '' && @request.auth.id != ''");

  // Highlighted: every token drawn in its colour class under the transparent input.
  const tokens = await list.locator("pre.rule-hl span").evaluateAll((els) => els.map((e) => [e.className, e.textContent]));
  assert.deepEqual(tokens, [["t-field", "title"], ["t-op", "!="], ["t-string", "''"], ["t-join", "&&"],
    ["t-request", "@request.auth.id"], ["t-op", "!="], ["t-string", "''"]]);
  const color = (cls) => list.locator(`pre.rule-hl .${cls}`).first().evaluate((e) => getComputedStyle(e).color);
  assert.notEqual(await color("t-field"), await color("t-request"), "fields and @request differ in colour");
  assert.equal(await listInput.evaluate((e) => getComputedStyle(e).color), "rgba(0, 0, 0, 0)", "the input's own text is transparent");

  // Checked on the server before the collection exists.
  await list.locator(".rule-check.ok:has-text('valid')").waitFor();

  // A bad rule: the error shows under that rule while typing.
  const view = page.locator(".rule[data-rule=viewRule]");
  const viewInput = view.locator("input[aria-label='View rule']");
  await page.uncheck("input[aria-label='View rule locked']");
  await viewInput.click();
  await page.keyboard.type("nope = 1");
  await view.locator(".rule-check.error").waitFor();
  assert.match(await view.locator(".rule-check").textContent(), /invalid/i);
  assert.equal(await viewInput.getAttribute("aria-invalid"), "true");
  assert.equal(await list.locator(".rule-check").textContent(), "✓ valid", "the other rule keeps its verdict");
  await shot("invalid-live");

  // Saving anyway: refused, and the server's message lands under the View rule again.
  await page.click("form.card button[type=submit]");
  await page.locator(".toast", { hasText: "Failed" }).first().waitFor();
  await view.locator(".rule-check.error").waitFor();
  assert.match(await view.locator(".rule-check").textContent(), /nope/);
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("aria-label")), "View rule", "focus goes to the bad rule");
  await shot("invalid-saved");

  // The field list: one click inserts a name.
  await viewInput.fill("");
  await view.locator("button:has-text('Show available fields')").click();
  await view.locator(".rule-fields button:text-is('owner.email')").waitFor();
  await view.locator(".rule-fields button:text-is('@request.method')").waitFor();
  await view.locator(".rule-fields button:text-is('owner')").click();
  assert.equal(await viewInput.inputValue(), "owner");
  await viewInput.press("End");
  await page.keyboard.type(" = @request.auth.id");
  await view.locator(".rule-check.ok").waitFor();
  await shot("fields-list");

  await page.click("form.card button[type=submit]");
  await page.locator(".toast", { hasText: `Saved the collection ${name}` }).first().waitFor();
  await page.waitForSelector(`h1:has-text('Collection ${name}')`);

  // Saved as typed, and enforced: strangers see nothing, a signed-in user sees the notes and
  // may view only their own.
  const admin = await signIn("_superusers", "admin@example.com");
  const saved = await call("GET", `/api/collections/${name}`, { token: admin });
  assert.equal(saved.listRule, "title != '' && @request.auth.id != ''");
  assert.equal(saved.viewRule, "owner = @request.auth.id");
  assert.equal(saved.createRule, null, "untouched rules stay locked");
  const email = `bob-${name}@example.com`;
  const bob = await call("POST", "/api/collections/users/records", { token: admin, body: { email, password: "password123", passwordConfirm: "password123" } });
  const mine = await call("POST", `/api/collections/${name}/records`, { token: admin, body: { title: "mine", owner: bob.id } });
  const theirs = await call("POST", `/api/collections/${name}/records`, { token: admin, body: { title: "theirs" } });
  assert.equal((await call("GET", `/api/collections/${name}/records`)).items.length, 0, "anonymous: nothing");
  const token = await signIn("users", email);
  assert.equal((await call("GET", `/api/collections/${name}/records`, { token })).items.length, 2, "signed in: both");
  assert.equal((await call("GET", `/api/collections/${name}/records/${mine.id}`, { token })).title, "mine");
  await assert.rejects(call("GET", `/api/collections/${name}/records/${theirs.id}`, { token }), /404/);

  // On the saved collection the rule is still highlighted and checked.
  await page.locator(".rule[data-rule=viewRule] pre.rule-hl .t-request").waitFor();
  await page.locator(".rule[data-rule=viewRule] input[aria-label='View rule']").fill("owner = @request.auth.id && nope2 = 1");
  await page.locator(".rule[data-rule=viewRule] .rule-check.error").waitFor();
  await shot("saved");
}
