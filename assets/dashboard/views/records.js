// Records of a collection: a table (sort by header, filter with errors shown, pages, bulk
// delete) and an editor for every field type, with file uploads by drag and drop.
import { api, h, clear, status, describe, flash } from "../core.js";

const PER_PAGE = 20;

export async function render(root, [name, id]) {
  const coll = await api(`/api/collections/${encodeURIComponent(name)}`);
  if (id) return editor(root, coll, id === "new" ? null : await api(`/api/collections/${coll.id}/records/${encodeURIComponent(id)}`));
  const state = { page: 1, sort: "", filter: "" };
  // The columns shown: chosen per collection (kept in this browser), the first seven by default.
  const visible = coll.fields.filter((f) => !f.hidden && f.type !== "password");
  const key = `croft_columns_${coll.id}`;
  const chosen = JSON.parse(localStorage.getItem(key) || "null");
  const columns = chosen ? visible.filter((f) => chosen.includes(f.name)) : visible.slice(0, 7);
  const chooser = h("details", { class: "shrink" }, h("summary", {}, "Columns"),
    visible.map((f) => h("label", {}, h("input", { type: "checkbox", checked: columns.includes(f), onchange: (e) => {
      const names = new Set(columns.map((c) => c.name));
      e.target.checked ? names.add(f.name) : names.delete(f.name);
      localStorage.setItem(key, JSON.stringify(visible.filter((v) => names.has(v.name)).map((v) => v.name)));
      clear(root);
      render(root, [name]);
    } }), f.name)));
  const filter = h("input", { type: "search", class: "grow", placeholder: "Filter, e.g. title ~ 'hello' && created > '2024-01-01'", "aria-label": "Filter" });
  const filterError = h("p", { class: "error", role: "alert" });
  const body = h("tbody");
  const head = h("tr");
  const pager = h("div", { class: "toolbar" });
  const selected = new Set();
  const bulk = h("button", { type: "button", class: "danger", disabled: true }, "Delete selected");
  const load = async () => {
    const q = new URLSearchParams({ page: state.page, perPage: PER_PAGE });
    if (state.sort) q.set("sort", state.sort);
    if (state.filter) q.set("filter", state.filter);
    let list;
    try {
      list = await api(`/api/collections/${coll.id}/records?${q}`);
      filterError.textContent = "";
    } catch (err) {
      filterError.textContent = describe(err);
      return;
    }
    clear(body);
    selected.clear();
    bulk.disabled = true;
    for (const r of list.items) {
      const box = h("input", { type: "checkbox", "aria-label": `Select ${r.id}`, onclick: (e) => e.stopPropagation(),
        onchange: (e) => { e.target.checked ? selected.add(r.id) : selected.delete(r.id); bulk.disabled = selected.size === 0; } });
      const open = () => (location.hash = `#/records/${coll.name}/${r.id}`);
      body.append(h("tr", { class: "clickable", tabindex: 0, onclick: open, onkeydown: (e) => e.key === "Enter" && open() },
        h("td", {}, box), columns.map((f) => h("td", {}, cell(coll, r, f)))));
    }
    clear(pager);
    pager.append(h("button", { type: "button", class: "ghost", disabled: state.page <= 1, onclick: () => { state.page--; load(); } }, "Previous"),
      h("span", { class: "hint" }, `Page ${list.page} of ${Math.max(1, list.totalPages)} · ${list.totalItems} records`),
      h("button", { type: "button", class: "ghost", disabled: state.page >= list.totalPages, onclick: () => { state.page++; load(); } }, "Next"));
  };
  head.append(h("th", {}, ""), ...columns.map((f) => h("th", {}, h("button", { type: "button", onclick: () => {
    state.sort = state.sort === f.name ? `-${f.name}` : f.name;
    state.page = 1;
    load();
  } }, f.name))));
  filter.addEventListener("keydown", (e) => { if (e.key === "Enter") { state.filter = filter.value; state.page = 1; load(); } });
  bulk.addEventListener("click", async () => {
    if (!confirm(`Delete ${selected.size} record(s)?`)) return;
    for (const rid of [...selected]) await api(`/api/collections/${coll.id}/records/${rid}`, { method: "DELETE" }).catch((err) => alert(describe(err)));
    load();
  });
  root.append(h("div", { class: "card" },
    h("div", { class: "toolbar" }, h("h1", { class: "grow" }, coll.name), h("a", { href: `#/collections/${coll.name}` }, "Edit collection"),
      h("a", { href: `#/collections/${coll.name}/api` }, "API preview"),
      coll.type === "view" ? "" : h("a", { href: `#/records/${coll.name}/new` }, h("button", { type: "button" }, "New record"))),
    h("div", { class: "toolbar" }, filter, bulk, chooser), filterError,
    h("div", { class: "table-wrap" }, h("table", {}, h("thead", {}, head), body)), pager));
  await load();
}

