// Files: the same uploads, modifiers, downloads, thumbnails and protected files against
// PocketBase 0.40.6 and Croft (local disk, and S3 through s3s-fs), compared case by case; then
// what only Croft promises (no orphan blobs, cleanup, bombs and hostile names).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import PocketBase from "pocketbase";
import { startPocketBase, superuserClient, ADMIN } from "./diff/servers.mjs";
import { startCroft, croft } from "./server.mjs";
import { startS3, BUCKET } from "./s3.mjs";

const PASSWORD = "password123";
let pb, local, s3, remote;

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, "ascii");
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}
/// A valid RGB PNG of w x h (all pixels one colour).
function png(w, h) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; ihdr[9] = 2;
  const raw = Buffer.alloc((w * 3 + 1) * h, 0x80);
  for (let y = 0; y < h; y++) raw[y * (w * 3 + 1)] = 0;
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([sig, chunk("IHDR", ihdr), chunk("IDAT", deflateSync(raw)), chunk("IEND", Buffer.alloc(0))]);
}
/// A PNG whose header claims 50000 x 50000 pixels: decoding it would need ~7 GB.
function bomb() {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(50000, 0);
  ihdr.writeUInt32BE(50000, 4);
  ihdr[8] = 8; ihdr[9] = 2;
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([sig, chunk("IHDR", ihdr), chunk("IDAT", deflateSync(Buffer.alloc(1 << 20))), chunk("IEND", Buffer.alloc(0))]);
}
const dims = (buf) => (buf.subarray(1, 4).toString() === "PNG" ? [buf.readUInt32BE(16), buf.readUInt32BE(20)] : null);

