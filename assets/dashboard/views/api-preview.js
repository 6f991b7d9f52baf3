// The API preview of a collection: for each action, the JS SDK call and the curl command,
// with the access rule that applies and a copy button.
import { h, clear } from "../core.js";
import { copyButton } from "../ui.js";

const RULES = [["listRule", "List"], ["viewRule", "View"], ["createRule", "Create"], ["updateRule", "Update"], ["deleteRule", "Delete"]];

function sampleValue(f) {
  switch (f.type) {
    case "number": return 0;
    case "bool": return false;
    case "json": return {};
    case "geoPoint": return { lon: 0, lat: 0 };
    case "select": return f.maxSelect > 1 ? (f.values || []).slice(0, 2) : f.values?.[0] || "";
    case "relation": return f.maxSelect > 1 ? ["RECORD_ID"] : "RECORD_ID";
    case "email": return "test@example.com";
    case "url": return "https://example.com";
    case "date": return "2024-01-01 10:00:00.000Z";
    default: return "";
  }
}

function ruleText(rule) {
  return rule === null || rule === undefined ? "superusers only" : rule === "" ? "everyone" : rule;
}

/// The actions of a collection as [title, rule key, JS SDK, curl].
function actions(coll) {
  const base = `${location.origin}/api/collections/${coll.name}/records`;
  const js = `pb.collection("${coll.name}")`;
  const has = (n) => coll.fields.some((f) => f.name === n);
  const sort = has("created") ? "-created" : "-id";
  const writable = coll.fields.filter((f) => !f.system && !["autodate", "file"].includes(f.type));
  const sample = Object.fromEntries(writable.map((f) => [f.name, sampleValue(f)]));
  if (coll.type === "auth") Object.assign(sample, { email: "test@example.com", password: "12345678", passwordConfirm: "12345678" });
  const body = JSON.stringify(sample, null, 2);
  const auth = "-H 'Authorization: TOKEN'";
  const list = [
    ["List and search", "listRule",
      `const page = await ${js}.getList(1, 30, {\n  filter: "...",\n  sort: "${sort}",\n});\n// or every record at once:\nconst all = await ${js}.getFullList({ sort: "${sort}" });`,
      `curl -G '${base}' ${auth} \\\n  --data-urlencode 'page=1' --data-urlencode 'perPage=30' \\\n  --data-urlencode 'filter=...' --data-urlencode 'sort=${sort}'`],
    ["View", "viewRule", `const record = await ${js}.getOne("RECORD_ID");`, `curl '${base}/RECORD_ID' ${auth}`],
    ["Create", "createRule", `const record = await ${js}.create(${body});`,
      `curl -X POST '${base}' ${auth} \\\n  -H 'Content-Type: application/json' \\\n  -d '${JSON.stringify(sample)}'`],
    ["Update", "updateRule", `const record = await ${js}.update("RECORD_ID", ${body});`,
      `curl -X PATCH '${base}/RECORD_ID' ${auth} \\\n  -H 'Content-Type: application/json' \\\n  -d '${JSON.stringify(sample)}'`],
    ["Delete", "deleteRule", `await ${js}.delete("RECORD_ID");`, `curl -X DELETE '${base}/RECORD_ID' ${auth}`],
    ["Realtime", "listRule",
      `${js}.subscribe("*", (e) => {\n  console.log(e.action, e.record);\n});\n// stop: ${js}.unsubscribe("*");`,
      `curl -N '${location.origin}/api/realtime'\n# then, with the clientId of the PB_CONNECT event:\ncurl -X POST '${location.origin}/api/realtime' ${auth} \\\n  -H 'Content-Type: application/json' \\\n  -d '{"clientId":"CLIENT_ID","subscriptions":["${coll.name}/*"]}'`],
  ];
  if (coll.type === "auth") {
    list.unshift(["Sign in with password", null,
      `const auth = await ${js}.authWithPassword("test@example.com", "12345678");\n// pb.authStore.token now holds the token`,
      `curl -X POST '${location.origin}/api/collections/${coll.name}/auth-with-password' \\\n  -H 'Content-Type: application/json' \\\n  -d '{"identity":"test@example.com","password":"12345678"}'`]);
  }
  if (coll.type === "view") return list.filter(([, key]) => key === "listRule" || key === "viewRule");
  return list;
}

export function preview(root, coll) {
  let lang = localStorage.getItem("croft_preview_lang") || "js";
  const blocks = h("div");
  const tabs = h("div", { class: "tabs", role: "tablist", "aria-label": "Snippet language" });
  const paint = () => {
    clear(tabs);
    for (const [id, label] of [["js", "JS SDK"], ["curl", "curl"]]) {
      tabs.append(h("button", { type: "button", role: "tab", class: id === lang ? "" : "ghost", "aria-selected": String(id === lang),
        onclick: () => { lang = id; localStorage.setItem("croft_preview_lang", id); paint(); } }, label));
    }
    clear(blocks);
    if (lang === "js") {
      const setup = `import PocketBase from "pocketbase";\n\nconst pb = new PocketBase("${location.origin}");`;
      blocks.append(h("section", { class: "snippet" }, h("h2", {}, "Set up"), h("pre", {}, setup), copyButton(setup)));
    }
    for (const [title, key, js, curl] of actions(coll)) {
      const code = lang === "js" ? js : curl;
      blocks.append(h("section", { class: "snippet" },
        h("h2", {}, title, key ? h("span", { class: "hint rule" }, ` · rule: ${ruleText(coll[key])}`) : ""),
        h("pre", {}, code), copyButton(code)));
    }
  };
  paint();
  root.append(h("div", { class: "card" },
    h("div", { class: "toolbar" }, h("h1", { class: "grow" }, `API preview: ${coll.name}`),
      h("a", { href: `#/collections/${coll.name}` }, "Edit collection"), h("a", { href: "/api/docs" }, "Swagger UI")),
    h("p", { class: "hint" }, "TOKEN is a superuser's or a user's auth token (the rule decides who may call), or an API key. ",
      RULES.map(([key, label]) => `${label}: ${ruleText(coll[key])}. `)),
    tabs, blocks));
}
