// The field rows of the collection editor: one typed form per field type (PocketBase's option
// names), the common switches, reordering by buttons or drag, errors shown at the row, and the
// field's raw JSON behind an "Advanced" switch.
import { h, clear } from "../core.js";
import { chipsInput, toggle } from "../ui.js";

export const TYPES = [
  ["text", "Aa", "Plain text"], ["editor", "¶", "Rich editor"], ["number", "#", "Number"], ["bool", "◐", "Bool"],
  ["email", "@", "Email"], ["url", "⧉", "URL"], ["date", "▦", "Date/time"], ["autodate", "◷", "Autodate"],
  ["select", "☰", "Select"], ["file", "▤", "File"], ["relation", "⇄", "Relation"], ["json", "{}", "JSON"],
  ["geoPoint", "⌖", "Geo point"], ["password", "•••", "Password"],
];
const TYPE = Object.fromEntries(TYPES.map(([t, icon, label]) => [t, { icon, label }]));

/// MIME presets for file fields, as PocketBase's panel offers them.
const MIME_PRESETS = {
  "Images (jpg, png, svg, gif, webp)": ["image/jpeg", "image/png", "image/svg+xml", "image/gif", "image/webp"],
  "Documents (pdf, doc, docx, xls, xlsx, txt, csv)": ["application/pdf", "application/msword", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "text/plain", "text/csv"],
  "Videos (mp4, webm, mov, wmv, 3gp)": ["video/mp4", "video/webm", "video/quicktime", "video/x-ms-wmv", "video/3gpp"],
  "Archives (zip, 7z, rar, gz)": ["application/zip", "application/x-7z-compressed", "application/x-rar-compressed", "application/gzip"],
};

/// The options a new field of each type starts with.
export function newField(type, collections) {
  const f = { name: "", type, required: false, hidden: false, presentable: false };
  if (type === "select") Object.assign(f, { values: [], maxSelect: 1 });
  if (type === "file") Object.assign(f, { maxSelect: 1, maxSize: 0, mimeTypes: [], thumbs: [], protected: false });
  if (type === "relation") Object.assign(f, { collectionId: relationTargets(collections)[0]?.id || "", maxSelect: 1, minSelect: 0, cascadeDelete: false });
  if (type === "autodate") Object.assign(f, { onCreate: true, onUpdate: false });
  if (type === "number") Object.assign(f, { min: null, max: null, onlyInt: false });
  return f;
}

function relationTargets(collections) {
  return collections.filter((c) => c.type !== "view" && !["_otps", "_mfas", "_authOrigins", "_externalAuths"].includes(c.name));
}

// Small input builders: each returns a label with `.read()` for the value.
function numberInput(label, name, value, { empty = 0, step = 1, min } = {}) {
  const input = h("input", { type: "number", name, step, min, value: value ?? "", "aria-label": label });
  const el = h("label", { class: "opt" }, label, input);
  el.read = () => (input.value === "" ? empty : Number(input.value));
  return el;
}

function textInput(label, name, value, placeholder) {
  const input = h("input", { name, value: value ?? "", placeholder, "aria-label": label });
  const el = h("label", { class: "opt" }, label, input);
  el.read = () => input.value.trim();
  return el;
}

/// PocketBase's date text ("2024-01-01 10:00:00.000Z") in a datetime-local input, read as UTC.
function dateInput(label, name, value) {
  const input = h("input", { type: "datetime-local", step: 1, name, "aria-label": label, value: value ? value.replace(" ", "T").slice(0, 19) : "" });
  const el = h("label", { class: "opt" }, label, input);
  el.read = () => (input.value ? new Date(`${input.value}Z`).toISOString().replace("T", " ") : "");
  return el;
}

function chipsOption(label, name, values, placeholder) {
  const chips = chipsInput({ values: values || [], label, name, placeholder });
  const el = h("div", { class: "opt wide" }, h("span", {}, label), chips);
  el.read = () => chips.values();
  el.chips = chips;
  return el;
}

