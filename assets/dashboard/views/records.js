// Records of a collection: a table shown as people read it (relations by name, chips, toggles,
// local dates, thumbnails), newest first, sortable with an indicator, filterable with errors
// shown, pages and bulk delete; a slide-over panel edits one record.
import { api, h, clear, describe } from "../core.js";
import { toast, confirmDialog, dataTable, copyButton, chip, slideOver } from "../ui.js";
import { recordForm } from "./record-form.js";

const PER_PAGE = 20;

/// The field that names a record of `coll` for people: a presentable one, else a usual name.
export function displayField(coll) {
  const fields = (coll?.fields || []).filter((f) => !f.hidden);
  return fields.find((f) => f.presentable)?.name
    || ["name", "title", "label", "username", "email", "slug"].find((n) => fields.some((f) => f.name === n))
    || fields.find((f) => !f.system && ["text", "email", "url"].includes(f.type))?.name
    || "id";
}

export function recordLabel(coll, r) {
  const v = r?.[displayField(coll)];
  return v === undefined || v === null || v === "" ? r?.id : String(v);
}

export function fileURL(coll, record, name, thumb) {
  const q = thumb ? `?thumb=${thumb}` : "";
  return `/api/files/${coll.id}/${record.id}/${encodeURIComponent(name)}${q}`;
}

export const isImage = (n) => /\.(png|jpe?g|gif|webp)$/i.test(n);

/// A PocketBase date ("2024-01-01 10:00:00.000Z") in local time, the UTC value on hover.
export function dateCell(v) {
  if (!v) return "";
  const d = new Date(v.replace(" ", "T"));
  if (Number.isNaN(d.getTime())) return v;
  return h("time", { datetime: d.toISOString(), title: `${v.replace(/(\.\d+)?Z$/, "")} UTC` }, d.toLocaleString());
}

function cell(coll, related, r, f) {
  const v = r[f.name];
  const list = Array.isArray(v) ? v : v === "" || v === null || v === undefined ? [] : [v];
  switch (f.type) {
    case "file":
      return list.slice(0, 3).map((n) => isImage(n) && !f.protected
        ? h("img", { class: "thumb", src: fileURL(coll, r, n, "100x100"), alt: n, title: n, loading: "lazy" }) : chip(n));
    case "bool":
      return h("input", { type: "checkbox", role: "switch", class: "switch", checked: !!v, disabled: true, "aria-label": `${f.name}: ${v ? "yes" : "no"}` });
    case "select":
      return list.map((x) => chip(x));
    case "relation": {
      const target = related[f.collectionId];
      const expanded = r.expand?.[f.name];
      const records = Array.isArray(expanded) ? expanded : expanded ? [expanded] : [];
      return list.map((id) => {
        const found = records.find((x) => x.id === id);
        return chip(found ? recordLabel(target, found) : id, id);
      });
    }
    case "date": case "autodate":
      return dateCell(v);
    case "json": case "geoPoint":
      return v === null || v === undefined ? "" : h("code", { title: JSON.stringify(v, null, 2) }, JSON.stringify(v));
    case "editor":
      return h("span", { title: textOf(v) }, textOf(v));
    default:
      return v === undefined || v === null ? "" : String(v);
  }
}

/// The text of some HTML, without running it.
function textOf(html) {
  return new DOMParser().parseFromString(String(html || ""), "text/html").body.textContent || "";
}