function fileURL(coll, record, name, thumb) {
  const q = thumb ? `?thumb=${thumb}` : "";
  return `/api/files/${coll.id}/${record.id}/${encodeURIComponent(name)}${q}`;
}

function cell(coll, r, f) {
  const v = r[f.name];
  if (f.type === "file") {
    const names = Array.isArray(v) ? v : v ? [v] : [];
    return names.slice(0, 3).map((n) => /\.(png|jpe?g|gif|webp)$/i.test(n) && !f.protected
      ? h("img", { class: "thumb", src: fileURL(coll, r, n, "100x100"), alt: n }) : h("span", {}, n, " "));
  }
  if (f.type === "bool") return v ? "✓" : "";
  if (v && typeof v === "object") return JSON.stringify(v);
  return v === undefined || v === null ? "" : String(v);
}

function input(coll, f, record) {
  const v = record ? record[f.name] : undefined;
  const name = f.name;
  switch (f.type) {
    case "bool": return h("input", { type: "checkbox", name, checked: !!v });
    case "number": return h("input", { type: "number", step: "any", name, value: v ?? "" });
    case "email": return h("input", { type: "email", name, value: v ?? "" });
    case "url": return h("input", { type: "url", name, value: v ?? "" });
    case "editor": return h("textarea", { name }, v ?? "");
    case "json": case "geoPoint": return h("textarea", { name, "data-json": true }, v === undefined || v === null ? "" : JSON.stringify(v, null, 2));
    case "date": return h("input", { type: "datetime-local", name, step: 1, value: v ? v.replace(" ", "T").slice(0, 19) : "" });
    case "select": {
      const s = h("select", { name, multiple: f.maxSelect > 1 }, f.maxSelect > 1 ? "" : h("option", { value: "" }, "—"), (f.values || []).map((o) => h("option", { value: o }, o)));
      const chosen = Array.isArray(v) ? v : v ? [v] : [];
      for (const o of s.options) o.selected = chosen.includes(o.value);
      return s;
    }
    case "relation": return relationPicker(f, v);
    case "file": return filePicker(coll, f, record);
    default: return h("input", { name, value: v ?? "" });
  }
}

/// Related record ids with a search over the related collection: its id and text-like fields.
function relationPicker(f, value) {
  const ids = h("input", { name: f.name, value: Array.isArray(value) ? value.join(",") : value || "", placeholder: "record ids, comma separated" });
  const search = h("input", { type: "search", placeholder: "Search related records", "aria-label": `Search ${f.name}` });
  const results = h("div", { class: "hint" });
  const target = api(`/api/collections/${encodeURIComponent(f.collectionId)}`).catch(() => null);
  let timer;
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      clear(results);
      const text = search.value.replace(/['"\\]/g, "");
      if (!text) return;
      const coll = await target;
      const names = ["id", ...(coll?.fields || []).filter((x) => ["text", "email", "url"].includes(x.type) && !x.hidden && x.name !== "id").map((x) => x.name)];
      const q = encodeURIComponent(names.map((n) => `${n} ~ '${text}'`).join(" || "));
      const list = await api(`/api/collections/${encodeURIComponent(f.collectionId)}/records?perPage=8&skipTotal=1&filter=${q}`).catch(() => ({ items: [] }));
      if (!list.items.length) results.append("No matching records.");
      for (const r of list.items) {
        const label = names.slice(1).map((n) => r[n]).find((v) => typeof v === "string" && v);
        results.append(h("button", { type: "button", class: "ghost", title: r.id, onclick: () => {
          const current = ids.value.split(",").map((s) => s.trim()).filter(Boolean);
          ids.value = (f.maxSelect > 1 ? [...new Set([...current, r.id])] : [r.id]).join(",");
        } }, label ? `${label} (${r.id})` : r.id), " ");
      }
    }, 250);
  });
  const wrap = h("div", {}, ids, search, results);
  wrap.dataset.relation = f.name;
  wrap.ids = ids;
  return wrap;
}

