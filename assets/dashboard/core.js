// Shared helpers: the API client (PocketBase error shape), the saved session, and DOM building.
const STORE_KEY = "croft_auth";

export function auth() {
  try { return JSON.parse(localStorage.getItem(STORE_KEY)); } catch { return null; }
}

export function setAuth(value) {
  if (value) localStorage.setItem(STORE_KEY, JSON.stringify(value));
  else localStorage.removeItem(STORE_KEY);
}

/// Calls the API as the signed-in superuser; errors carry `status` and PocketBase's `data`.
export async function api(path, { method = "GET", body, anonymous = false, form } = {}) {
  const headers = {};
  if (!form) headers["Content-Type"] = "application/json";
  const token = auth()?.token;
  if (token && !anonymous) headers.Authorization = token;
  let res;
  try {
    res = await fetch(path, { method, headers, body: form || (body !== undefined ? JSON.stringify(body) : undefined) });
  } catch {
    throw Object.assign(new Error("The server is unreachable. Check that Croft is running."), { offline: true });
  }
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) {
    throw Object.assign(new Error(data?.message || `Request failed (${res.status}).`), { status: res.status, data });
  }
  return data;
}

/// An element with attributes (`on*` as listeners) and children (strings become text).
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "value") el.value = v;
    else if (k === "checked") el.checked = !!v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  // Children may nest arrays at any depth (lists of lists from `map`).
  for (const c of children.flat(Infinity)) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
}

/// Field errors of a PocketBase error as one readable line.
export function describe(err) {
  const data = err?.data?.data;
  const parts = [];
  const walk = (obj, prefix) => {
    for (const [k, v] of Object.entries(obj || {})) {
      if (v && typeof v === "object" && "message" in v) parts.push(`${prefix}${k}: ${v.message}`);
      else if (v && typeof v === "object") walk(v, `${prefix}${k}.`);
    }
  };
  walk(data, "");
  return [err?.message, ...parts].filter(Boolean).join("\n");
}

const FLASH_KEY = "croft_flash";

/// A message for the next screen (a save that navigates shows it there).
export function flash(text) {
  sessionStorage.setItem(FLASH_KEY, text);
}

/// A status line that says what happened (starting with a message flashed by the last screen).
export function status() {
  const el = h("p", { class: "hint", role: "status", "aria-live": "polite" });
  el.ok = (text) => { el.className = "ok"; el.textContent = text; };
  el.fail = (err) => { el.className = "error"; el.textContent = typeof err === "string" ? err : describe(err); };
  const pending = sessionStorage.getItem(FLASH_KEY);
  if (pending) {
    sessionStorage.removeItem(FLASH_KEY);
    el.ok(pending);
  }
  return el;
}
