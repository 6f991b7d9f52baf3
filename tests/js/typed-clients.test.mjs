// Typed clients generated from a live Croft's OpenAPI document: TypeScript (openapi-typescript +
// openapi-fetch, compiled with `tsc --strict`, then run against the server), deliberate mistakes
// that must fail to compile with exactly their errors, and a Python client
// (openapi-python-client) run against the same server.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, copyFileSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startCroft, croft } from "./server.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const BIN = (name) => join(HERE, "node_modules", ".bin", name);
const PYTHON = process.env.TEST_PYTHON || "python3";
const TSC = ["--strict", "--module", "esnext", "--moduleResolution", "bundler", "--target", "es2022", "--skipLibCheck"];

let server, token, work, doc;

async function call(method, path, body) {
  const resp = await fetch(server.url + path, {
    method,
    headers: { "Content-Type": "application/json", ...(token ? { Authorization: token } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await resp.json();
  assert.ok(resp.ok, `${method} ${path}: ${JSON.stringify(data)}`);
  return data;
}

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), "croft-typed-"));
  croft(dir, "superuser", "upsert", "typed@example.com", "password123");
  server = await startCroft({ dir });
  token = (await call("POST", "/api/collections/_superusers/auth-with-password", { identity: "typed@example.com", password: "password123" })).token;
  const open = { listRule: "", viewRule: "", createRule: "", updateRule: "" };
  const authors = await call("POST", "/api/collections", { name: "authors", ...open, fields: [{ name: "name", type: "text", required: true }] });
  await call("POST", "/api/collections", {
    name: "posts", ...open,
    fields: [
      { name: "title", type: "text", required: true, max: 100 },
      { name: "body", type: "editor" },
      { name: "views", type: "number", onlyInt: true, min: 0 },
      { name: "published", type: "bool" },
      { name: "status", type: "select", values: ["draft", "live"], maxSelect: 1 },
      { name: "tags", type: "select", values: ["a", "b", "c"], maxSelect: 3 },
      { name: "author", type: "relation", collectionId: authors.id, maxSelect: 1 },
      { name: "cover", type: "file", maxSelect: 1 },
      { name: "meta", type: "json" },
      { name: "when", type: "date" },
      { name: "site", type: "url" },
      { name: "contact", type: "email" },
      { name: "location", type: "geoPoint" },
      { name: "created", type: "autodate", onCreate: true },
      { name: "updated", type: "autodate", onCreate: true, onUpdate: true },
    ],
  });
  doc = await (await fetch(server.url + "/api/openapi.json")).json();
  work = mkdtempSync(join(HERE, "typed", ".work-"));
  writeFileSync(join(work, "api.json"), JSON.stringify(doc));
  execFileSync(BIN("openapi-typescript"), [join(work, "api.json"), "-o", join(work, "api.d.ts")], { stdio: "pipe" });
  for (const f of ["good.ts", "bad.ts"]) copyFileSync(join(HERE, "typed", f), join(work, f));
});

after(async () => {
  if (work) rmSync(work, { recursive: true, force: true });
  await server?.stop();
});

test("the document says what every answer holds", () => {
  const post = doc.components.schemas.PostsRecord;
  for (const f of ["id", "collectionId", "collectionName", "title", "views", "tags", "author", "location", "created"]) {
    assert.ok(post.required.includes(f), `${f} is required in answers`);
  }
  assert.ok(!post.required.includes("expand"));
  assert.deepEqual(doc.components.schemas.PostsExpand.properties.author, { $ref: "#/components/schemas/AuthorsRecord" });
  assert.equal(doc.components.schemas.AuthorsExpand.properties.posts_via_author.type, "array");
  assert.deepEqual(doc.components.schemas.PostsCreate.required, ["title"]);
});

test("a strict TypeScript program compiles and runs against the server", () => {
  const out = join(work, "out");
  const tsc = spawnSync(BIN("tsc"), [...TSC, "--outDir", out, join(work, "good.ts")], { encoding: "utf8" });
  assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
  // ESM output next to this package's node_modules.
  const program = join(work, "good.mjs");
  writeFileSync(program, readFileSync(join(out, "good.js")));
  const answer = JSON.parse(execFileSync("node", [program, server.url, token], { encoding: "utf8" }));
  assert.deepEqual(answer, {
    title: "Hello", views: 3, status: "live", tags: ["a", "b"], published: false, lat: 52.5,
    total: 1, authorName: "Ada", titles: ["Hello"], updatedViews: 4,
  });
});

test("each deliberate mistake fails to compile, and nothing else does", () => {
  const tsc = spawnSync(BIN("tsc"), [...TSC, "--noEmit", join(work, "bad.ts")], { encoding: "utf8" });
  assert.notEqual(tsc.status, 0);
  const errorLines = [...tsc.stdout.matchAll(/bad\.ts\((\d+),\d+\): error (TS\d+)/g)].map((m) => `${m[1]} ${m[2]}`);
  const source = readFileSync(join(work, "bad.ts"), "utf8").split("\n");
  const marked = source.flatMap((line, i) => (line.includes("// MISTAKE") ? [String(i + 1)] : []));
  assert.deepEqual(errorLines.map((l) => l.split(" ")[0]), marked, tsc.stdout);
  assert.deepEqual(errorLines.map((l) => l.split(" ")[1]), ["TS2551", "TS2322", "TS2322", "TS2322"], tsc.stdout);
});

test("a generated Python client runs against the server", () => {
  const generator = join(dirname(PYTHON), "openapi-python-client");
  const gen = spawnSync(generator, ["generate", "--path", join(work, "api.json"), "--output-path", join(work, "py", "croft_client"), "--meta", "none"], { encoding: "utf8" });
  assert.equal(gen.status, 0, gen.stdout + gen.stderr);
  const run = spawnSync(PYTHON, [join(HERE, "typed", "client.py"), join(work, "py"), server.url, token], { encoding: "utf8" });
  assert.equal(run.status, 0, run.stdout + run.stderr);
  assert.deepEqual(JSON.parse(run.stdout), {
    title: "From Python", views: 7, status: "draft", listed: true, error_status: 400, error_fields: ["title"],
  });
});
