// Reusable pieces every screen builds on: toasts, styled confirmations, a slide-over panel,
// a sortable table, a chips input, toggles and copy buttons. Plain DOM, no framework.
import { h, clear, describe } from "./core.js";

function toastRegion() {
  let region = document.getElementById("toasts");
  if (!region) {
    region = h("div", { id: "toasts", class: "toasts", role: "status", "aria-live": "polite" });
    document.body.append(region);
  }
  return region;
}

/// A short message in the corner that goes away by itself; `kind` is "ok" or "error".
/// Errors stay longer and carry the API's field messages.
export function toast(message, kind = "ok") {
  const text = typeof message === "string" ? message : describe(message);
  const close = h("button", { type: "button", class: "icon", "aria-label": "Dismiss" }, "×");
  const el = h("div", { class: `toast ${kind}` }, h("span", {}, text), close);
  const dismiss = () => el.remove();
  close.addEventListener("click", dismiss);
  const region = toastRegion();
  region.append(el);
  // At most three at once: the oldest make room.
  while (region.children.length > 3) region.firstElementChild.remove();
  setTimeout(dismiss, kind === "error" ? 8000 : 4000);
  return el;
}

/// A modal question with two buttons; resolves true when confirmed (Esc or Cancel: false).
export function confirmDialog({ title, text = "", confirm = "Confirm", danger = false }) {
  return new Promise((resolve) => {
    const yes = h("button", { type: "button", class: danger ? "danger" : "" }, confirm);
    const no = h("button", { type: "button", class: "ghost" }, "Cancel");
    const dialog = h("dialog", { class: "confirm", "aria-label": title },
      h("h2", {}, title), text ? h("p", {}, text) : "", h("div", { class: "toolbar end" }, no, yes));
    const done = (answer) => { dialog.close(); dialog.remove(); resolve(answer); };
    yes.addEventListener("click", () => done(true));
    no.addEventListener("click", () => done(false));
    dialog.addEventListener("cancel", (e) => { e.preventDefault(); done(false); });
    document.body.append(dialog);
    dialog.showModal();
    no.focus();
  });
}

/// A panel that slides over the page from the right, for forms. `content` is an element;
/// `onClose` runs however it closes (button, Esc, backdrop click). Returns { close, el }.
export function slideOver({ title, content, onClose }) {
  const closeBtn = h("button", { type: "button", class: "icon", "aria-label": "Close panel" }, "×");
  const dialog = h("dialog", { class: "panel", "aria-label": title },
    h("header", { class: "panel-head" }, h("h2", {}, title), closeBtn), h("div", { class: "panel-body" }, content));
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    dialog.close();
    dialog.remove();
    onClose?.();
  };
  closeBtn.addEventListener("click", close);
  dialog.addEventListener("cancel", (e) => { e.preventDefault(); close(); });
  // A click on the backdrop lands on the dialog itself, outside its box.
  dialog.addEventListener("click", (e) => {
    if (e.target !== dialog) return;
    const r = dialog.getBoundingClientRect();
    if (e.clientX < r.left || e.clientX > r.right || e.clientY < r.top || e.clientY > r.bottom) close();
  });
  document.body.append(dialog);
  dialog.showModal();
  return { close, el: dialog };
}

