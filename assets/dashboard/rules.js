// The API rule editor: a one-line input drawn over a highlighted copy of its text, with
// autocomplete of what fits at the cursor (fields, relation paths, back-relations, @request.*,
// @collection.*, macros, modifiers), a "show available fields" list and a live check.
// Plain DOM, no library: the input's text is transparent and the <pre> under it shows colours.
import { h, clear } from "./core.js";

export const MACROS = ["now", "yesterday", "tomorrow", "todayStart", "todayEnd", "monthStart", "monthEnd", "yearStart", "yearEnd",
  "second", "minute", "hour", "day", "month", "weekday", "year"].map((m) => `@${m}`);
const MODIFIERS = ["isset", "changed", "length", "each", "lower"];
const BODY_ONLY = new Set(["isset", "changed"]);
const SIGNS = new Set(["=", "!=", ">", ">=", "<", "<=", "~", "!~", "?=", "?!=", "?>", "?>=", "?<", "?<=", "?~", "?!~"]);
const HEADERS = ["authorization", "content_type", "origin", "user_agent", "x_forwarded_for"];

/// The rule's tokens with their kinds: ws, comment, string, number, op, join, paren, field,
/// request, collection, macro, keyword, func, mod and bad (what the filter grammar refuses).
export function tokenize(src) {
  const out = [];
  let i = 0;
  const push = (type, end) => { out.push({ type, text: src.slice(i, end), start: i }); i = end; };
  while (i < src.length) {
    const c = src[i];
    const rest = src.slice(i);
    let m;
    if ((m = /^\s+/.exec(rest))) push("ws", i + m[0].length);
    else if (rest.startsWith("//")) { const nl = src.indexOf("\n", i); push("comment", nl < 0 ? src.length : nl); }
    else if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== c) j += src[j] === "\\" ? 2 : 1;
      push(j < src.length ? "string" : "bad", Math.min(j + 1, src.length));
    } else if (rest.startsWith("&&") || rest.startsWith("||")) push("join", i + 2);
    else if ((m = /^[=?!<>~]+/.exec(rest))) push(SIGNS.has(m[0]) ? "op" : "bad", i + m[0].length);
    else if ((m = /^-?\d+(\.\d+)?(?![\w.])/.exec(rest))) push("number", i + m[0].length);
    else if ((m = /^[@_#a-zA-Z][\w.:]*/.exec(rest))) {
      const word = m[0];
      const mod = /:(isset|changed|length|each|lower)$/.exec(word);
      const base = mod ? word.slice(0, mod.index) : word;
      const next = src.slice(i + word.length).trimStart()[0];
      let type = "field";
      if (base.startsWith("@request.")) type = "request";
      else if (base.startsWith("@collection.")) type = "collection";
      else if (MACROS.includes(base)) type = "macro";
      else if (next === "(") type = "func";
      else if (/^(null|true|false)$/i.test(base)) type = "keyword";
      else if (/^[@#]/.test(base) || /[.:]$/.test(base)) type = "bad";
      push(type, i + base.length);
      if (mod) push("mod", i + mod[0].length);
    } else if ("(),".includes(c)) push("paren", i + 1);
    else push("bad", i + 1);
  }
  return out;
}

/// Everything a rule of `self` may name, as { value, kind }: a value ending in "." is a branch
/// (a prefix to go on typing from). `collections` are all collections with their fields.
export function available({ self, collections }) {
  const out = [];
  const add = (value, kind) => out.push({ value, kind });
  const byId = (id) => (id && id === self.id ? self : collections.find((c) => c.id === id));
  const own = (self.fields || []).filter((f) => f.name);
  for (const f of own) add(f.name, f.type);
  for (const f of own.filter((x) => x.type === "relation")) {
    for (const g of byId(f.collectionId)?.fields || []) {
      add(`${f.name}.${g.name}`, g.type);
      if (g.type !== "relation") continue;
      for (const k of byId(g.collectionId)?.fields || []) add(`${f.name}.${g.name}.${k.name}`, k.type);
    }
  }
  if (self.id) {
    for (const c of collections) {
      for (const r of (c.fields || []).filter((x) => x.type === "relation" && x.collectionId === self.id)) {
        const back = `${c.name}_via_${r.name}`;
        add(back, `back-relation from ${c.name}`);
        for (const g of c.fields) add(`${back}.${g.name}`, g.type);
      }
    }
  }
  const authFields = new Map();
  for (const c of collections.filter((x) => x.type === "auth" && x.name !== "_superusers")) for (const f of c.fields) if (f.type !== "password" && f.name !== "tokenKey" && !authFields.has(f.name)) authFields.set(f.name, f.type);
  if (!authFields.size) for (const n of ["id", "email", "verified"]) authFields.set(n, "auth field");
  for (const [n, t] of authFields) add(`@request.auth.${n}`, t);
  add("@request.auth.collectionName", "text");
  for (const f of own) add(`@request.body.${f.name}`, `sent ${f.type}`);
  add("@request.query.", "a query parameter");
  for (const n of HEADERS) add(`@request.headers.${n}`, "header");
  add("@request.method", "GET, POST, PATCH, DELETE");
  add("@request.context", "default, oauth2, otp, password, realtime, protectedFile, batch, expand");
  for (const c of collections) for (const g of c.fields || []) add(`@collection.${c.name}.${g.name}`, g.type);
  for (const m of MACROS) add(m, "macro");
  for (const k of ["true", "false", "null"]) add(k, "value");
  return out;
}

/// What fits after `word` (the identifier left of the cursor): one more path segment at a time.
export function suggest(all, word) {
  const mod = /^(.*[^:]):(\w*)$/.exec(word);
  if (mod) {
    const body = mod[1].startsWith("@request.body.");
    return MODIFIERS.filter((m) => m.startsWith(mod[2]) && (body || !BODY_ONLY.has(m)) && m !== mod[2])
      .map((m) => ({ value: `${mod[1]}:${m}`, kind: "modifier" }));
  }
  const lower = word.toLowerCase();
  const seen = new Map();
  for (const c of all) {
    if (!c.value.toLowerCase().startsWith(lower) || c.value === word) continue;
    const dot = c.value.indexOf(".", word.length);
    const value = dot >= 0 ? c.value.slice(0, dot + 1) : c.value;
    if (!seen.has(value)) seen.set(value, { value, kind: dot >= 0 && value !== c.value ? "…" : c.kind });
  }
  return [...seen.values()].slice(0, 60);
}

let uid = 0;
let measure;
function textWidth(text, el) {
  measure ||= document.createElement("canvas").getContext("2d");
  measure.font = getComputedStyle(el).font;
  return measure.measureText(text).width;
}

/// A rule editor: `value` null means locked (superusers only). `context()` answers
/// { self, collections } as the form stands; `validate(text)` resolves to an error message,
/// null when valid, or undefined when it could not tell. Returns { el, input, read, showError }.
export function ruleEditor({ name, label, value, placeholder, context, validate }) {
  const id = `rule-${++uid}`;
  const locked = h("input", { type: "checkbox", checked: value === null || value === undefined, "aria-label": `${label} locked` });
  const input = h("input", { name, value: value ?? "", placeholder, "aria-label": label, autocomplete: "off", spellcheck: "false",
    role: "combobox", "aria-autocomplete": "list", "aria-expanded": "false", "aria-controls": `${id}-list`, "aria-describedby": `${id}-check` });
  const code = h("code");
  const pre = h("pre", { class: "rule-hl", "aria-hidden": "true" }, code);
  const list = h("ul", { class: "rule-suggest", role: "listbox", id: `${id}-list`, "aria-label": `${label}: suggestions`, hidden: true });
  const check = h("span", { class: "hint rule-check", id: `${id}-check`, "aria-live": "polite" });
  const fieldsBtn = h("button", { type: "button", class: "ghost small", "aria-expanded": "false" }, "Show available fields");
  const fieldsBox = h("div", { class: "rule-fields", hidden: true });
  let items = [];
  let active = -1;
  let timer;
  let seq = 0;

  const paint = () => {
    clear(code);
    for (const t of tokenize(input.value)) code.append(t.type === "ws" ? t.text : h("span", { class: `t-${t.type}` }, t.text));
    code.style.transform = `translateX(${-input.scrollLeft}px)`;
  };
  const sync = () => requestAnimationFrame(() => (code.style.transform = `translateX(${-input.scrollLeft}px)`));

  const wordAt = () => {
    const caret = input.selectionStart ?? input.value.length;
    const before = input.value.slice(0, caret);
    const last = tokenize(before).at(-1);
    if (last && (last.type === "string" || (last.type === "bad" && /^['"]/.test(last.text)) || last.type === "comment")) return null;
    const word = /[@#\w.:]*$/.exec(before)[0];
    return { word, start: caret - word.length, caret };
  };
  const close = () => {
    list.hidden = true;
    clear(list);
    items = [];
    active = -1;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  };
  const highlight = (i) => {
    active = i;
    [...list.children].forEach((li, n) => li.setAttribute("aria-selected", String(n === i)));
    const li = list.children[i];
    if (li) { input.setAttribute("aria-activedescendant", li.id); li.scrollIntoView({ block: "nearest" }); }
  };
  const open = (force = false) => {
    const at = wordAt();
    if (!at || (!at.word && !force)) return close();
    items = suggest(available(context()), at.word);
    if (!items.length) return close();
    clear(list);
    items.forEach((it, n) => list.append(h("li", { role: "option", id: `${id}-opt-${n}`, "aria-selected": "false",
      onmousedown: (e) => { e.preventDefault(); insert(it); }, onmousemove: () => active !== n && highlight(n) },
    h("span", { class: "value" }, it.value), h("span", { class: "kind" }, it.kind))));
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    const left = textWidth(input.value.slice(0, at.start), input) - input.scrollLeft;
    // Under the word being completed, but never past the editor's right edge (phones).
    list.style.left = "0px";
    list.style.left = `${Math.max(0, Math.min(left, input.parentElement.clientWidth - list.offsetWidth))}px`;
    highlight(0);
  };
  const edited = () => {
    paint();
    clearTimeout(timer);
    check.textContent = "";
    check.className = "hint rule-check";
    input.removeAttribute("aria-invalid");
    const text = input.value;
    if (locked.checked || !text.trim() || !validate) return;
    const mine = ++seq;
    timer = setTimeout(async () => {
      let answer;
      try { answer = await validate(text); } catch (err) { answer = err.message; }
      if (mine !== seq) return;
      if (answer === null) { check.className = "ok rule-check"; check.textContent = "✓ valid"; }
      else if (answer) showError(answer);
    }, 400);
  };
  const insert = (it) => {
    const at = wordAt() || { start: input.selectionStart, caret: input.selectionStart };
    input.value = input.value.slice(0, at.start) + it.value + input.value.slice(at.caret);
    const caret = at.start + it.value.length;
    input.setSelectionRange(caret, caret);
    input.focus();
    edited();
    sync();
    if (it.value.endsWith(".") || it.value.endsWith(":")) open(); else close();
  };
  const showError = (message) => {
    check.className = "error rule-check";
    check.textContent = message;
    input.setAttribute("aria-invalid", "true");
  };

  input.addEventListener("input", () => { edited(); open(); });
  input.addEventListener("keydown", (e) => {
    if (e.key === " " && e.ctrlKey) { e.preventDefault(); return open(true); }
    if (list.hidden) { sync(); return; }
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      highlight((active + (e.key === "ArrowDown" ? 1 : items.length - 1)) % items.length);
    } else if ((e.key === "Enter" || e.key === "Tab") && items[active]) {
      e.preventDefault();
      insert(items[active]);
    } else if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      close();
    } else sync();
  });
  input.addEventListener("scroll", sync);
  input.addEventListener("click", () => list.hidden || open());
  input.addEventListener("blur", () => setTimeout(close, 100));

  const paintFields = () => {
    clear(fieldsBox);
    const groups = [["Fields", (v) => !/[.@]/.test(v) && !/^(true|false|null)$/.test(v)], ["Relations", (v) => !v.startsWith("@") && v.includes(".")],
      ["Request", (v) => v.startsWith("@request.")], ["Other collections", (v) => v.startsWith("@collection.")],
      ["Macros and values", (v) => MACROS.includes(v) || /^(true|false|null)$/.test(v)]];
    const all = available(context());
    const collections = [...new Set(all.filter((c) => c.value.startsWith("@collection.")).map((c) => c.value.split(".").slice(0, 2).join(".") + "."))];
    for (const [title, test] of groups) {
      const names = title === "Other collections" ? collections : all.map((c) => c.value).filter(test);
      if (!names.length) continue;
      fieldsBox.append(h("div", { class: "rule-group" }, h("span", { class: "hint" }, title),
        names.map((v) => h("button", { type: "button", class: "chip", disabled: locked.checked || null,
          onclick: () => {
            const caret = input.selectionStart ?? input.value.length;
            const pad = caret > 0 && !/[\s(]/.test(input.value[caret - 1]) ? " " : "";
            input.setSelectionRange(caret, caret);
            insert({ value: pad + v });
          } }, v))));
    }
    fieldsBox.append(h("div", { class: "rule-group" }, h("span", { class: "hint" }, "Modifiers"),
      MODIFIERS.map((m) => h("code", { class: "chip" }, `:${m}`))));
  };
  fieldsBtn.addEventListener("click", () => {
    fieldsBox.hidden = !fieldsBox.hidden;
    fieldsBtn.setAttribute("aria-expanded", String(!fieldsBox.hidden));
    fieldsBtn.textContent = fieldsBox.hidden ? "Show available fields" : "Hide available fields";
    if (!fieldsBox.hidden) paintFields();
  });
  const syncLock = () => {
    input.disabled = locked.checked;
    wrap.classList.toggle("locked", locked.checked);
    if (!fieldsBox.hidden) paintFields();
    edited();
  };
  locked.addEventListener("change", syncLock);

  const wrap = h("div", { class: "rule-editor" }, pre, input, list);
  const el = h("div", { class: "rule", "data-rule": name },
    h("div", { class: "rule-head" }, h("label", { for: `${id}-input` }, `${label}`),
      h("label", { class: "hint inline" }, locked, "superusers only"), fieldsBtn),
    wrap, check, fieldsBox);
  input.id = `${id}-input`;
  syncLock();
  return { key: name, el, input, read: () => (locked.checked ? null : input.value), showError };
}
