import PocketBase from "pocketbase";
import { startBoth, superuserClient } from "./diff/servers.mjs";
const { pb, cr } = await startBoth();
const png = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==", "base64");
for (const [label, url] of [["PB", pb.url], ["CR", cr.url]]) {
  const su = await superuserClient(url);
  await su.collections.create({ name: "docs", type: "base", listRule: "", viewRule: "", createRule: "", updateRule: "", deleteRule: "",
    fields: [{ name: "title", type: "text" },
      { name: "one", type: "file", maxSelect: 1, maxSize: 100000, thumbs: ["10x10", "20x0"] },
      { name: "many", type: "file", maxSelect: 3, maxSize: 1000, mimeTypes: ["image/png", "text/plain"] },
      { name: "secret", type: "file", maxSelect: 1, protected: true }] });
  const c = new PocketBase(url); c.autoCancellation(false);
  const show = (l, v) => console.log(label, l, JSON.stringify(v).replace(/_[a-z0-9]{10}\./g, "_R.").slice(0, 400));
  async function tryit(l, f) { try { show(l, await f()); } catch (e) { show(l + " ERR", [e.status, e.response]); } }
  let r;
  await tryit("create", async () => r = await c.collection("docs").create({ title: "a", one: new Blob([png], {type: "image/png"}), many: [new Blob(["hello"]), new File(["hi"], "../../My Notes.v1.txt")] }));
  await tryit("too many", () => c.collection("docs").create({ many: [new File(["a"], "a.txt"), new File(["b"], "b.txt"), new File(["c"], "c.txt"), new File(["d"], "d.txt")] }));
  await tryit("too big", () => c.collection("docs").create({ many: [new File(["a".repeat(2000)], "a.txt")] }));
  await tryit("bad mime", () => c.collection("docs").create({ many: [new File([Buffer.from([0,1,2,3,255,254])], "abc.bin")] }));
  await tryit("bad name", () => c.collection("docs").create({ many: ["nope.txt"] }));
  await tryit("append", () => c.collection("docs").update(r.id, { "many+": new File(["x"], "x.txt") }));
  await tryit("remove", () => c.collection("docs").update(r.id, { "many-": [r.many[0]] }));
  await tryit("replace keep", async () => { const cur = await c.collection("docs").getOne(r.id); return c.collection("docs").update(r.id, { many: [cur.many[0], new File(["y"], "y.txt")] }); });
  await tryit("clear", () => c.collection("docs").update(r.id, { one: null }));
  await tryit("prepend", () => c.collection("docs").update(r.id, { "+many": new File(["z"], "z.txt") }));
  await tryit("secret", () => c.collection("docs").update(r.id, { one: new File([png], "p.png"), secret: new File(["s"], "s.txt") }));
  r = await c.collection("docs").getOne(r.id);
  for (const q of ["", "?download=1", "?thumb=10x10", "?thumb=20x0", "?thumb=13x13", "?thumb=100x100"]) {
    const res = await fetch(`${url}/api/files/docs/${r.id}/${r.one}${q}`);
    const b = Buffer.from(await res.arrayBuffer());
    const h = Object.fromEntries(res.headers);
    show("GET one" + q, [res.status, h["content-type"], h["content-disposition"], h["cache-control"], b.length]);
  }
  for (const n of [r.many[0], "missing.png"]) {
    const res = await fetch(`${url}/api/files/docs/${r.id}/${n}`);
    const h = Object.fromEntries(res.headers);
    show("GET " + n, [res.status, h["content-type"], h["content-disposition"], (await res.text()).slice(0,200)]);
  }
  const res = await fetch(`${url}/api/files/docs/${r.id}/${r.many[0]}`, {headers: {range: "bytes=0-0"}});
  show("range", [res.status, res.headers.get("content-range"), await res.text()]);
  const tok = await fetch(`${url}/api/files/token`, {method: "POST"}); show("token guest", [tok.status, await tok.json()]);
}
await pb.stop(); await cr.stop();