/// Existing files (with thumbnails, removable) and new ones by drag and drop or picker.
function filePicker(coll, f, record) {
  const existing = record ? (Array.isArray(record[f.name]) ? record[f.name] : record[f.name] ? [record[f.name]] : []) : [];
  const kept = new Set(existing);
  const added = [];
  const list = h("div");
  const pick = h("input", { type: "file", multiple: f.maxSelect > 1, "aria-label": `Upload ${f.name}` });
  const drop = h("div", { class: "drop" }, "Drop files here or ", pick);
  const paint = () => {
    clear(list);
    for (const n of existing) {
      const link = f.protected
        ? h("button", { type: "button", class: "ghost", onclick: async () => {
          const { token } = await api("/api/files/token", { method: "POST" });
          window.open(`${fileURL(coll, record, n)}?token=${token}`, "_blank");
        } }, "download")
        : h("a", { href: fileURL(coll, record, n), target: "_blank" }, "open");
      const img = /\.(png|jpe?g|gif|webp)$/i.test(n) && !f.protected ? h("img", { class: "thumb", src: fileURL(coll, record, n, "100x100"), alt: n }) : "";
      const box = h("input", { type: "checkbox", checked: kept.has(n), "aria-label": `Keep ${n}`, onchange: (e) => (e.target.checked ? kept.add(n) : kept.delete(n)) });
      list.append(h("div", {}, h("label", {}, box, img, " ", n, " ", link)));
    }
    for (const file of added) list.append(h("div", { class: "hint" }, `+ ${file.name} (${Math.ceil(file.size / 1024)} KiB)`));
  };
  const add = (files) => { added.push(...files); paint(); };
  pick.addEventListener("change", () => add([...pick.files]));
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); add([...e.dataTransfer.files]); });
  paint();
  const wrap = h("div", {}, list, drop);
  wrap.dataset.file = f.name;
  wrap.collect = (form) => {
    for (const n of kept) form.append(f.name, n);
    if (!kept.size && !added.length) form.append(f.name, "");
    for (const file of added) form.append(f.name, file);
  };
  return wrap;
}

async function editor(root, coll, record) {
  const isNew = !record;
  const fields = coll.fields.filter((f) => !f.system || ["email", "emailVisibility", "verified"].includes(f.name));
  const inputs = fields.filter((f) => f.type !== "autodate" && f.type !== "password").map((f) => [f, input(coll, f, record)]);
  const result = status();
  const password = coll.type === "auth" ? h("input", { type: "password", name: "password", autocomplete: "new-password", placeholder: isNew ? "required" : "leave empty to keep" }) : null;
  const save = async (event) => {
    event.preventDefault();
    const form = new FormData();
    const json = {};
    for (const [f, el] of inputs) {
      if (f.type === "file") { el.collect(form); continue; }
      if (f.type === "relation") { const ids = el.ids.value.split(",").map((s) => s.trim()).filter(Boolean); json[f.name] = f.maxSelect > 1 ? ids : ids[0] || ""; continue; }
      if (f.type === "bool") { json[f.name] = el.checked; continue; }
      if (f.type === "select" && el.multiple) { json[f.name] = [...el.selectedOptions].map((o) => o.value); continue; }
      if (f.type === "json" || f.type === "geoPoint") {
        try { json[f.name] = el.value.trim() ? JSON.parse(el.value) : null; } catch { return result.fail(`${f.name}: invalid JSON`); }
        continue;
      }
      if (f.type === "date") { json[f.name] = el.value ? new Date(el.value + "Z").toISOString().replace("T", " ") : ""; continue; }
      if (f.type === "number") { json[f.name] = el.value === "" ? 0 : Number(el.value); continue; }
      json[f.name] = el.value;
    }
    if (password?.value) { json.password = password.value; json.passwordConfirm = password.value; }
    form.append("@jsonPayload", JSON.stringify(json));
    try {
      const path = `/api/collections/${coll.id}/records` + (isNew ? "" : `/${record.id}`);
      const saved = await api(path, { method: isNew ? "POST" : "PATCH", form });
      result.ok("Saved.");
      if (isNew) {
        flash("Saved.");
        location.hash = `#/records/${coll.name}/${saved.id}`;
      }
    } catch (err) {
      result.fail(err);
    }
  };
  const remove = async () => {
    if (!confirm("Delete this record?")) return;
    try {
      await api(`/api/collections/${coll.id}/records/${record.id}`, { method: "DELETE" });
      location.hash = `#/records/${coll.name}`;
    } catch (err) {
      result.fail(err);
    }
  };
  const impersonate = async () => {
    try {
      const res = await api(`/api/collections/${coll.id}/impersonate/${record.id}`, { method: "POST", body: { duration: 3600 } });
      await navigator.clipboard?.writeText(res.token).catch(() => {});
      result.ok(`Token for ${res.record.email || res.record.id} (valid 1 h): ${res.token}`);
    } catch (err) {
      result.fail(err);
    }
  };
  root.append(h("form", { class: "card", onsubmit: save },
    h("div", { class: "toolbar" }, h("h1", { class: "grow" }, isNew ? `New ${coll.name} record` : `${coll.name} / ${record.id}`), h("a", { href: `#/records/${coll.name}` }, "Back to list")),
    inputs.map(([f, el]) => f.type === "bool" ? h("label", {}, el, f.name) : h("label", {}, f.name, f.required ? " *" : "", el)),
    password ? h("label", {}, isNew ? "Password" : "Set a new password", password) : "",
    h("div", { class: "toolbar" }, h("button", { type: "submit" }, "Save"),
      isNew ? "" : h("button", { type: "button", class: "danger", onclick: remove }, "Delete"),
      !isNew && coll.type === "auth" ? h("button", { type: "button", class: "ghost", onclick: impersonate }, "Impersonate") : ""),
    result));
  inputs[0]?.[1]?.focus?.();
}
