// The dashboard: superuser sign-in, then collections, records, settings, jobs, SQL, files and
// API keys, all through Croft's public API. Views live in views/*.js; routes are `#/name/...`.
import { api, auth, setAuth, h, clear } from "./core.js";

const $ = (id) => document.getElementById(id);
const VIEWS = {
  collections: () => import("./views/collections.js"),
  records: () => import("./views/records.js"),
  settings: () => import("./views/settings.js"),
  jobs: () => import("./views/jobs.js"),
  sql: () => import("./views/sql.js"),
  files: () => import("./views/files.js"),
  keys: () => import("./views/keys.js"),
};

/// An unknown route (or a collection or record that does not exist) says so.
async function notFound() {
  return {
    render(root) {
      clear(root);
      root.append(h("div", { class: "card not-found" }, h("h1", {}, "Page not found"),
        h("p", {}, "Nothing lives at ", h("code", {}, location.hash || "#/"), "; it may have been deleted or the link mistyped."),
        h("p", {}, h("a", { href: "#/collections" }, "Back to the collections"))));
    },
  };
}

function show(view) {
  for (const id of ["login", "install", "home"]) $(id).hidden = id !== view;
  $("nav").hidden = view !== "home";
  $("who").textContent = auth()?.record?.email || "";
}

export function notice(text) {
  $("notice").textContent = text || "";
  $("notice").hidden = !text;
}

/// `#/install/TOKEN`: the one-time link `croft serve` prints while no superuser exists.
function installToken() {
  const m = location.hash.match(/^#\/install\/([A-Za-z0-9]+)$/);
  return m ? m[1] : null;
}

async function route() {
  if (installToken()) return show("install");
  if (!auth()?.token) return show("login");
  show("home");
  $("nav").classList.remove("open");
  $("menu").setAttribute("aria-expanded", "false");
  const [name = "collections", ...rest] = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  const load = VIEWS[name || "collections"] || notFound;
  for (const a of document.querySelectorAll("[data-nav]")) {
    a.toggleAttribute("aria-current", a.dataset.nav === name || (name === "records" && a.dataset.nav === "collections"));
    if (a.hasAttribute("aria-current")) a.setAttribute("aria-current", "page");
  }
  const root = $("view");
  clear(root);
  // A panel or dialog of the previous screen goes with it.
  for (const d of document.querySelectorAll("dialog")) d.remove();
  try {
    const mod = await load();
    await mod.render(root, rest);
  } catch (err) {
    if (err.status === 401) { setAuth(null); return show("login"); }
    if (err.status === 404) return (await notFound()).render(root);
    root.append(h("p", { class: "error", role: "alert" }, err.message));
  }
}

async function restore() {
  const saved = auth();
  if (saved?.token && !installToken()) {
    try {
      setAuth(await api("/api/collections/_superusers/auth-refresh", { method: "POST" }));
    } catch (err) {
      if (err.offline) notice(err.message);
      else setAuth(null);
    }
  }
  route();
}

$("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  $("login-error").textContent = "";
  try {
    setAuth(await api("/api/collections/_superusers/auth-with-password", {
      method: "POST", body: { identity: form.get("identity"), password: form.get("password") }, anonymous: true,
    }));
    notice("");
    route();
  } catch (err) {
    $("login-error").textContent = err.offline ? err.message : "Invalid email or password.";
  }
});

$("install-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  $("install-error").textContent = "";
  try {
    setAuth(await api("/api/installer", {
      method: "POST", anonymous: true,
      body: { token: installToken(), email: form.get("email"), password: form.get("password"), passwordConfirm: form.get("passwordConfirm") },
    }));
    history.replaceState(null, "", location.pathname + "#/collections");
    route();
  } catch (err) {
    const fields = Object.values(err.data?.data || {}).map((e) => e.message).join(" ");
    $("install-error").textContent = [err.message, fields].filter(Boolean).join(" ");
  }
});

// On a phone the nav folds behind a Menu button; choosing a screen folds it again.
$("menu").addEventListener("click", () => {
  const open = $("nav").classList.toggle("open");
  $("menu").setAttribute("aria-expanded", String(open));
});

$("signout").addEventListener("click", () => {
  setAuth(null);
  location.hash = "";
  show("login");
});

const THEME_KEY = "croft_theme";
function applyTheme(theme) {
  document.documentElement.dataset.theme = theme;
}
applyTheme(localStorage.getItem(THEME_KEY) || (matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light"));
$("theme").addEventListener("click", () => {
  const next = document.documentElement.dataset.theme === "dark" ? "light" : "dark";
  localStorage.setItem(THEME_KEY, next);
  applyTheme(next);
});

addEventListener("hashchange", route);
restore();
