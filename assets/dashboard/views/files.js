// Files: every file of every collection with file fields, browsable by collection, with
// thumbnails for images (what the seeds ran the MinIO console for).
import { api, h, clear } from "../core.js";

export async function render(root, [name]) {
  const colls = (await api("/api/collections?perPage=500")).items.filter((c) => c.fields.some((f) => f.type === "file"));
  const coll = colls.find((c) => c.name === name) || colls[0];
  const tabs = h("nav", { class: "tabs", "aria-label": "Collections with files" },
    colls.map((c) => h("a", { href: `#/files/${c.name}`, "aria-current": c === coll ? "page" : null }, c.name)));
  const list = h("div", { class: "table-wrap" });
  root.append(h("div", { class: "card" }, h("h1", {}, "Files"), colls.length ? tabs : h("p", { class: "hint" }, "No collection has file fields yet."), list));
  if (!coll) return;
  const fileFields = coll.fields.filter((f) => f.type === "file");
  const filter = fileFields.map((f) => `${f.name} != ''`).join(" || ");
  const page = await api(`/api/collections/${coll.id}/records?perPage=100&sort=-created&filter=${encodeURIComponent(filter)}`).catch(() => api(`/api/collections/${coll.id}/records?perPage=100&filter=${encodeURIComponent(filter)}`));
  const rows = [];
  for (const r of page.items) {
    for (const f of fileFields) {
      for (const n of Array.isArray(r[f.name]) ? r[f.name] : r[f.name] ? [r[f.name]] : []) {
        const url = `/api/files/${coll.id}/${r.id}/${encodeURIComponent(n)}`;
        const img = /\.(png|jpe?g|gif|webp)$/i.test(n) && !f.protected ? h("img", { class: "thumb", src: `${url}?thumb=100x100`, alt: n }) : "";
        rows.push(h("tr", {}, h("td", {}, img), h("td", {}, f.protected ? n : h("a", { href: url, target: "_blank" }, n)),
          h("td", {}, f.name, f.protected ? " (protected)" : ""), h("td", {}, h("a", { href: `#/records/${coll.name}/${r.id}` }, r.id))));
      }
    }
  }
  clear(list);
  list.append(rows.length ? h("table", {}, h("thead", {}, h("tr", {}, ["", "File", "Field", "Record"].map((t) => h("th", {}, t)))), h("tbody", {}, rows)) : h("p", { class: "hint" }, "No files yet."));
}
