// API keys: create (the key is shown once), list, revoke.
import { api, h, clear, status } from "../core.js";
import { toast, confirmDialog, copyButton } from "../ui.js";

export async function render(root) {
  const body = h("tbody");
  const result = status();
  const shown = h("div", { class: "new-key", hidden: true, "aria-live": "polite" });
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
          if (!await confirmDialog({ title: `Revoke the key ${k.name}?`, text: "Programs using it are refused from now on.", confirm: "Revoke", danger: true })) return;
          try { await api(`/api/keys/${k.id}`, { method: "DELETE" }); result.ok(`Revoked ${k.name}.`); toast(`Revoked the key ${k.name}.`); } catch (err) { result.fail(err); toast(err, "error"); }
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
    // A key shown for an earlier request must not look like the answer to this one.
    clear(shown);
    shown.hidden = true;
    try {
      const made = await api("/api/keys", { method: "POST", body: { name: name.value, scopes, expires: expires.value ? `${expires.value} 00:00:00.000Z` : "" } });
      shown.hidden = false;
      shown.append(h("p", {}, `New key ${made.name} (shown only now, copy it):`), h("pre", {}, made.key), copyButton(made.key, "Copy key"));
      result.ok(`Created ${made.name}.`);
      toast(`Created the key ${made.name}.`);
      load();
    } catch (err) { result.fail(err); toast(err.message || "The key was not created.", "error"); }
  };
  root.append(h("form", { class: "card", onsubmit: create }, h("h1", {}, "API keys"),
    h("div", { class: "row" }, h("label", {}, "Name", name), h("label", {}, "Scopes (collection:actions …)", scope), h("label", {}, "Expires", expires)),
    h("button", { type: "submit" }, "Create key"), shown, result),
    h("div", { class: "card" }, h("div", { class: "table-wrap" }, h("table", {}, h("thead", {}, h("tr", {}, ["Name", "Id", "Scopes", "Expires", ""].map((t) => h("th", {}, t)))), body))));
  await load();
}
