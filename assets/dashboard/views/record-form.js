// The form of one record (inside the slide-over panel): an input per field type, relations
// picked by name as chips, select values as chips, bool as a switch, dates in local time,
// files with thumbnails; errors shown under the field they concern.
import { api, h, clear, describe } from "../core.js";
import { toast, confirmDialog, toggle, chip, copyButton } from "../ui.js";
import { displayField, recordLabel, fileURL, isImage } from "./records.js";

const pad = (n) => String(n).padStart(2, "0");

/// A PocketBase UTC date as the value of a datetime-local input, in local time.
function localInput(v) {
  if (!v) return "";
  const d = new Date(v.replace(" ", "T"));
  if (Number.isNaN(d.getTime())) return "";
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

function selectInput(f, v) {
  const chosen = new Set(Array.isArray(v) ? v : v ? [v] : []);
  if (!(f.maxSelect > 1)) {
    const s = h("select", { name: f.name, "aria-label": f.name }, h("option", { value: "" }, "—"), (f.values || []).map((o) => h("option", { value: o }, o)));
    s.value = [...chosen][0] || "";
    s.read = () => s.value;
    return s;
  }
  // Multiple: every choice as a chip that can be switched on and off.
  const group = h("div", { class: "choice-chips", role: "group", "aria-label": f.name },
    (f.values || []).map((o) => h("label", { class: "choice" }, h("input", { type: "checkbox", value: o, checked: chosen.has(o) }), h("span", {}, o))));
  group.read = () => [...group.querySelectorAll("input:checked")].map((i) => i.value);
  return group;
}

/// Related records shown by their display field as chips; a search adds more.
function relationInput(f, value, record, related) {
  const target = related[f.collectionId];
  const multiple = f.maxSelect > 1;
  const expanded = record?.expand?.[f.name];
  const known = new Map((Array.isArray(expanded) ? expanded : expanded ? [expanded] : []).map((r) => [r.id, recordLabel(target, r)]));
  let ids = Array.isArray(value) ? [...value] : value ? [value] : [];
  const chips = h("div", { class: "chips" });
  const search = h("input", { type: "search", placeholder: `Search ${target?.name || "records"} by ${displayField(target)}`, "aria-label": `Search ${f.name}`, autocomplete: "off" });
  const results = h("div", { class: "picker-results" });
  const paint = () => {
    clear(chips);
    for (const id of ids) {
      chips.append(h("span", { class: "chip", title: id, "data-id": id }, known.get(id) || id,
        h("button", { type: "button", class: "icon", "aria-label": `Remove ${known.get(id) || id}`, onclick: () => { ids = ids.filter((x) => x !== id); paint(); } }, "×")));
    }
    if (!ids.length) chips.append(h("span", { class: "hint" }, "None selected."));
  };
  let timer;
  const find = async () => {
    const text = search.value.replace(/['"\\]/g, "");
    clear(results);
    if (!target) return;
    const names = ["id", ...target.fields.filter((x) => ["text", "email", "url"].includes(x.type) && !x.hidden && x.name !== "id").map((x) => x.name)];
    const q = new URLSearchParams({ perPage: 8, skipTotal: 1 });
    if (text) q.set("filter", names.map((n) => `${n} ~ '${text}'`).join(" || "));
    const list = await api(`/api/collections/${encodeURIComponent(target.id)}/records?${q}`).catch(() => ({ items: [] }));
    if (!list.items.length) results.append(h("p", { class: "hint" }, "No matching records."));
    for (const r of list.items) {
      const label = recordLabel(target, r);
      results.append(h("button", { type: "button", class: "ghost pick", title: r.id, "data-id": r.id, onclick: () => {
        known.set(r.id, label);
        ids = multiple ? [...new Set([...ids, r.id])].slice(-f.maxSelect) : [r.id];
        paint();
        if (!multiple) { clear(results); search.value = ""; }
      } }, label, label === r.id ? "" : h("span", { class: "hint" }, ` ${r.id}`)));
    }
  };
  search.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(find, 200); });
  search.addEventListener("focus", () => { if (!results.firstChild) find(); });
  paint();
  const wrap = h("div", { class: "relation", "data-relation": f.name }, chips, search, results);
  wrap.read = () => (multiple ? ids : ids[0] || "");
  return wrap;
}

/// Existing files (thumbnails, removable) and new ones by drag and drop or the picker.
function fileInput(coll, f, record) {
  const existing = record ? (Array.isArray(record[f.name]) ? record[f.name] : record[f.name] ? [record[f.name]] : []) : [];
  const kept = new Set(existing);
  const added = [];
  const list = h("div", { class: "files" });
  const pick = h("input", { type: "file", multiple: f.maxSelect > 1, "aria-label": `Upload ${f.name}`, accept: (f.mimeTypes || []).join(",") || null });
  const drop = h("div", { class: "drop" }, "Drop files here or ", pick);
  const paint = () => {
    clear(list);
    for (const n of existing) {
      const link = f.protected
        ? h("button", { type: "button", class: "ghost small", onclick: async () => {
          const { token } = await api("/api/files/token", { method: "POST" });
          window.open(`${fileURL(coll, record, n)}?token=${token}`, "_blank");
        } }, "download")
        : h("a", { href: fileURL(coll, record, n), target: "_blank" }, "open");
      const img = isImage(n) && !f.protected ? h("img", { class: "thumb", src: fileURL(coll, record, n, "100x100"), alt: n }) : "";
      const box = h("input", { type: "checkbox", checked: kept.has(n), "aria-label": `Keep ${n}`, onchange: (e) => (e.target.checked ? kept.add(n) : kept.delete(n)) });
      list.append(h("div", { class: "file" }, h("label", {}, box, img, " ", n, " ", link)));
    }
    for (const file of added) {
      const img = file.type.startsWith("image/") ? h("img", { class: "thumb", src: URL.createObjectURL(file), alt: file.name }) : "";
      list.append(h("div", { class: "file new" }, img, ` ${file.name} (${Math.ceil(file.size / 1024)} KiB) `, chip("new"),
        h("button", { type: "button", class: "icon", "aria-label": `Remove ${file.name}`, onclick: () => { added.splice(added.indexOf(file), 1); paint(); } }, "×")));
    }
  };
  const add = (files) => {
    if (!(f.maxSelect > 1)) { added.length = 0; kept.clear(); }
    added.push(...files);
    paint();
  };
  pick.addEventListener("change", () => add([...pick.files]));
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); add([...e.dataTransfer.files]); });
  paint();
  const wrap = h("div", { "data-file": f.name }, list, drop);
  wrap.collect = (form) => {
    for (const n of kept) form.append(f.name, n);
    if (!kept.size && !added.length) form.append(f.name, "");
    for (const file of added) form.append(f.name, file);
  };
  // The server names a stored file `<name>_<random>.<ext>`; errors name what the person picked.
  wrap.added = added;
  return wrap;
}

