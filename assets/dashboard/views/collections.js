// Collections: the list (system collections folded under "System"), the editor (typed field
// forms, API rules checked on the server as you type, indexes, view queries with a preview),
// delete, and an API preview per collection.
import { api, h, clear, status, describe, flash } from "../core.js";
import { toast, confirmDialog, dataTable, chip } from "../ui.js";
import { authOptions } from "./auth-options.js";
import { fieldRow, newField, sortable, typePicker } from "./fields.js";
import { preview } from "./api-preview.js";
import { ruleEditor } from "../rules.js";

const RULES = [["listRule", "List"], ["viewRule", "View"], ["createRule", "Create"], ["updateRule", "Update"], ["deleteRule", "Delete"]];

export async function render(root, [name, tab]) {
  if (name === "new") return editor(root, null);
  if (name) {
    const coll = await api(`/api/collections/${encodeURIComponent(name)}`);
    return tab === "api" ? preview(root, coll) : editor(root, coll);
  }
  const list = (await api("/api/collections?perPage=500&sort=name")).items;
  const search = h("input", { type: "search", placeholder: "Search collections", "aria-label": "Search collections", class: "grow" });
  const own = h("div");
  const system = h("div");
  const systemBox = h("details", { class: "system" }, h("summary", {}, `System (${list.filter((c) => c.system).length})`), system);
  const columns = [
    { key: "name", label: "Name", render: (c) => h("a", { href: `#/records/${c.name}`, onclick: (e) => e.stopPropagation() }, c.name) },
    { key: "type", label: "Type", render: (c) => chip(c.type) },
    { key: "fields", label: "Fields", render: (c) => String(c.system ? c.fields.length : c.fields.filter((f) => !f.system).length) },
    { key: "actions", label: "", render: (c) => [h("a", { href: `#/collections/${c.name}`, onclick: (e) => e.stopPropagation() }, "Edit"), " · ",
      h("a", { href: `#/collections/${c.name}/api`, onclick: (e) => e.stopPropagation() }, "API")] },
  ];
  const fill = () => {
    const q = search.value.toLowerCase();
    const match = list.filter((c) => c.name.toLowerCase().includes(q));
    const open = (c) => (location.hash = `#/records/${c.name}`);
    clear(own);
    clear(system);
    own.append(dataTable({ columns, rows: match.filter((c) => !c.system), onRow: open, empty: q ? "No collection matches." : "No collections yet: create the first one." }));
    system.append(dataTable({ columns, rows: match.filter((c) => c.system), onRow: open, empty: "No system collection matches." }));
    // A search that only matches system collections opens the fold.
    if (q && match.some((c) => c.system)) systemBox.open = true;
  };
  search.addEventListener("input", fill);
  fill();
  root.append(h("div", { class: "card" },
    h("div", { class: "toolbar" }, h("h1", { class: "grow" }, "Collections"), h("a", { href: "#/collections/new" }, h("button", { type: "button" }, "New collection"))),
    h("div", { class: "toolbar" }, search), own, systemBox));
  search.focus();
}

/// The empty collection of a type, as the server's scaffold has it, with `created`/`updated`
/// autodate fields added (PocketBase's dashboard starts every base and auth collection so).
async function scaffold(type) {
  const all = await api("/api/collections/meta/scaffolds").catch(() => ({}));
  const base = structuredClone(all[type] || { type, fields: [], indexes: [] });
  delete base.id;
  base.fields = base.fields || [];
  if (type !== "view") {
    for (const [fname, onUpdate] of [["created", false], ["updated", true]]) {
      if (!base.fields.some((f) => f.name === fname)) {
        base.fields.push({ name: fname, type: "autodate", onCreate: true, onUpdate, hidden: false, presentable: false, system: false });
      }
    }
  }
  return base;
}