/// A table. `columns`: [{ key, label, sortable, render(row) }]; `sort` like "-created";
/// `onSort(newSort)`; `onRow(row)` makes rows clickable (Enter too). Rows carry data-id.
/// Each cell has a data-label so that narrow screens can show rows as labelled cards.
export function dataTable({ columns, rows, sort = "", onSort, onRow, empty = "Nothing here yet.", lead }) {
  const active = sort.replace(/^[-+]/, "");
  const desc = sort.startsWith("-");
  const head = h("tr", {}, lead ? h("th", { class: "lead" }, "") : "", columns.map((c) => {
    const on = c.sortable && c.key === active;
    const arrow = on ? h("span", { class: "sort-arrow", "aria-hidden": "true" }, desc ? "↓" : "↑") : "";
    const label = c.sortable && onSort
      ? h("button", { type: "button", onclick: () => onSort(on && !desc ? `-${c.key}` : c.key) }, c.label ?? c.key, arrow)
      : [c.label ?? c.key, arrow];
    return h("th", { "aria-sort": on ? (desc ? "descending" : "ascending") : null, "data-key": c.key }, label);
  }));
  const body = h("tbody");
  if (!rows.length) body.append(h("tr", { class: "empty" }, h("td", { colspan: columns.length + (lead ? 1 : 0) }, empty)));
  for (const row of rows) {
    const open = onRow ? () => onRow(row) : null;
    body.append(h("tr", {
      class: open ? "clickable" : "", tabindex: open ? 0 : null, "data-id": row.id ?? null,
      onclick: open, onkeydown: open ? (e) => e.key === "Enter" && e.target === e.currentTarget && open() : null,
    }, lead ? h("td", { class: "lead" }, lead(row)) : "", columns.map((c) => h("td", { "data-label": c.label ?? c.key }, c.render ? c.render(row) : String(row[c.key] ?? "")))));
  }
  const sorts = columns.some((c) => c.sortable && onSort);
  return h("div", { class: "table-wrap" }, h("table", { class: sorts ? "data sortable" : "data" }, h("thead", {}, head), body));
}

/// A list of values edited as chips: type and press Enter or comma to add, × to remove.
/// `el.values()` reads them; `el.set(list)` replaces them.
export function chipsInput({ values = [], placeholder = "Type and press Enter", label, name, onchange }) {
  let list = [...values];
  const chips = h("span", { class: "chips" });
  const input = h("input", { class: "chip-entry", placeholder, "aria-label": label, name });
  const wrap = h("div", { class: "chips-input", onclick: (e) => e.target === wrap && input.focus() }, chips, input);
  const paint = () => {
    clear(chips);
    for (const v of list) {
      chips.append(h("span", { class: "chip" }, v,
        h("button", { type: "button", class: "icon", "aria-label": `Remove ${v}`, onclick: (e) => { e.stopPropagation(); list = list.filter((x) => x !== v); paint(); onchange?.(list); } }, "×")));
    }
  };
  const commit = () => {
    const added = input.value.split(",").map((s) => s.trim()).filter((s) => s && !list.includes(s));
    input.value = "";
    if (!added.length) return;
    list.push(...added);
    paint();
    onchange?.(list);
  };
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" || e.key === ",") { e.preventDefault(); commit(); }
    else if (e.key === "Backspace" && !input.value && list.length) { list.pop(); paint(); onchange?.(list); }
  });
  input.addEventListener("blur", commit);
  wrap.values = () => { commit(); return [...list]; };
  wrap.set = (next) => { list = [...new Set(next)]; paint(); onchange?.(list); };
  wrap.input = input;
  paint();
  return wrap;
}

/// A checkbox drawn as a switch, with its label.
export function toggle({ label, checked = false, name, onchange, title }) {
  const input = h("input", { type: "checkbox", role: "switch", class: "switch", name, checked, "aria-label": label, onchange });
  const el = h("label", { class: "toggle", title }, input, h("span", {}, label));
  el.input = input;
  return el;
}

/// A small button that copies `text` and says so in a toast.
export function copyButton(text, label = "Copy") {
  return h("button", { type: "button", class: "ghost small copy", title: `Copy ${text.length > 40 ? "" : text}`.trim(), "aria-label": `${label}: ${text.length > 40 ? text.slice(0, 12) + "…" : text}`,
    onclick: async (e) => {
      e.stopPropagation();
      try {
        await navigator.clipboard.writeText(text);
        toast("Copied to the clipboard.");
      } catch {
        toast("The browser refused the clipboard; select the text and copy it.", "error");
      }
    } }, label);
}

/// A chip (a value in a pill); `title` shows on hover.
export function chip(text, title) {
  return h("span", { class: "chip", title }, text);
}