function input(coll, related, f, record) {
  const v = record ? record[f.name] : undefined;
  const name = f.name;
  switch (f.type) {
    case "bool": { const t = toggle({ label: name, name, checked: !!v }); t.read = () => t.input.checked; return t; }
    case "number": { const el = h("input", { type: "number", step: f.onlyInt ? 1 : "any", min: f.min ?? null, max: f.max ?? null, name, value: v ?? "" }); el.read = () => (el.value === "" ? 0 : Number(el.value)); return el; }
    case "email": case "url": { const el = h("input", { type: f.type, name, value: v ?? "" }); el.read = () => el.value; return el; }
    case "editor": { const el = h("textarea", { name, class: "editor" }, v ?? ""); el.read = () => el.value; return el; }
    case "json": case "geoPoint": {
      const el = h("textarea", { name, "data-json": true, class: "json" }, v === undefined || v === null ? "" : JSON.stringify(v, null, 2));
      el.read = () => (el.value.trim() ? JSON.parse(el.value) : null);
      return el;
    }
    case "date": {
      const el = h("input", { type: "datetime-local", name, step: 1, value: localInput(v) });
      el.read = () => (el.value ? new Date(el.value).toISOString().replace("T", " ") : "");
      return el;
    }
    case "select": return selectInput(f, v);
    case "relation": return relationInput(f, v, record, related);
    case "file": return fileInput(coll, f, record);
    default: { const el = h("input", { name, value: v ?? "", maxlength: f.max || null }); el.read = () => el.value; return el; }
  }
}