async function editor(root, coll) {
  const collections = (await api("/api/collections?perPage=500&sort=name")).items;
  const isNew = !coll;
  if (isNew) coll = { name: "", listRule: null, viewRule: null, createRule: null, updateRule: null, deleteRule: null, ...(await scaffold("base")) };
  let systemFields = coll.fields.filter((f) => f.system);
  const name = h("input", { name: "name", value: coll.name, required: true, "aria-label": "Collection name", autocomplete: "off", placeholder: "e.g. posts" });
  const nameError = h("p", { class: "error", role: "alert" });
  const type = h("select", { name: "type", disabled: !isNew, "aria-label": "Collection type" }, ["base", "auth", "view"].map((t) => h("option", { value: t }, t)));
  type.value = coll.type;
  const ctx = { collections };
  const rows = h("div", { class: "fields" });
  sortable(rows);
  const fill = (fields) => {
    clear(rows);
    for (const f of fields.filter((x) => !x.system)) rows.append(fieldRow(f, ctx));
  };
  fill(coll.fields);
  const systemNote = h("p", { class: "hint" });
  const paintSystem = () => {
    clear(systemNote);
    systemNote.append("System fields: ", ...systemFields.map((f) => chip(f.name, `${f.type}${f.hidden ? ", hidden" : ""}`)));
  };
  paintSystem();
  const picker = typePicker((t) => {
    const row = fieldRow(newField(t, collections), ctx, { open: true });
    // New fields go before the trailing created/updated timestamps, as in PocketBase.
    const all = [...rows.children];
    let at = all.length;
    while (at > 0 && all[at - 1].dataset.type === "autodate") at--;
    if (at < all.length) all[at].before(row); else rows.append(row);
    row.nameInput.focus();
  });
  const viewQuery = h("textarea", { name: "viewQuery", "aria-label": "View query" }, coll.viewQuery || "");
  const viewBox = h("div", {}, h("h2", {}, "View query"), viewQuery, h("p", { class: "hint" }, "A single SELECT; its columns become the fields."));
  const fieldBox = h("div", {}, h("h2", {}, "Fields"), systemNote, rows, picker);
  const syncType = () => { viewBox.hidden = type.value !== "view"; fieldBox.hidden = type.value === "view"; };
  type.addEventListener("change", async () => {
    const fresh = await scaffold(type.value);
    systemFields = fresh.fields.filter((f) => f.system);
    // Keep the fields already typed; add the scaffold's own (e.g. created/updated) if missing.
    const typed = [...rows.children].map((r) => r.read());
    fill([...typed, ...fresh.fields.filter((f) => !f.system && !typed.some((t) => t.name === f.name))]);
    coll = { ...fresh, name: name.value };
    paintSystem();
    syncType();
  });
  syncType();
  // What the rules may name, as the form stands now (unsaved fields included).
  const current = () => ({
    self: { id: coll.id, name: name.value.trim(), type: type.value, fields: [...systemFields, ...[...rows.children].map((r) => r.read())] },
    collections,
  });
  // The live check. A saved collection: the rule as a records filter (PocketBase's own resolver).
  // A new one: the collection as typed, posted with a blank name, so the server refuses to
  // create it ("Cannot be blank") yet reports the rule's error exactly as a save would.
  const validate = (key) => async (text) => {
    if (!isNew) {
      try {
        await api(`/api/collections/${encodeURIComponent(coll.name)}/records?perPage=1&skipTotal=1&filter=${encodeURIComponent(text)}`);
        return null;
      } catch (err) {
        return describe(err);
      }
    }
    const body = { name: "", type: type.value, [key]: text };
    if (type.value === "view") body.viewQuery = viewQuery.value;
    else body.fields = current().self.fields;
    try {
      const made = await api("/api/collections", { method: "POST", body });
      await api(`/api/collections/${made.id}`, { method: "DELETE" }).catch(() => {});
      return null;
    } catch (err) {
      const data = err?.data?.data || {};
      if (data[key]?.message) return data[key].message;
      // Other errors (a field's) may have stopped the rule from being checked: no verdict.
      return Object.keys(data).some((k) => k !== "name") ? undefined : null;
    }
  };
  const rules = RULES.map(([key, label]) => ruleEditor({ name: key, label: `${label} rule`, value: coll[key], context: current, validate: validate(key),
    placeholder: "empty: everyone; e.g. @request.auth.id != ''" }));
  const indexes = h("textarea", { name: "indexes", "aria-label": "Indexes" }, (coll.indexes || []).join("\n"));
  // Auth options of a saved auth collection (a new one gets the scaffold's defaults first).
  const auth = !isNew && coll.type === "auth" ? authOptions(coll, { context: current, validate }) : null;
  const result = status();
  const save = async (event) => {
    event.preventDefault();
    for (const r of rows.children) r.clearError();
    nameError.textContent = "";
    name.removeAttribute("aria-invalid");
    const body = { name: name.value.trim(), type: type.value, indexes: indexes.value.split("\n").map((s) => s.trim()).filter(Boolean) };
    if (isNew) for (const k of ["passwordAuth", "oauth2", "otp", "mfa", "authToken", "verificationToken", "passwordResetToken", "emailChangeToken", "fileToken", "authRule", "manageRule"]) if (k in coll) body[k] = coll[k];
    for (const r of rules) body[r.key] = r.read();
    if (auth) Object.assign(body, auth.read());
    // The fields as sent, and for each position the row a person sees (null: a system field),
    // so that the API's `fields.N` errors land on the right row.
    const userRows = [...rows.children];
    const sentRows = [...systemFields.map(() => null), ...userRows];
    if (type.value === "view") body.viewQuery = viewQuery.value;
    else body.fields = [...systemFields, ...userRows.map((r) => r.read())];
    try {
      const saved = isNew ? await api("/api/collections", { method: "POST", body }) : await api(`/api/collections/${coll.id}`, { method: "PATCH", body });
      result.ok(`Saved ${saved.name}.`);
      toast(`Saved the collection ${saved.name}.`);
      if (isNew || saved.name !== coll.name) {
        flash(`Saved ${saved.name}.`);
        location.hash = `#/collections/${saved.name}`;
      } else {
        coll = saved;
        systemFields = saved.fields.filter((f) => f.system);
        fill(saved.fields);
        paintSystem();
      }
    } catch (err) {
      const leftover = showErrors(err, { sentRows, sentFields: body.fields || [], name, nameError });
      // A rule's error goes under that rule.
      for (const r of [...rules, ...(auth?.rules || [])]) {
        if (!leftover[r.key]?.message) continue;
        r.showError(leftover[r.key].message);
        delete leftover[r.key];
      }
      result.fail(Object.keys(leftover).length ? { message: err.message, data: { data: leftover } } : `${err.message} See the marked fields.`);
      toast(err.message || "The collection was not saved.", "error");
      (root.querySelector(".field.invalid input[name=name]") || (nameError.textContent ? name : null) || root.querySelector(".rule-editor input[aria-invalid=true]"))?.focus();
    }
  };
  const remove = async () => {
    const yes = await confirmDialog({ title: `Delete the collection ${coll.name}?`, text: "All its records and files are deleted too. This cannot be undone.", confirm: "Delete collection", danger: true });
    if (!yes) return;
    try {
      await api(`/api/collections/${coll.id}`, { method: "DELETE" });
      toast(`Deleted the collection ${coll.name}.`);
      location.hash = "#/collections";
    } catch (err) {
      result.fail(err);
      toast(err, "error");
    }
  };
  const form = h("form", { class: "card", onsubmit: save, novalidate: true },
    h("div", { class: "toolbar" }, h("h1", { class: "grow" }, isNew ? "New collection" : `Collection ${coll.name}`),
      isNew ? "" : h("a", { href: `#/records/${coll.name}` }, "Records"), isNew ? "" : h("a", { href: `#/collections/${coll.name}/api` }, "API preview")),
    h("div", { class: "row" }, h("label", {}, "Name", name, nameError), h("label", {}, "Type", type)),
    fieldBox, viewBox,
    h("h2", {}, "API rules"), rules.map((r) => r.el),
    auth ? auth.el : "",
    h("h2", {}, "Indexes"), indexes, h("p", { class: "hint" }, "One CREATE INDEX statement per line."),
    h("div", { class: "toolbar sticky-actions" }, h("button", { type: "submit" }, "Save"), isNew || coll.system ? "" : h("button", { type: "button", class: "danger", onclick: remove }, "Delete collection")),
    result);
  root.append(form);
  if (!isNew && coll.type === "view") {
    const rows = await api(`/api/collections/${encodeURIComponent(coll.name)}/records?perPage=5`).catch(() => null);
    if (rows) root.append(h("div", { class: "card" }, h("h2", {}, "Preview"), h("pre", {}, JSON.stringify(rows.items, null, 2))));
  }
  name.focus();
}

/// Puts the API's errors where they belong: `name` under the name, `fields.N.*` on the row a
/// person sees for position N. Returns the errors shown nowhere else.
function showErrors(err, { sentRows, sentFields, name, nameError }) {
  const data = { ...(err?.data?.data || {}) };
  if (data.name?.message) {
    nameError.textContent = data.name.message;
    name.setAttribute("aria-invalid", "true");
    delete data.name;
  }
  const fieldErrors = data.fields;
  delete data.fields;
  const leftover = {};
  for (const [i, issue] of Object.entries(fieldErrors || {})) {
    const row = sentRows[Number(i)];
    const entries = issue && "message" in issue ? [[null, issue]] : Object.entries(issue || {});
    for (const [key, e] of entries) {
      const message = e?.message || describe({ data: { data: e } });
      if (row) row.showError(key, message);
      else leftover[`field ${sentFields[Number(i)]?.name || i}${key ? `.${key}` : ""}`] = { message };
    }
  }
  return Object.assign(leftover, data);
}