/// Random parts of stored names and ids differ between servers by design.
function norm(v) {
  if (typeof v === "string") return v.replace(/_[a-z0-9]{10}(?=[._]|$|")/g, "_RANDOM").replace(/^[a-z0-9]{15}$/, "ID");
  if (Array.isArray(v)) return v.map(norm);
  if (v && typeof v === "object") {
    const out = {};
    for (const k of Object.keys(v).sort()) if (!["created", "updated", "id"].includes(k)) out[k] = norm(v[k]);
    return out;
  }
  return v;
}

const COLLECTIONS = [
  {
    name: "docs", type: "base", listRule: "", viewRule: "", createRule: "", updateRule: "", deleteRule: "",
    fields: [
      { name: "title", type: "text" },
      { name: "one", type: "file", maxSelect: 1, maxSize: 2000000, thumbs: ["10x10", "20x0", "0x8", "12x6t", "12x6b", "12x6f", "400x400f"] },
      { name: "many", type: "file", maxSelect: 3, maxSize: 1000, mimeTypes: ["image/png", "text/plain"] },
    ],
  },
  {
    name: "vault", type: "base", listRule: "", viewRule: "owner = @request.auth.id", createRule: "", updateRule: "", deleteRule: "",
    fields: [
      { name: "owner", type: "text" },
      { name: "secret", type: "file", maxSelect: 1, protected: true },
    ],
  },
];

async function setup(url) {
  const su = await superuserClient(url);
  await su.settings.update({ batch: { enabled: true } });
  for (const c of COLLECTIONS) await su.collections.create(c);
  await su.collections.create({ name: "docs_view", type: "view", listRule: "", viewRule: "", viewQuery: "SELECT id, title, one FROM docs" });
  for (const u of ["ann", "ben"]) {
    await su.collection("users").create({ email: `${u}@example.com`, password: PASSWORD, passwordConfirm: PASSWORD });
  }
  return su;
}

async function login(url, who) {
  const c = new PocketBase(url);
  c.autoCancellation(false);
  await c.collection("users").authWithPassword(`${who}@example.com`, PASSWORD);
  return c;
}

async function attempt(f) {
  try {
    return await f();
  } catch (e) {
    return { status: e.status, error: e.response };
  }
}

async function get(url, path, headers = {}) {
  const res = await fetch(url + path, { headers });
  const body = Buffer.from(await res.arrayBuffer());
  const h = (k) => res.headers.get(k);
  const type = h("content-type") || "";
  return {
    status: res.status,
    type: type.startsWith("application/json") ? "json" : type,
    disposition: h("content-disposition"),
    range: h("content-range"),
    cache: h("cache-control"),
    csp: h("content-security-policy"),
    body: type.startsWith("application/json") ? JSON.parse(body.toString()) : dims(body) ?? body.toString("base64").slice(0, 40),
  };
}

/// Every case returns a plain value; PocketBase's and Croft's must match after `norm`.
async function scenario(url) {
  const out = {};
  const c = new PocketBase(url);
  c.autoCancellation(false);
  const docs = c.collection("docs");
  const image = png(40, 20);
  let r = await docs.create({ title: "a", one: new File([image], "Photo Of Me.PNG"), many: [new Blob(["hello"]), new File(["hi"], "../../My Notes.v1.txt")] });
  out.create = r;
  out.tooMany = await attempt(() => docs.create({ many: ["a", "b", "c", "d"].map((x) => new File([x], `${x}xx.txt`)) }));
  out.tooBig = await attempt(() => docs.create({ many: [new File(["a".repeat(2000)], "big.txt")] }));
  out.badMime = await attempt(() => docs.create({ many: [new File([Buffer.from([0, 1, 2, 3, 255, 254])], "abc.bin")] }));
  out.unknownName = await attempt(() => docs.create({ many: ["nope.txt"] }));
  out.append = await docs.update(r.id, { "many+": new File(["x"], "xxx.txt") });
  out.remove = await docs.update(r.id, { "many-": [r.many[0]] });
  const cur = await docs.getOne(r.id);
  out.replaceKeeping = await docs.update(r.id, { many: [cur.many[0], new File(["y"], "yyy.txt")] });
  out.prepend = await docs.update(r.id, { "+many": new File(["z"], "zzz.txt") });
  out.namesOnly = await docs.update(r.id, { many: out.prepend.many.slice(1) });
  r = await docs.getOne(r.id);
  out.removedGone = await get(url, `/api/files/docs/${r.id}/${out.create.many[0]}`);
  const base = `/api/files/docs/${r.id}/${r.one}`;
  for (const q of ["", "?download=1", "?download=0", "?thumb=100x100", "?thumb=10x10", "?thumb=20x0", "?thumb=0x8",
    "?thumb=12x6t", "?thumb=12x6b", "?thumb=12x6f", "?thumb=400x400f", "?thumb=13x13", "?thumb=bogus"]) {
    out[`get${q}`] = await get(url, base + q);
  }
  out.thumbOfText = await get(url, `/api/files/docs/${r.id}/${r.many[0]}?thumb=100x100`);
  out.text = await get(url, `/api/files/docs/${r.id}/${r.many[0]}`);
  out.range = await get(url, `/api/files/docs/${r.id}/${r.many[0]}`, { range: "bytes=0-0" });
  out.suffixRange = await get(url, base, { range: "bytes=-8" });
  out.missing = await get(url, `/api/files/docs/${r.id}/missing.png`);
  out.otherRecord = await get(url, `/api/files/docs/aaaaaaaaaaaaaaa/${r.one}`);
  out.unknownCollection = await get(url, `/api/files/nope/${r.id}/${r.one}`);
  // View collections serve the files of the records they select.
  out.viewRecord = await c.collection("docs_view").getOne(r.id);
  out.viewFile = await get(url, `/api/files/docs_view/${r.id}/${r.one}`);
  out.viewThumb = await get(url, `/api/files/docs_view/${r.id}/${r.one}?thumb=100x100`);
  // Batch requests carry their files as `requests.<i>.<field>`.
  const batch = c.createBatch();
  batch.collection("docs").create({ title: "batch", one: new File([png(4, 4)], "batch.png") });
  batch.collection("docs").update(r.id, { "many-": [r.many[0]], title: "batched" });
  out.batch = await attempt(() => batch.send());
  const failing = c.createBatch();
  failing.collection("docs").create({ title: "ok", one: new File([png(4, 4)], "lost.png") });
  failing.collection("docs").create({ many: [new File(["a".repeat(2000)], "big.txt")] });
  out.batchFailing = await attempt(() => failing.send());
  out.clear = await docs.update(r.id, { one: null });
  out.clearedGone = await get(url, base);
  // Protected files: the owner with a file token, others and guests get 404.
  const ann = await login(url, "ann");
  const ben = await login(url, "ben");
  const v = await ann.collection("vault").create({ owner: ann.authStore.record.id, secret: new File(["top secret"], "plan.txt") });
  const path = `/api/files/vault/${v.id}/${v.secret}`;
  out.protectedGuest = await get(url, path);
  out.protectedNoToken = await get(url, path + "?token=");
  out.protectedOwner = await get(url, `${path}?token=${await ann.files.getToken()}`);
  out.protectedOther = await get(url, `${path}?token=${await ben.files.getToken()}`);
  out.protectedAuthTokenIsNoFileToken = await get(url, `${path}?token=${ann.authStore.token}`);
  const su = await superuserClient(url);
  out.protectedSuperuser = await get(url, `${path}?token=${await su.files.getToken()}`);
  out.tokenGuest = await attempt(() => c.files.getToken());
  // Deleting the record takes its files with it.
  await docs.delete(r.id);
  out.deletedGone = await get(url, `/api/files/docs/${r.id}/${r.many[0]}`);
  return out;
}

before(async () => {
  const bucket = await startS3();
  [pb, local, s3] = await Promise.all([startPocketBase(), startCroft(), startCroft({ env: bucket.croftEnv })]);
  s3.bucket = bucket;
  for (const cr of [local, s3]) croft(cr.dir, "superuser", "upsert", ADMIN.email, ADMIN.password);
  await Promise.all([pb, local, s3].map((s) => setup(s.url)));
});

after(async () => {
  await Promise.all([pb, local, s3].filter(Boolean).map((s) => s.stop()));
  await s3?.bucket.stop();
});

let reference;
test("every file case matches PocketBase, on local disk and on S3", async () => {
  reference = norm(await scenario(pb.url));
  assert.equal(reference.create.many.length, 2, "sanity: PocketBase stored both files");
  for (const cr of [local, s3]) {
    const got = norm(await scenario(cr.url));
    for (const key of Object.keys(reference)) assert.deepEqual(got[key], reference[key], `${key} on ${cr === s3 ? "S3" : "local"}`);
  }
});

/// The blobs Croft keeps for a collection: local files, or objects in the s3s-fs folder.
function blobs(server, collectionId) {
  const root = server === s3 ? join(server.bucket.root, BUCKET, collectionId) : join(server.dir, "storage", collectionId);
  const walk = (dir) => (existsSync(dir) ? readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)])) : []);
  return walk(root).map((p) => p.slice(root.length + 1));
}