/// The form; `on.saved(record, isNew)` and `on.deleted()` are called after the API agreed.
export function recordForm(coll, related, record, on) {
  const isNew = !record;
  const fields = coll.fields.filter((f) => !f.system || ["email", "emailVisibility", "verified"].includes(f.name));
  const inputs = fields.filter((f) => f.type !== "autodate" && f.type !== "password").map((f) => [f, input(coll, related, f, record)]);
  const errorsAt = new Map(inputs.map(([f]) => [f.name, h("p", { class: "error field-error", role: "alert" })]));
  const general = h("p", { class: "error", role: "alert" });
  const password = coll.type === "auth" ? h("input", { type: "password", name: "password", autocomplete: "new-password", placeholder: isNew ? "required" : "leave empty to keep" }) : null;
  errorsAt.set("password", h("p", { class: "error field-error", role: "alert" }));
  const save = async (event) => {
    event.preventDefault();
    for (const p of errorsAt.values()) p.textContent = "";
    general.textContent = "";
    const form = new FormData();
    const json = {};
    for (const [f, el] of inputs) {
      if (f.type === "file") { el.collect(form); continue; }
      try { json[f.name] = el.read(); } catch { errorsAt.get(f.name).textContent = "Not valid JSON."; return; }
    }
    if (password?.value) { json.password = password.value; json.passwordConfirm = password.value; }
    form.append("@jsonPayload", JSON.stringify(json));
    try {
      const path = `/api/collections/${coll.id}/records` + (isNew ? "" : `/${record.id}`);
      const saved = await api(path, { method: isNew ? "POST" : "PATCH", form });
      on.saved(saved, isNew);
    } catch (err) {
      const rest = {};
      for (const [k, e] of Object.entries(err.data?.data || {})) {
        const at = errorsAt.get(k.replace(/Confirm$/, ""));
        const message = e?.message || describe({ data: { data: e } });
        if (at) at.textContent = fileMessage(inputs, k, message); else rest[k] = e;
      }
      general.textContent = Object.keys(rest).length ? describe({ message: err.message, data: { data: rest } }) : err.message;
      toast(err.message || "The record was not saved.", "error");
    }
  };
  const remove = async () => {
    if (!await confirmDialog({ title: "Delete this record?", text: `${coll.name} · ${recordLabel(coll, record)} will be deleted. This cannot be undone.`, confirm: "Delete record", danger: true })) return;
    try {
      await api(`/api/collections/${coll.id}/records/${record.id}`, { method: "DELETE" });
      on.deleted();
    } catch (err) {
      general.textContent = describe(err);
      toast(err, "error");
    }
  };
  const impersonate = async () => {
    try {
      const res = await api(`/api/collections/${coll.id}/impersonate/${record.id}`, { method: "POST", body: { duration: 3600 } });
      general.className = "ok";
      general.textContent = `Token for ${res.record.email || res.record.id} (valid 1 h): ${res.token}`;
      await navigator.clipboard?.writeText(res.token).then(() => toast("Token copied to the clipboard."), () => {});
    } catch (err) {
      toast(err, "error");
    }
  };
  const copyJSON = async () => {
    try { await navigator.clipboard.writeText(JSON.stringify(record, null, 2)); toast("Copied the record's JSON."); } catch { toast("The browser refused the clipboard.", "error"); }
  };
  // Inputs made of several controls (chips, file lists) get a div: a label around them would
  // send a click on a thumbnail or chip to the first control inside.
  const grouped = (f) => f.type === "relation" || f.type === "file" || (f.type === "select" && f.maxSelect > 1);
  const labelled = ([f, el]) => f.type === "bool"
    ? h("div", { class: "input" }, el, errorsAt.get(f.name))
    : h(grouped(f) ? "div" : "label", { class: "input", role: grouped(f) ? "group" : null, "aria-label": grouped(f) ? f.name : null }, h("span", { class: "label" }, f.name, f.required ? h("span", { class: "req", title: "required" }, " *") : ""), el,
      f.help ? h("span", { class: "hint" }, f.help) : "", errorsAt.get(f.name));
  const dates = record ? coll.fields.filter((f) => f.type === "autodate" && record[f.name]) : [];
  return h("form", { class: "record-form", onsubmit: save, novalidate: true },
    record ? h("p", { class: "hint meta" }, "id ", h("code", {}, record.id), copyButton(record.id, "Copy id"),
      dates.map((f) => [` · ${f.name} `, h("time", { title: `${record[f.name]} UTC` }, new Date(record[f.name].replace(" ", "T")).toLocaleString())])) : "",
    inputs.map(labelled),
    password ? h("label", { class: "input" }, h("span", { class: "label" }, isNew ? "Password" : "Set a new password"), password, errorsAt.get("password")) : "",
    general,
    h("div", { class: "toolbar sticky-actions" }, h("button", { type: "submit" }, isNew ? "Create" : "Save changes"),
      isNew ? "" : h("button", { type: "button", class: "ghost", onclick: copyJSON }, "Copy JSON"),
      !isNew && coll.type === "auth" ? h("button", { type: "button", class: "ghost", onclick: impersonate }, "Impersonate") : "",
      h("span", { class: "grow" }),
      isNew ? "" : h("button", { type: "button", class: "danger", onclick: remove }, "Delete")));
}

/// Upload errors name the stored file; say which picked file it was when there was one.
function fileMessage(inputs, key, message) {
  const el = inputs.find(([f]) => f.name === key && f.type === "file")?.[1];
  if (!el?.added?.length) return message;
  return message.replace(/"([^"]+)_[A-Za-z0-9]{10}(\.[A-Za-z0-9]+)?"/g, (m, stem, ext = "") => {
    const picked = el.added.find((file) => file.name.replace(/\.[^.]+$/, "").replace(/[^\w.-]/g, "_").toLowerCase().startsWith(stem.toLowerCase().slice(0, 20)) && file.name.toLowerCase().endsWith(ext.toLowerCase()));
    return picked ? `"${picked.name}"` : m;
  });
}