function switchOption(label, name, checked) {
  const t = toggle({ label, name, checked: !!checked });
  t.read = () => t.input.checked;
  return t;
}

/// "Single" / "Multiple" as two radio buttons, plus a max number shown for multiple.
function multiplicity(f, name, defaultMax) {
  const id = `m${Math.random().toString(36).slice(2, 8)}`;
  const single = h("input", { type: "radio", name: id, value: "single", checked: !(f.maxSelect > 1), "aria-label": `${name}: single` });
  const multi = h("input", { type: "radio", name: id, value: "multiple", checked: f.maxSelect > 1, "aria-label": `${name}: multiple` });
  const max = numberInput("Max selected", "maxSelect", f.maxSelect > 1 ? f.maxSelect : "", { min: 2, empty: 0 });
  const sync = () => (max.hidden = !multi.checked);
  single.addEventListener("change", sync);
  multi.addEventListener("change", sync);
  sync();
  const el = h("div", { class: "opt segmented", role: "radiogroup", "aria-label": `${name} single or multiple` },
    h("label", {}, single, "Single"), h("label", {}, multi, "Multiple"), max);
  el.read = () => (multi.checked ? Math.max(2, max.read() || defaultMax()) : 1);
  return el;
}

/// The type-specific options: an element and a function adding the values to a field object.
function typeOptions(f, ctx) {
  const parts = [];
  const add = (key, el) => { parts.push([key, el]); return el; };
  switch (f.type) {
    case "text":
      add("min", numberInput("Min length", "min", f.min || "", { min: 0 }));
      add("max", numberInput("Max length", "max", f.max || "", { min: 0 }));
      add("pattern", textInput("Pattern (regex)", "pattern", f.pattern, "e.g. ^[a-z0-9-]+$"));
      add("autogeneratePattern", textInput("Autogenerate pattern", "autogeneratePattern", f.autogeneratePattern, "e.g. [a-z0-9]{8}"));
      break;
    case "password":
      add("min", numberInput("Min length", "min", f.min || "", { min: 0 }));
      add("max", numberInput("Max length", "max", f.max || "", { min: 0 }));
      add("pattern", textInput("Pattern (regex)", "pattern", f.pattern));
      add("cost", numberInput("bcrypt cost", "cost", f.cost || "", { min: 4 }));
      break;
    case "editor":
      add("maxSize", numberInput("Max size (bytes)", "maxSize", f.maxSize || "", { min: 0 }));
      add("convertURLs", switchOption("Convert URLs to relative", "convertURLs", f.convertURLs));
      break;
    case "number":
      add("min", numberInput("Min", "min", f.min, { empty: null, step: "any" }));
      add("max", numberInput("Max", "max", f.max, { empty: null, step: "any" }));
      add("onlyInt", switchOption("Integers only", "onlyInt", f.onlyInt));
      break;
    case "email": case "url":
      add("onlyDomains", chipsOption("Only domains", "onlyDomains", f.onlyDomains, "e.g. example.com"));
      add("exceptDomains", chipsOption("Except domains", "exceptDomains", f.exceptDomains, "e.g. spam.test"));
      break;
    case "date":
      add("min", dateInput("Earliest (UTC)", "min", f.min));
      add("max", dateInput("Latest (UTC)", "max", f.max));
      break;
    case "autodate":
      add("onCreate", switchOption("Set on create", "onCreate", f.onCreate));
      add("onUpdate", switchOption("Set on update", "onUpdate", f.onUpdate));
      break;
    case "select": {
      const values = add("values", chipsOption("Choices", "values", f.values, "Type a choice and press Enter"));
      add("maxSelect", multiplicity(f, f.name || "select", () => values.read().length));
      break;
    }
    case "json":
      add("maxSize", numberInput("Max size (bytes)", "maxSize", f.maxSize || "", { min: 0 }));
      break;
    case "file": {
      add("maxSelect", multiplicity(f, f.name || "file", () => 99));
      add("maxSize", numberInput("Max size per file (bytes, empty: 5 MB)", "maxSize", f.maxSize || "", { min: 0 }));
      const mimes = add("mimeTypes", chipsOption("Allowed MIME types (empty: any)", "mimeTypes", f.mimeTypes, "e.g. image/png"));
      const preset = h("select", { "aria-label": "MIME type presets", onchange: () => {
        if (preset.value) mimes.chips.set([...mimes.read(), ...MIME_PRESETS[preset.value]]);
        preset.value = "";
      } }, h("option", { value: "" }, "Add a preset…"), Object.keys(MIME_PRESETS).map((k) => h("option", { value: k }, k)));
      mimes.append(preset);
      add("thumbs", chipsOption("Thumb sizes", "thumbs", f.thumbs, "e.g. 100x100, 0x300"));
      add("protected", switchOption("Protected (files need a token)", "protected", f.protected));
      break;
    }
    case "relation": {
      const targets = relationTargets(ctx.collections);
      const select = h("select", { name: "collectionId", "aria-label": "Related collection" },
        f.collectionId && !targets.some((c) => c.id === f.collectionId) ? h("option", { value: f.collectionId }, f.collectionId) : "",
        targets.map((c) => h("option", { value: c.id }, c.name)));
      select.value = f.collectionId || "";
      const target = add("collectionId", h("label", { class: "opt" }, "Related collection", select));
      target.read = () => select.value;
      add("maxSelect", multiplicity(f, f.name || "relation", () => 999));
      add("minSelect", numberInput("Min selected", "minSelect", f.minSelect || "", { min: 0 }));
      add("cascadeDelete", switchOption("Delete this record when the related one is deleted", "cascadeDelete", f.cascadeDelete));
      break;
    }
    default:
  }
  const el = h("div", { class: "opts" }, parts.map(([, e]) => e));
  el.read = (out) => { for (const [key, e] of parts) out[key] = e.read(); };
  el.at = (key) => parts.find(([k]) => k === key)?.[1];
  return el;
}