export async function render(root, [name, id]) {
  const coll = await api(`/api/collections/${encodeURIComponent(name)}`);
  const relations = coll.fields.filter((f) => f.type === "relation");
  const related = Object.fromEntries(await Promise.all([...new Set(relations.map((f) => f.collectionId))]
    .map(async (cid) => [cid, await api(`/api/collections/${encodeURIComponent(cid)}`).catch(() => null)])));
  const hasCreated = coll.fields.some((f) => f.name === "created");
  const state = { page: 1, sort: hasCreated ? "-created" : "", filter: "" };
  // The columns shown: chosen per collection (kept in this browser). By default the first
  // eight short ones (no JSON, rich text or `updated`), then `created`.
  const visible = coll.fields.filter((f) => !f.hidden && f.type !== "password");
  const key = `croft_columns_${coll.id}`;
  const chosen = JSON.parse(localStorage.getItem(key) || "null");
  const short = visible.filter((f) => !["json", "editor", "geoPoint"].includes(f.type) && !["created", "updated"].includes(f.name)).slice(0, 8);
  const columns = chosen ? visible.filter((f) => chosen.includes(f.name)) : [...short, ...visible.filter((f) => f.name === "created")];
  const chooser = h("details", { class: "shrink chooser" }, h("summary", {}, "Columns"),
    visible.map((f) => h("label", {}, h("input", { type: "checkbox", checked: columns.includes(f), onchange: (e) => {
      const names = new Set(columns.map((c) => c.name));
      e.target.checked ? names.add(f.name) : names.delete(f.name);
      localStorage.setItem(key, JSON.stringify(visible.filter((v) => names.has(v.name)).map((v) => v.name)));
      clear(root);
      render(root, [name]);
    } }), f.name)));
  const example = hasCreated ? `created > '${new Date(Date.now() - 7 * 864e5).toISOString().slice(0, 10)}'` : "id != ''";
  const firstText = coll.fields.find((f) => f.type === "text" && !f.system)?.name;
  const filter = h("input", { type: "search", class: "grow", placeholder: `Filter, e.g. ${firstText ? `${firstText} ~ 'hello' && ` : ""}${example}`, "aria-label": "Filter" });
  const filterError = h("p", { class: "error", role: "alert" });
  const tableBox = h("div");
  const pager = h("div", { class: "toolbar pager" });
  const selected = new Set();
  const bulk = h("button", { type: "button", class: "danger", disabled: true }, "Delete selected");
  const expand = relations.map((f) => f.name).join(",");
  const load = async () => {
    const q = new URLSearchParams({ page: state.page, perPage: PER_PAGE });
    if (state.sort) q.set("sort", state.sort);
    if (state.filter) q.set("filter", state.filter);
    if (expand) q.set("expand", expand);
    let list;
    try {
      list = await api(`/api/collections/${coll.id}/records?${q}`);
      filterError.textContent = "";
    } catch (err) {
      filterError.textContent = describe(err);
      return;
    }
    selected.clear();
    bulk.disabled = true;
    const cols = columns.map((f) => ({
      key: f.name, label: f.name, sortable: !["json", "geoPoint", "file"].includes(f.type) || f.name === "id",
      render: (r) => f.name === "id" ? h("span", { class: "id" }, h("code", {}, r.id), copyButton(r.id, "Copy id")) : cell(coll, related, r, f),
    }));
    clear(tableBox);
    tableBox.append(dataTable({
      columns: cols, rows: list.items, sort: state.sort,
      onSort: (s) => { state.sort = s; state.page = 1; load(); },
      onRow: coll.type === "view" ? null : (r) => (location.hash = `#/records/${coll.name}/${r.id}`),
      empty: state.filter ? "No record matches the filter." : "No records yet.",
      lead: (r) => h("input", { type: "checkbox", "aria-label": `Select ${r.id}`, onclick: (e) => e.stopPropagation(),
        onchange: (e) => { e.target.checked ? selected.add(r.id) : selected.delete(r.id); bulk.disabled = selected.size === 0; } }),
    }));
    clear(pager);
    pager.append(h("span", { class: "total" }, `Total: ${list.totalItems}`),
      h("span", { class: "grow" }),
      h("button", { type: "button", class: "ghost", "aria-label": "Previous page", disabled: state.page <= 1, onclick: () => { state.page--; load(); } }, "←"),
      h("span", { class: "hint" }, `Page ${list.page} of ${Math.max(1, list.totalPages)}`),
      h("button", { type: "button", class: "ghost", "aria-label": "Next page", disabled: state.page >= list.totalPages, onclick: () => { state.page++; load(); } }, "→"));
  };
  filter.addEventListener("keydown", (e) => { if (e.key === "Enter") { state.filter = filter.value; state.page = 1; load(); } });
  bulk.addEventListener("click", async () => {
    const n = selected.size;
    if (!await confirmDialog({ title: `Delete ${n} record${n === 1 ? "" : "s"}?`, text: "This cannot be undone.", confirm: "Delete", danger: true })) return;
    let failed = 0;
    for (const rid of [...selected]) await api(`/api/collections/${coll.id}/records/${rid}`, { method: "DELETE" }).catch((err) => { failed++; toast(err, "error"); });
    if (n - failed) toast(`Deleted ${n - failed} record${n - failed === 1 ? "" : "s"}.`);
    load();
  });
  root.append(h("div", { class: "card" },
    h("div", { class: "toolbar" }, h("h1", { class: "grow" }, coll.name), h("a", { href: `#/collections/${coll.name}` }, "Edit collection"),
      h("a", { href: `#/collections/${coll.name}/api` }, "API preview"),
      coll.type === "view" ? "" : h("a", { href: `#/records/${coll.name}/new` }, h("button", { type: "button" }, "New record"))),
    h("div", { class: "toolbar" }, filter, bulk, chooser), filterError, tableBox, pager));
  await load();
  if (id) await openRecord(coll, related, id, load);
}

/// The record panel over the list; closing it returns to the list's address.
async function openRecord(coll, related, id, reload) {
  const expand = coll.fields.filter((f) => f.type === "relation").map((f) => f.name).join(",");
  const record = id === "new" ? null : await api(`/api/collections/${coll.id}/records/${encodeURIComponent(id)}${expand ? `?expand=${expand}` : ""}`);
  const back = () => { if (location.hash !== `#/records/${coll.name}`) history.replaceState(null, "", `#/records/${coll.name}`); };
  let panel;
  const form = recordForm(coll, related, record, {
    saved: (saved, isNew) => { toast(isNew ? `Created the record ${saved.id}.` : `Saved the record ${saved.id}.`); panel.close(); reload(); },
    deleted: () => { toast(`Deleted the record ${record.id}.`); panel.close(); reload(); },
  });
  panel = slideOver({ title: record ? `${coll.name} · ${recordLabel(coll, record)}` : `New ${coll.name} record`, content: form, onClose: back });
  form.querySelector("input:not([type=hidden]), textarea, select")?.focus();
}