async function eventually(f, what) {
  for (let i = 0; i < 100; i++) {
    if (await f()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}

for (const which of ["local", "S3"]) {
  test(`no blob outlives its record, and no failed request leaves one (${which})`, async () => {
    const server = which === "S3" ? s3 : local;
    const su = await superuserClient(server.url);
    const coll = await su.collections.create({
      name: `gate_${which}`, createRule: "title = 'ok'", updateRule: "", deleteRule: "", listRule: "", viewRule: "",
      fields: [{ name: "title", type: "text" }, { name: "f", type: "file", maxSelect: 5, maxSize: 5000000, thumbs: ["5x5"] }],
    });
    const guest = new PocketBase(server.url);
    // Refused by the createRule after the upload was stored: the blob must go.
    const refused = await attempt(() => guest.collection(coll.name).create({ title: "no", f: new File([png(8, 8)], "p.png") }));
    assert.equal(refused.status, 400);
    // Refused by validation before anything is stored.
    await attempt(() => guest.collection(coll.name).create({ title: "ok", f: Array.from({ length: 6 }, () => new File(["x"], "x.txt")) }));
    await eventually(() => blobs(server, coll.id).length === 0, "no orphan blobs");
    assert.deepEqual(readdirSync(join(server.dir, "tmp")), [], "spooled uploads are removed");

    const r = await guest.collection(coll.name).create({ title: "ok", f: [new File([png(8, 8)], "a.png"), new File(["b"], "b.txt")] });
    assert.equal((await get(server.url, `/api/files/${coll.name}/${r.id}/${r.f[0]}?thumb=100x100`)).status, 200);
    assert.equal(blobs(server, coll.id).length, 3, "two files and one thumbnail");
    // Removing a file deletes it and its thumbnails; the other file stays.
    await su.collection(coll.name).update(r.id, { "f-": [r.f[0]] });
    await eventually(() => blobs(server, coll.id).length === 1, "the removed file and its thumbnail to go");
    assert.equal((await get(server.url, `/api/files/${coll.name}/${r.id}/${r.f[1]}`)).status, 200);
    // Deleting the record deletes the rest.
    await su.collection(coll.name).delete(r.id);
    await eventually(() => blobs(server, coll.id).length === 0, "the record's files to go");
    // Deleting a collection deletes its files.
    const r2 = await guest.collection(coll.name).create({ title: "ok", f: new File(["c"], "c.txt") });
    assert.ok(r2.f.length === 1 && blobs(server, coll.id).length === 1);
    await su.collections.delete(coll.id);
    await eventually(() => blobs(server, coll.id).length === 0, "the collection's files to go");
  });
}

for (const which of ["local", "S3"]) {
  test(`concurrent first requests make one thumbnail; ETags answer 304 (${which})`, async () => {
    const server = which === "S3" ? s3 : local;
    const c = new PocketBase(server.url);
    const r = await c.collection("docs").create({ one: new File([png(300, 200)], "wide.png") });
    const url = `${server.url}/api/files/docs/${r.id}/${r.one}?thumb=100x100`;
    const bodies = await Promise.all(Array.from({ length: 12 }, async () => {
      const res = await fetch(url);
      assert.equal(res.status, 200);
      return Buffer.from(await res.arrayBuffer()).toString("base64");
    }));
    assert.equal(new Set(bodies).size, 1, "every request got the same thumbnail");
    assert.deepEqual(dims(Buffer.from(bodies[0], "base64")), [100, 100]);
    const first = await fetch(url);
    const etag = first.headers.get("etag");
    assert.ok(etag, "an ETag is sent");
    const again = await fetch(url, { headers: { "if-none-match": etag } });
    assert.equal(again.status, 304);
    const unsatisfiable = await fetch(url, { headers: { range: "bytes=999999-" } });
    assert.equal(unsatisfiable.status, 416);
  });
}

test("a decompression bomb and hostile names are refused cleanly; the server keeps serving", async () => {
  const c = new PocketBase(local.url);
  c.autoCancellation(false);
  const r = await c.collection("docs").create({ one: new File([bomb()], "bomb.png"), many: [new File(["x"], "../../../etc/passwd")] });
  assert.match(r.many[0], /^passwd_[a-z0-9]{10}\.txt$/, "only the last path segment survives");
  const thumb = await get(local.url, `/api/files/docs/${r.id}/${r.one}?thumb=100x100`);
  assert.equal(thumb.status, 200, "the bomb falls back to the original");
  assert.deepEqual(thumb.body, [50000, 50000], "served as uploaded, never decoded");
  assert.match(thumb.disposition, new RegExp(`filename="${r.one}"`));
  for (const path of [`/api/files/docs/${r.id}/..%2F..%2Fdata.db`, `/api/files/docs/${r.id}/%2E%2E`, `/api/files/docs/..%2F${r.id}/${r.one}`]) {
    assert.equal((await fetch(local.url + path)).status, 404, path);
  }
  assert.equal((await fetch(`${local.url}/api/health`)).status, 200);
});

test("croft storage migrate moves files to S3 and back, and downloads keep working", async () => {
  const bucket = await startS3();
  const server = await startCroft();
  croft(server.dir, "superuser", "upsert", ADMIN.email, ADMIN.password);
  const su = await superuserClient(server.url);
  await su.collections.create({ name: "m", createRule: "", viewRule: "", fields: [{ name: "f", type: "file", maxSelect: 2 }] });
  const r = await su.collection("m").create({ f: [new File(["first"], "one.txt"), new File([png(8, 8)], "two.png")] });
  await get(server.url, `/api/files/m/${r.id}/${r.f[1]}?thumb=100x100`);
  await su.settings.update({ s3: { ...bucket.settings, enabled: false } });
  assert.equal((await su.settings.getAll()).s3.secret, "", "secrets are never read back");
  assert.equal((await attempt(() => su.settings.testS3("storage"))).status, 400, "testing needs s3 enabled");
  await su.settings.update({ s3: { enabled: true, secret: "wrong-secret" } });
  const wrong = await attempt(() => su.settings.testS3("storage"));
  assert.equal(wrong.status, 400, "a bad signature is reported");
  assert.match(JSON.stringify(wrong.error), /S3/);
  await su.settings.update({ s3: { ...bucket.settings, enabled: false } });
  await su.settings.update({ s3: { enabled: true } });
  assert.equal(await su.settings.testS3("storage"), true, "the stored secret was kept and works");
  await su.settings.update({ s3: { enabled: false } });
  await server.stop({ keepData: true });
  const out = croft(server.dir, "storage", "migrate", "--to", "s3");
  assert.match(out, /copied 3 files/);
  const again = await startCroft({ dir: server.dir });
  try {
    const su2 = await superuserClient(again.url);
    assert.equal((await su2.settings.getAll()).s3.enabled, true);
    const res = await fetch(`${again.url}/api/files/m/${r.id}/${r.f[0]}`);
    assert.equal(await res.text(), "first");
    assert.ok(existsSync(join(bucket.root, BUCKET, (await su2.collections.getOne("m")).id, r.id, r.f[0])), "served from the bucket");
    const r2 = await su2.collection("m").create({ f: new File(["third"], "three.txt") });
    assert.ok(existsSync(join(bucket.root, BUCKET, r2.collectionId, r2.id, r2.f[0])), "new uploads go to the bucket");
  } finally {
    await again.stop({ keepData: true });
  }
  // The local copies were kept (a migration never deletes its source): only the new file moves.
  assert.match(croft(server.dir, "storage", "migrate", "--to", "local"), /copied 1 files \(5 bytes\), 3 already there/);
  const back = await startCroft({ dir: server.dir });
  const res = await fetch(`${back.url}/api/files/m/${r.id}/${r.f[0]}`);
  assert.equal(await res.text(), "first");
  await back.stop();
  await bucket.stop();
});

test("uploads are streamed: a file over the body limit but within maxSize is accepted", async () => {
  const su = await superuserClient(local.url);
  await su.collections.create({ name: "large", createRule: "", viewRule: "", fields: [{ name: "f", type: "file", maxSelect: 1, maxSize: 48 << 20 }] });
  const data = Buffer.alloc(40 << 20, 1);
  const r = await new PocketBase(local.url).collection("large").create({ f: new File([data], "big.bin") });
  const res = await fetch(`${local.url}/api/files/large/${r.id}/${r.f}`);
  assert.equal(res.status, 200);
  assert.equal((await res.arrayBuffer()).byteLength, data.length);
  const tooBig = await attempt(() => new PocketBase(local.url).collection("large").create({ f: new File([Buffer.alloc(50 << 20)], "huge.bin") }));
  assert.equal(tooBig.error?.data?.f?.code, "validation_file_size_limit");
});