/// One field as a row. `ctx`: { collections, rows (the container) }.
export function fieldRow(f, ctx, { open = false } = {}) {
  const row = h("div", { class: "field", "data-type": f.type });
  const meta = TYPE[f.type] || { icon: "?", label: f.type };
  const name = h("input", { name: "name", value: f.name || "", placeholder: "Field name", "aria-label": "Field name", required: true, autocomplete: "off", spellcheck: "false" });
  const handle = h("span", { class: "handle", title: "Drag to reorder", "aria-hidden": "true" }, "⠿");
  const gear = h("button", { type: "button", class: "ghost small", "aria-expanded": String(open), "aria-label": "Field options" }, "Options");
  const up = h("button", { type: "button", class: "icon", "aria-label": "Move up", title: "Move up", onclick: () => row.previousElementSibling?.before(row) }, "↑");
  const down = h("button", { type: "button", class: "icon", "aria-label": "Move down", title: "Move down", onclick: () => row.nextElementSibling?.after(row) }, "↓");
  const remove = h("button", { type: "button", class: "icon", "aria-label": "Remove field", title: "Remove field", onclick: () => row.remove() }, "×");
  const flags = h("span", { class: "flags" });
  const specific = typeOptions(f, ctx);
  const common = [
    f.type === "autodate" ? null : switchOption("Required", "required", f.required),
    switchOption("Hidden (superusers only)", "hidden", f.hidden),
    switchOption("Presentable (shown for relations)", "presentable", f.presentable),
  ].filter(Boolean);
  const help = textInput("Help text", "help", f.help, "shown under the input in the record form");
  help.classList.add("wide");
  const json = h("textarea", { "aria-label": "Field JSON", class: "json", spellcheck: "false" });
  const jsonError = h("p", { class: "error", role: "alert" });
  const advanced = h("details", { class: "advanced" }, h("summary", { class: "hint" }, "Advanced: this field as JSON"), json, jsonError);
  const options = h("div", { class: "field-options", hidden: !open }, specific, h("div", { class: "opts" }, common, f.type === "autodate" ? "" : help), advanced);
  const error = h("p", { class: "error field-error", role: "alert" });
  row.append(h("div", { class: "field-head" }, handle,
    h("span", { class: "type", title: meta.label }, h("span", { class: "type-icon", "aria-hidden": "true" }, meta.icon), h("span", { class: "type-name" }, meta.label)),
    name, flags, h("span", { class: "field-actions" }, gear, up, down, remove)), error, options);

  const paintFlags = () => {
    clear(flags);
    for (const t of common) if (t.read()) flags.append(h("span", { class: "badge" }, t.input.name));
  };
  options.addEventListener("change", paintFlags);
  paintFlags();
  gear.addEventListener("click", () => {
    options.hidden = !options.hidden;
    gear.setAttribute("aria-expanded", String(!options.hidden));
  });

  row.read = () => {
    const out = { ...f, name: name.value.trim(), type: f.type };
    specific.read(out);
    for (const t of common) out[t.input.name] = t.read();
    if (f.type !== "autodate") out.help = help.read();
    return out;
  };
  // The JSON view is made from the form when opened; edited JSON rebuilds the row from it.
  advanced.addEventListener("toggle", () => { if (advanced.open) json.value = JSON.stringify(row.read(), null, 2); });
  json.addEventListener("change", () => {
    let parsed;
    try { parsed = JSON.parse(json.value); } catch { jsonError.textContent = "Not valid JSON; the form above still holds the last valid options."; return; }
    if (!parsed || typeof parsed !== "object" || parsed.type !== f.type) { jsonError.textContent = `Keep "type": "${f.type}"; to change the type, remove the field and add a new one.`; return; }
    const next = fieldRow(parsed, ctx, { open: true });
    row.replaceWith(next);
    next.querySelector("details.advanced").open = true;
  });

  row.showError = (key, message) => {
    const where = key && specific.at(key);
    if (key === "name") name.setAttribute("aria-invalid", "true");
    if (where) { options.hidden = false; gear.setAttribute("aria-expanded", "true"); }
    error.textContent = [error.textContent, key && key !== "name" && !where ? `${key}: ${message}` : message].filter(Boolean).join("\n");
    row.classList.add("invalid");
  };
  row.clearError = () => {
    error.textContent = "";
    name.removeAttribute("aria-invalid");
    row.classList.remove("invalid");
  };
  row.nameInput = name;

  // Drag to reorder: only from the handle, so that text in the inputs can still be selected.
  handle.addEventListener("pointerdown", () => (row.draggable = true));
  row.addEventListener("dragstart", (e) => { row.classList.add("dragging"); e.dataTransfer.effectAllowed = "move"; e.dataTransfer.setData("text/plain", f.name || ""); });
  row.addEventListener("dragend", () => { row.draggable = false; row.classList.remove("dragging"); });
  return row;
}

/// Makes a container of field rows accept drops of its own rows.
export function sortable(container) {
  container.addEventListener("dragover", (e) => {
    const dragging = container.querySelector(".field.dragging");
    if (!dragging) return;
    e.preventDefault();
    const after = [...container.querySelectorAll(".field:not(.dragging)")].find((r) => {
      const box = r.getBoundingClientRect();
      return e.clientY < box.top + box.height / 2;
    });
    if (after) after.before(dragging); else container.append(dragging);
  });
  container.addEventListener("drop", (e) => e.preventDefault());
}

/// The "New field" button with a grid of types; `onPick(type)`.
export function typePicker(onPick) {
  const grid = h("div", { class: "type-grid", hidden: true, role: "group", "aria-label": "Field types" },
    TYPES.map(([t, icon, label]) => h("button", { type: "button", class: "ghost", "data-type": t, onclick: () => { grid.hidden = true; onPick(t); } },
      h("span", { class: "type-icon", "aria-hidden": "true" }, icon), label)));
  const button = h("button", { type: "button", class: "ghost", onclick: () => (grid.hidden = !grid.hidden) }, "+ New field");
  return h("div", { class: "new-field" }, button, grid);
}
