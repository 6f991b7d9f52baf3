// API keys: create (the key is shown once), list, revoke.
import { api, h, clear, status } from "../core.js";

export async function render(root) {
  const body = h("tbody");
  const result = status();
  const shown = h("pre", { hidden: true, "aria-live": "polite" });
  const name = h("input", { name: "name", placeholder: "e.g. ci-importer", "aria-label": "Key name", required: true });
  const scope = h("input", { name: "scope", placeholder: "posts:list,view  *:create", "aria-label": "Scopes" });
  const expires = h("input", { name: "expires", type: "date", "aria-label": "Expires" });
  const load = async () => {
    const keys = await api("/api/keys");
    clear(body);
    for (const k of keys) {
      body.append(h("tr", {}, h("td", {}, k.name), h("td", {}, k.id),
        h("td", {}, k.scopes.map((s) => `${s.collection}:${s.actions.join(",")}`).join(" ")),
        h("td", {}, k.expires || "never"),
        h("td", {}, h("button", { type: "button", class: "danger", onclick: async () => {
          if (!confirm(`Revoke the key ${k.name}?`)) return;
          try { await api(`/api/keys/${k.id}`, { method: "DELETE" }); result.ok(`Revoked ${k.name}.`); } catch (err) { result.fail(err); }
          load();
        } }, "Revoke"))));
    }
  };
  const create = async (e) => {
    e.preventDefault();
    const scopes = scope.value.split(/\s+/).filter(Boolean).map((s) => {
      const [collection, actions = ""] = s.split(":");
      return { collection, actions: actions.split(",").filter(Boolean) };
    });
    try {
      const made = await api("/api/keys", { method: "POST", body: { name: name.value, scopes, expires: expires.value ? `${expires.value} 00:00:00.000Z` : "" } });
      shown.hidden = false;
      shown.textContent = `New key (shown only now, copy it):\n${made.key}`;
      result.ok(`Created ${made.name}.`);
      load();
    } catch (err) { result.fail(err); }
  };
  root.append(h("form", { class: "card", onsubmit: create }, h("h1", {}, "API keys"),
    h("div", { class: "row" }, h("label", {}, "Name", name), h("label", {}, "Scopes (collection:actions …)", scope), h("label", {}, "Expires", expires)),
    h("button", { type: "submit" }, "Create key"), shown, result),
    h("div", { class: "card" }, h("div", { class: "table-wrap" }, h("table", {}, h("thead", {}, h("tr", {}, ["Name", "Id", "Scopes", "Expires", ""].map((t) => h("th", {}, t)))), body))));
  await load();
}
