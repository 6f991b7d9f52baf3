// The auth options of an auth collection, in PocketBase's collection shape: who may sign in and
// manage records, password/OTP/MFA sign-in, and how long each kind of token lives.
import { h } from "../core.js";
import { ruleEditor } from "../rules.js";

const TOKENS = [
  ["authToken", "Auth token"],
  ["verificationToken", "Verification token"],
  ["passwordResetToken", "Password reset token"],
  ["emailChangeToken", "Email change token"],
  ["fileToken", "Protected file token"],
];

const number = (name, value, label) => h("input", { type: "number", min: 1, name, value: value ?? "", "aria-label": label });
const toggle = (name, value, label) => h("input", { type: "checkbox", name, checked: !!value, "aria-label": label });

/// The form section and a reader that returns the changed options for a PATCH body.
/// The second argument carries the rule editors' { context, validate(key) } from the collection form.
export function authOptions(coll, { context, validate } = {}) {
  const rule = (name, value, label, placeholder) => ruleEditor({ name, value, label, placeholder, context, validate: validate?.(name) });
  const authRule = rule("authRule", coll.authRule, "Auth rule", "empty: everyone who passes the other checks");
  const manageRule = rule("manageRule", coll.manageRule, "Manage rule", "empty: everyone who passes the other checks");
  const pw = coll.passwordAuth || {};
  const pwEnabled = toggle("passwordAuthEnabled", pw.enabled, "Password sign-in");
  const identities = h("input", { name: "identityFields", value: (pw.identityFields || []).join(", "), "aria-label": "Identity fields" });
  const otp = coll.otp || {};
  const otpEnabled = toggle("otpEnabled", otp.enabled, "One-time passwords");
  const otpLength = number("otpLength", otp.length, "OTP length");
  const otpDuration = number("otpDuration", otp.duration, "OTP lifetime in seconds");
  const mfa = coll.mfa || {};
  const mfaEnabled = toggle("mfaEnabled", mfa.enabled, "Multi-factor sign-in");
  const mfaDuration = number("mfaDuration", mfa.duration, "MFA lifetime in seconds");
  const tokens = TOKENS.map(([key, label]) => ({ key, input: number(key, coll[key]?.duration, `${label} lifetime in seconds`), label }));
  const el = h("div", {},
    h("h2", {}, "Sign-in"),
    authRule.el, h("p", { class: "hint" }, "Checked on every sign-in, after the credentials."),
    manageRule.el, h("p", { class: "hint" }, "Who may change others' email, verified state and password without the old one."),
    h("div", { class: "row" }, h("label", {}, pwEnabled, " Password sign-in"), h("label", {}, "Identity fields", identities)),
    h("div", { class: "row" }, h("label", {}, otpEnabled, " One-time passwords by email"), h("label", {}, "Length", otpLength), h("label", {}, "Lifetime (s)", otpDuration)),
    h("div", { class: "row" }, h("label", {}, mfaEnabled, " Require two methods (MFA)"), h("label", {}, "Lifetime (s)", mfaDuration)),
    h("h2", {}, "Token lifetimes (seconds)"),
    h("div", { class: "row" }, tokens.map((t) => h("label", {}, t.label, t.input))));
  const read = () => {
    const out = {
      authRule: authRule.read(),
      manageRule: manageRule.read(),
      passwordAuth: { ...pw, enabled: pwEnabled.checked, identityFields: identities.value.split(",").map((s) => s.trim()).filter(Boolean) },
      otp: { ...otp, enabled: otpEnabled.checked, length: Number(otpLength.value) || otp.length, duration: Number(otpDuration.value) || otp.duration },
      mfa: { ...mfa, enabled: mfaEnabled.checked, duration: Number(mfaDuration.value) || mfa.duration },
    };
    for (const t of tokens) out[t.key] = { ...coll[t.key], duration: Number(t.input.value) || coll[t.key]?.duration };
    return out;
  };
  return { el, read, rules: [authRule, manageRule] };
}
