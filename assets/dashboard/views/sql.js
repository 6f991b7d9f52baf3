// The SQL console: read-only unless writes are switched on; results as a table, CSV export.
import { api, h, clear, status, describe } from "../core.js";

export async function render(root) {
  const query = h("textarea", { "aria-label": "SQL query", placeholder: "SELECT * FROM users LIMIT 10" }, "SELECT name, type FROM _collections ORDER BY name");
  const writes = h("input", { type: "checkbox", "aria-label": "Allow writes" });
  const out = h("div", { class: "table-wrap" });
  const result = status();
  let last = null;
  const run = async () => {
    clear(out);
    try {
      last = await api("/api/sql", { method: "POST", body: { query: query.value, readonly: !writes.checked } });
      result.ok(`${last.rows.length} row(s), ${last.affectedRows} changed, ${last.execTime} ms`);
      out.append(h("table", {}, h("thead", {}, h("tr", {}, last.columns.map((c) => h("th", {}, c.name)))),
        h("tbody", {}, last.rows.map((r) => h("tr", {}, r.map((v) => h("td", {}, v === null ? "NULL" : typeof v === "object" ? JSON.stringify(v) : String(v))))))));
    } catch (err) {
      last = null;
      // A write refused by the read-only connection: say how to allow it.
      if (!writes.checked && /readonly|read-only|read only/i.test(describe(err))) {
        result.fail(`${describe(err)}\nThe console is read-only: tick "allow writes" to run INSERT, UPDATE, DELETE or DDL statements.`);
        writes.parentElement.classList.add("attention");
      } else result.fail(err);
    }
  };
  const csv = () => {
    if (!last) return;
    const esc = (v) => { const s = v === null ? "" : String(v); return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s; };
    const text = [last.columns.map((c) => esc(c.name)).join(","), ...last.rows.map((r) => r.map(esc).join(","))].join("\n");
    const a = h("a", { href: URL.createObjectURL(new Blob([text], { type: "text/csv" })), download: "query.csv" });
    document.body.append(a);
    a.click();
    a.remove();
  };
  query.addEventListener("keydown", (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) run(); });
  root.append(h("div", { class: "card" }, h("h1", {}, "SQL console"), query,
    h("div", { class: "toolbar" }, h("button", { type: "button", onclick: run }, "Run (Ctrl+Enter)"),
      h("label", { class: "hint" }, writes, "allow writes (INSERT, UPDATE, DELETE, DDL)"),
      h("button", { type: "button", class: "ghost", onclick: csv }, "Export CSV")), result, out));
  query.focus();
}
