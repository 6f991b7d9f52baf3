// Jobs: every job with its schedule, last run, result and duration; run one now.
import { api, h, clear, status } from "../core.js";
import { toast } from "../ui.js";

export async function render(root) {
  const body = h("tbody");
  const result = status();
  const load = async () => {
    const jobs = await api("/api/jobs");
    clear(body);
    for (const j of jobs) {
      const last = j.lastRun;
      body.append(h("tr", {},
        h("td", {}, h("strong", {}, j.name), h("div", { class: "hint" }, j.description || "")),
        h("td", {}, j.schedule || "disabled"),
        h("td", {}, last ? last.started : "never"),
        h("td", {}, last ? (last.ok ? h("span", { class: "ok" }, "ok") : h("span", { class: "error" }, last.error || "failed")) : ""),
        h("td", {}, last ? `${last.durationMs} ms` : ""),
        h("td", {}, h("button", { type: "button", class: "ghost", onclick: async (e) => {
          e.target.disabled = true;
          try {
            await api(`/api/crons/${encodeURIComponent(j.name)}`, { method: "POST" });
            result.ok(`Ran ${j.name}.`);
            toast(`Ran the job ${j.name}.`);
          } catch (err) { result.fail(err); toast(err.message || `The job ${j.name} failed.`, "error"); }
          await load();
        } }, "Run now"))));
    }
  };
  root.append(h("div", { class: "card" }, h("h1", {}, "Jobs"),
    h("div", { class: "table-wrap" }, h("table", {}, h("thead", {}, h("tr", {}, ["Job", "Schedule", "Last run", "Result", "Took", ""].map((t) => h("th", {}, t)))), body)), result));
  await load();
}
