// Settings: application, SMTP (with a test email), S3 storage (with a connection test), batch
// and rate limits. Secrets are never shown; an empty secret field keeps the stored one.
import { api, h, status } from "../core.js";
import { toast } from "../ui.js";

export async function render(root) {
  const s = await api("/api/settings");
  const field = (label, path, type = "text", extra = {}) => {
    const [group, key] = path.split(".");
    const value = s[group]?.[key];
    const el = type === "checkbox"
      ? h("input", { type, name: path, checked: !!value, ...extra })
      : h("input", { type, name: path, value: value ?? "", ...extra });
    return type === "checkbox" ? h("label", {}, el, label) : h("label", {}, label, el);
  };
  const read = (form) => {
    const out = {};
    for (const el of form.querySelectorAll("input[name]")) {
      const [group, key] = el.name.split(".");
      out[group] ??= {};
      out[group][key] = el.type === "checkbox" ? el.checked : el.type === "number" ? Number(el.value) : el.value;
    }
    return out;
  };
  const section = (title, inputs, extra = []) => {
    const result = status();
    const form = h("form", { class: "card", onsubmit: async (e) => {
      e.preventDefault();
      try {
        await api("/api/settings", { method: "PATCH", body: read(form) });
        result.ok("Saved.");
        toast(`Saved the ${title} settings.`);
      } catch (err) {
        result.fail(err);
        toast(err.message || "The settings were not saved.", "error");
      }
    } }, h("h2", {}, title), inputs, h("div", { class: "toolbar" }, h("button", { type: "submit" }, "Save"), extra), result);
    return form;
  };
  const testEmail = h("input", { type: "email", placeholder: "send a test email to", "aria-label": "Test email address" });
  const emailResult = status();
  const s3Result = status();
  root.append(h("h1", {}, "Settings"),
    section("Application", [field("Name", "meta.appName"), field("URL", "meta.appURL", "url"), field("Sender name", "meta.senderName"), field("Sender address", "meta.senderAddress", "email")]),
    section("Mail (SMTP)", [field("Enabled", "smtp.enabled", "checkbox"), h("div", { class: "row" }, field("Host", "smtp.host"), field("Port", "smtp.port", "number")),
      h("div", { class: "row" }, field("Username", "smtp.username"), field("Password", "smtp.password", "password", { placeholder: "unchanged", autocomplete: "off" })),
      field("Implicit TLS (port 465)", "smtp.tls", "checkbox")],
      [testEmail, h("button", { type: "button", class: "ghost", onclick: async () => {
        try {
          await api("/api/settings/test/email", { method: "POST", body: { email: testEmail.value, template: "verification", collection: "_superusers" } });
          emailResult.ok(`Sent to ${testEmail.value}.`);
          toast(`Sent a test email to ${testEmail.value}.`);
        } catch (err) { emailResult.fail(err); toast(err.message || "The test email was not sent.", "error"); }
      } }, "Send test email"), emailResult]),
    section("File storage (S3)", [field("Use S3", "s3.enabled", "checkbox"), h("div", { class: "row" }, field("Endpoint", "s3.endpoint", "url"), field("Bucket", "s3.bucket")),
      h("div", { class: "row" }, field("Region", "s3.region"), field("Access key", "s3.accessKey")),
      field("Secret", "s3.secret", "password", { placeholder: "unchanged", autocomplete: "off" }), field("Path-style addressing", "s3.forcePathStyle", "checkbox")],
      [h("button", { type: "button", class: "ghost", onclick: async () => {
        try {
          await api("/api/settings/test/s3", { method: "POST", body: { filesystem: "storage" } });
          s3Result.ok("The bucket works.");
          toast("The S3 bucket works.");
        } catch (err) { s3Result.fail(err); toast(err.message || "The S3 test failed.", "error"); }
      } }, "Test connection"), s3Result]),
    section("Batch requests", [field("Enabled", "batch.enabled", "checkbox"), h("div", { class: "row" }, field("Max requests", "batch.maxRequests", "number"), field("Timeout (s)", "batch.timeout", "number"))]),
    section("Rate limits", [field("Enabled (PocketBase's rules)", "rateLimits.enabled", "checkbox"),
      h("p", { class: "hint" }, "Failed sign-ins are always limited: 10 per client or identity in 5 minutes.")]));
}
