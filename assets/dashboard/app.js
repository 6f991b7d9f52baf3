// The dashboard shell: superuser sign-in against the public API, kept across reloads.
const STORE_KEY = "croft_auth";
const $ = (id) => document.getElementById(id);

async function api(path, { method = "GET", body, token } = {}) {
  const headers = { "Content-Type": "application/json" };
  if (token) headers.Authorization = token;
  let res;
  try {
    res = await fetch(path, { method, headers, body: body && JSON.stringify(body) });
  } catch {
    throw Object.assign(new Error("The server is unreachable. Check that Croft is running."), { offline: true });
  }
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) throw Object.assign(new Error(data?.message || `Request failed (${res.status}).`), { status: res.status, data });
  return data;
}

function saved() {
  try { return JSON.parse(localStorage.getItem(STORE_KEY)); } catch { return null; }
}

function show(view, auth) {
  $("login").hidden = view !== "login";
  $("install").hidden = view !== "install";
  $("home").hidden = view !== "home";
  $("nav").hidden = view !== "home";
  $("who").textContent = auth?.record?.email || "";
}

function notice(text) {
  $("notice").textContent = text || "";
  $("notice").hidden = !text;
}

/// `#/install/TOKEN`: the one-time link `croft serve` prints while no superuser exists.
function installToken() {
  const m = location.hash.match(/^#\/install\/([A-Za-z0-9]+)$/);
  return m ? m[1] : null;
}

async function restore() {
  if (installToken()) return show("install");
  const auth = saved();
  if (!auth?.token) return show("login");
  try {
    const fresh = await api("/api/collections/_superusers/auth-refresh", { method: "POST", token: auth.token });
    localStorage.setItem(STORE_KEY, JSON.stringify(fresh));
    show("home", fresh);
  } catch (err) {
    if (err.offline) { notice(err.message); return show("home", auth); }
    localStorage.removeItem(STORE_KEY);
    show("login");
  }
}

$("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  $("login-error").textContent = "";
  try {
    const auth = await api("/api/collections/_superusers/auth-with-password", {
      method: "POST",
      body: { identity: form.get("identity"), password: form.get("password") },
    });
    localStorage.setItem(STORE_KEY, JSON.stringify(auth));
    notice("");
    show("home", auth);
  } catch (err) {
    $("login-error").textContent = err.offline ? err.message : "Invalid email or password.";
  }
});

$("install-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  $("install-error").textContent = "";
  try {
    const auth = await api("/api/installer", {
      method: "POST",
      body: { token: installToken(), email: form.get("email"), password: form.get("password"), passwordConfirm: form.get("passwordConfirm") },
    });
    localStorage.setItem(STORE_KEY, JSON.stringify(auth));
    history.replaceState(null, "", location.pathname);
    show("home", auth);
  } catch (err) {
    const fields = Object.values(err.data?.data || {}).map((e) => e.message).join(" ");
    $("install-error").textContent = [err.message, fields].filter(Boolean).join(" ");
  }
});

$("signout").addEventListener("click", () => {
  localStorage.removeItem(STORE_KEY);
  show("login");
});

restore();
