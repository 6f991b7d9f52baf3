// Collections: a searchable list, the editor (fields, API rules checked on the server as you
// type, indexes, view queries with a preview), delete, and an API preview per collection.
import { api, h, clear, status, describe, flash } from "../core.js";
import { authOptions } from "./auth-options.js";

const TYPES = ["text", "number", "bool", "email", "url", "editor", "date", "autodate", "select", "json", "file", "relation", "geoPoint", "password"];
const RULES = [["listRule", "List"], ["viewRule", "View"], ["createRule", "Create"], ["updateRule", "Update"], ["deleteRule", "Delete"]];

export async function render(root, [name, tab]) {
  if (name === "new") return editor(root, null);
  if (name) {
    const coll = await api(`/api/collections/${encodeURIComponent(name)}`);
    return tab === "api" ? preview(root, coll) : editor(root, coll);
  }
  const list = await api("/api/collections?perPage=500&sort=name");
  const search = h("input", { type: "search", placeholder: "Search collections", "aria-label": "Search collections", class: "grow" });
  const body = h("tbody");
  const fill = () => {
    clear(body);
    const q = search.value.toLowerCase();
    for (const c of list.items.filter((c) => c.name.toLowerCase().includes(q))) {
      const open = () => (location.hash = `#/records/${c.name}`);
      body.append(h("tr", { class: "clickable", tabindex: 0, onclick: open, onkeydown: (e) => e.key === "Enter" && open() },
        h("td", {}, h("a", { href: `#/records/${c.name}` }, c.name), " ", c.system ? h("span", { class: "badge" }, "system") : ""),
        h("td", {}, c.type),
        h("td", {}, String(c.fields.length)),
        h("td", {}, h("a", { href: `#/collections/${c.name}`, onclick: (e) => e.stopPropagation() }, "Edit"), " · ",
          h("a", { href: `#/collections/${c.name}/api`, onclick: (e) => e.stopPropagation() }, "API"))));
    }
  };
  search.addEventListener("input", fill);
  fill();
  root.append(h("div", { class: "card" },
    h("div", { class: "toolbar" }, h("h1", { class: "grow" }, "Collections"), h("a", { href: "#/collections/new" }, h("button", { type: "button" }, "New collection"))),
    h("div", { class: "toolbar" }, search),
    h("div", { class: "table-wrap" }, h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Name"), h("th", {}, "Type"), h("th", {}, "Fields"), h("th", {}, ""))), body))));
  search.focus();
}

function fieldRow(f, all) {
  const row = h("div", { class: "field" });
  const type = h("select", { "aria-label": "Field type", name: "type" }, TYPES.map((t) => h("option", { value: t }, t)));
  type.value = f.type || "text";
  const nameInput = h("input", { name: "name", value: f.name || "", placeholder: "field name", "aria-label": "Field name", required: true });
  const required = h("input", { type: "checkbox", name: "required", checked: f.required });
  const extra = h("input", { name: "extra", "aria-label": "Options", placeholder: "options" });
  const describeExtra = () => {
    const t = type.value;
    extra.hidden = !["select", "relation", "file"].includes(t);
    if (t === "select") { extra.placeholder = "values, comma separated"; extra.value = (f.values || []).join(", "); }
    if (t === "relation") { extra.placeholder = "related collection"; extra.value = all.find((c) => c.id === f.collectionId)?.name || ""; }
    if (t === "file") { extra.placeholder = "max files (e.g. 1)"; extra.value = String(f.maxSelect || 1); }
  };
  type.addEventListener("change", describeExtra);
  describeExtra();
  const remove = h("button", { type: "button", class: "ghost shrink", onclick: () => row.remove(), "aria-label": "Remove field" }, "Remove");
  // Every other option of the type (min, max, pattern, maxSize, mimeTypes, thumbs, protected,
  // cascadeDelete, onCreate …) as JSON, so that no option is out of reach.
  const OWN = ["id", "name", "type", "required", "system", "values", "collectionId"];
  const rest = Object.fromEntries(Object.entries(f).filter(([k]) => !OWN.includes(k)));
  const options = h("textarea", { name: "options", "aria-label": `Options of ${f.name || "the new field"}` }, JSON.stringify(rest, null, 2));
  const optionsError = h("p", { class: "error", role: "alert" });
  row.append(h("div", { class: "row" }, nameInput, type, extra, h("label", { class: "shrink" }, required, "required"), remove),
    h("details", {}, h("summary", { class: "hint" }, "More options (JSON)"), options, optionsError));
  row.read = () => {
    let more = {};
    try {
      more = options.value.trim() ? JSON.parse(options.value) : {};
      optionsError.textContent = "";
    } catch {
      optionsError.textContent = "Not valid JSON; these options were left out.";
    }
    const out = { ...f, ...more, name: nameInput.value.trim(), type: type.value, required: required.checked };
    if (type.value === "select") { out.values = extra.value.split(",").map((s) => s.trim()).filter(Boolean); out.maxSelect = out.maxSelect || 1; }
    if (type.value === "relation") { out.collectionId = all.find((c) => c.name === extra.value.trim())?.id || extra.value.trim(); out.maxSelect = out.maxSelect || 1; }
    if (type.value === "file") { out.maxSelect = Math.max(1, parseInt(extra.value, 10) || 1); }
    return out;
  };
  return row;
}

async function editor(root, coll) {
  const all = (await api("/api/collections?perPage=500")).items;
  const isNew = !coll;
  coll = coll || { name: "", type: "base", fields: [], indexes: [], listRule: null, viewRule: null, createRule: null, updateRule: null, deleteRule: null };
  const name = h("input", { name: "name", value: coll.name, required: true, "aria-label": "Collection name" });
  const type = h("select", { name: "type", disabled: !isNew, "aria-label": "Collection type" }, ["base", "auth", "view"].map((t) => h("option", { value: t }, t)));
  type.value = coll.type;
  const fields = h("div", { class: "fields" });
  const userFields = coll.fields.filter((f) => !f.system);
  for (const f of userFields) fields.append(fieldRow(f, all));
  const addField = h("button", { type: "button", class: "ghost", onclick: () => fields.append(fieldRow({ type: "text" }, all)) }, "Add field");
  const viewQuery = h("textarea", { name: "viewQuery", "aria-label": "View query" }, coll.viewQuery || "");
  const viewBox = h("div", {}, h("h2", {}, "View query"), viewQuery, h("p", { class: "hint" }, "A single SELECT; its columns become the fields."));
  const fieldBox = h("div", {}, h("h2", {}, "Fields"), fields, addField);
  const syncType = () => { viewBox.hidden = type.value !== "view"; fieldBox.hidden = type.value === "view"; };
  type.addEventListener("change", syncType);
  syncType();
  const rules = RULES.map(([key, label]) => {
    const locked = h("input", { type: "checkbox", checked: coll[key] === null, "aria-label": `${label} rule locked` });
    const input = h("input", { name: key, value: coll[key] ?? "", placeholder: "empty: everyone; e.g. @request.auth.id != ''", "aria-label": `${label} rule` });
    const check = h("span", { class: "hint" });
    let timer;
    input.addEventListener("input", () => {
      clearTimeout(timer);
      if (isNew || !input.value.trim()) return (check.textContent = "");
      timer = setTimeout(async () => {
        try {
          await api(`/api/collections/${encodeURIComponent(coll.name)}/records?perPage=1&skipTotal=1&filter=${encodeURIComponent(input.value)}`);
          check.className = "ok"; check.textContent = "✓ valid";
        } catch (err) {
          check.className = "error"; check.textContent = describe(err);
        }
      }, 400);
    });
    locked.addEventListener("change", () => (input.disabled = locked.checked));
    input.disabled = locked.checked;
    return { key, read: () => (locked.checked ? null : input.value), el: h("label", {}, `${label} rule `, h("label", { class: "hint" }, locked, "superusers only"), input, check) };
  });
  const indexes = h("textarea", { name: "indexes", "aria-label": "Indexes" }, (coll.indexes || []).join("\n"));
  // Auth options of a saved auth collection (a new one gets PocketBase's defaults first).
  const auth = !isNew && coll.type === "auth" ? authOptions(coll) : null;
  const result = status();
  const save = async (event) => {
    event.preventDefault();
    const body = { name: name.value.trim(), type: type.value, indexes: indexes.value.split("\n").map((s) => s.trim()).filter(Boolean) };
    for (const r of rules) body[r.key] = r.read();
    if (auth) Object.assign(body, auth.read());
    if (type.value === "view") body.viewQuery = viewQuery.value;
    else body.fields = [...coll.fields.filter((f) => f.system), ...[...fields.children].map((row) => row.read()).filter((f) => f.name)];
    try {
      const saved = isNew ? await api("/api/collections", { method: "POST", body }) : await api(`/api/collections/${coll.id}`, { method: "PATCH", body });
      result.ok(`Saved ${saved.name}.`);
      if (isNew || saved.name !== coll.name) {
        flash(`Saved ${saved.name}.`);
        location.hash = `#/collections/${saved.name}`;
      }
    } catch (err) {
      result.fail(err);
    }
  };
  const remove = async () => {
    if (!confirm(`Delete the collection "${coll.name}" and all its records?`)) return;
    try {
      await api(`/api/collections/${coll.id}`, { method: "DELETE" });
      location.hash = "#/collections";
    } catch (err) {
      result.fail(err);
    }
  };
  const form = h("form", { class: "card", onsubmit: save },
    h("div", { class: "toolbar" }, h("h1", { class: "grow" }, isNew ? "New collection" : `Collection ${coll.name}`),
      isNew ? "" : h("a", { href: `#/records/${coll.name}` }, "Records"), isNew ? "" : h("a", { href: `#/collections/${coll.name}/api` }, "API preview")),
    h("div", { class: "row" }, h("label", {}, "Name", name), h("label", {}, "Type", type)),
    fieldBox, viewBox,
    h("h2", {}, "API rules"), rules.map((r) => r.el),
    auth ? auth.el : "",
    h("h2", {}, "Indexes"), indexes, h("p", { class: "hint" }, "One CREATE INDEX statement per line."),
    h("div", { class: "toolbar" }, h("button", { type: "submit" }, "Save"), isNew || coll.system ? "" : h("button", { type: "button", class: "danger", onclick: remove }, "Delete collection")),
    result);
  root.append(form);
  if (!isNew && coll.type === "view") {
    const rows = await api(`/api/collections/${encodeURIComponent(coll.name)}/records?perPage=5`).catch(() => null);
    if (rows) root.append(h("div", { class: "card" }, h("h2", {}, "Preview"), h("pre", {}, JSON.stringify(rows.items, null, 2))));
  }
  name.focus();
}

function preview(root, coll) {
  const base = `${location.origin}/api/collections/${coll.name}/records`;
  const sample = Object.fromEntries(coll.fields.filter((f) => !f.system && f.type !== "autodate").map((f) => [f.name, f.type === "number" ? 0 : f.type === "bool" ? false : ""]));
  const blocks = [
    ["List (paginated, filtered, sorted)", `GET ${base}?page=1&perPage=30&filter=...&sort=-created`, `await pb.collection("${coll.name}").getList(1, 30, { filter: "...", sort: "-created" });`],
    ["View", `GET ${base}/RECORD_ID`, `await pb.collection("${coll.name}").getOne("RECORD_ID");`],
    ["Create", `POST ${base}\n${JSON.stringify(sample, null, 2)}`, `await pb.collection("${coll.name}").create(${JSON.stringify(sample)});`],
    ["Update", `PATCH ${base}/RECORD_ID`, `await pb.collection("${coll.name}").update("RECORD_ID", { ... });`],
    ["Delete", `DELETE ${base}/RECORD_ID`, `await pb.collection("${coll.name}").delete("RECORD_ID");`],
    ["Realtime", `GET ${location.origin}/api/realtime + POST subscriptions ["${coll.name}/*"]`, `pb.collection("${coll.name}").subscribe("*", (e) => console.log(e.action, e.record));`],
  ];
  root.append(h("div", { class: "card" },
    h("div", { class: "toolbar" }, h("h1", { class: "grow" }, `API preview: ${coll.name}`), h("a", { href: "/api/docs" }, "Swagger UI")),
    RULES.map(([key, label]) => h("p", { class: "hint" }, `${label}: `, coll[key] === null ? "superusers only" : coll[key] === "" ? "everyone" : coll[key])),
    blocks.map(([title, http, sdk]) => [h("h2", {}, title), h("pre", {}, http), h("pre", {}, sdk)])));
}
