// Auth email flows, impersonation and the test email, against PocketBase 0.40.6 and Croft, each
// mailing through its own real SMTP sink; the tokens in the mails are redeemed through the SDK.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import PocketBase from "pocketbase";
import { startBoth, superuserClient, ADMIN } from "./diff/servers.mjs";
import { startCroft, croft } from "./server.mjs";
import { startSmtp } from "./smtp.mjs";

const PASSWORD = "password123";
let servers, sinks;

before(async () => {
  servers = await startBoth();
  sinks = { pb: await startSmtp(), cr: await startSmtp() };
  for (const [k, url] of [["pb", servers.pb.url], ["cr", servers.cr.url]]) {
    const su = await superuserClient(url);
    await su.settings.update({ meta: { appName: "Acme", appURL: "http://app.example.com", senderName: "Support", senderAddress: "support@example.com" }, smtp: sinks[k].settings });
  }
});

after(async () => {
  await servers?.pb.stop();
  await servers?.cr.stop();
  await sinks?.pb.stop();
  await sinks?.cr.stop();
});

async function attempt(f) {
  try {
    const v = await f();
    return v === undefined ? "ok" : v;
  } catch (e) {
    return { status: e.status, error: e.response };
  }
}

function norm(v) {
  if (typeof v === "string") return v.replace(/^[a-z0-9]{15}$/, "ID");
  if (Array.isArray(v)) return v.map(norm);
  if (v && typeof v === "object") {
    const out = {};
    for (const k of Object.keys(v).sort()) if (!["created", "updated", "id", "token"].includes(k)) out[k] = norm(v[k]);
    return out;
  }
  return v;
}

const tokenIn = (mail, path) => mail.body.match(new RegExp(`/_/#/auth/${path}/([A-Za-z0-9_\\-.]+)`))[1];
const payload = (jwt) => JSON.parse(Buffer.from(jwt.split(".")[1], "base64url"));

async function scenario(url, sink) {
  const out = {};
  const su = await superuserClient(url);
  const users = () => new PocketBase(url).collection("users");
  const alice = await su.collection("users").create({ email: "alice@example.com", password: PASSWORD, passwordConfirm: PASSWORD, name: "Alice" });

  // Verification.
  out.verifyUnknown = await attempt(() => users().requestVerification("nobody@example.com"));
  out.verifyBadEmail = await attempt(() => users().requestVerification("not-an-email"));
  out.verifySuperuser = await attempt(() => new PocketBase(url).collection("_superusers").requestVerification("admin@example.com"));
  out.verifyRequest = await attempt(() => users().requestVerification("alice@example.com"));
  const vmail = await sink.waitFor("alice@example.com", /Verify/);
  out.verifyMail = { subject: vmail.subject, from: vmail.from, link: /http:\/\/app\.example\.com\/_\/#\/auth\/confirm-verification\//.test(vmail.body) };
  const vtoken = tokenIn(vmail, "confirm-verification");
  out.verifyTokenClaims = Object.keys(payload(vtoken)).sort();
  out.verifyGarbage = await attempt(() => users().confirmVerification("garbage"));
  out.verifyEmpty = await attempt(() => new PocketBase(url).send("/api/collections/users/confirm-verification", { method: "POST", body: {} }));
  out.verifyConfirm = await attempt(() => users().confirmVerification(vtoken));
  out.verifiedAfter = (await su.collection("users").getOne(alice.id)).verified;
  out.verifyAgain = await attempt(() => users().requestVerification("alice@example.com"));

  // Password reset.
  const signedIn = new PocketBase(url);
  await signedIn.collection("users").authWithPassword("alice@example.com", PASSWORD);
  out.resetUnknown = await attempt(() => users().requestPasswordReset("nobody@example.com"));
  out.resetRequest = await attempt(() => users().requestPasswordReset("alice@example.com"));
  const rmail = await sink.waitFor("alice@example.com", /Reset/);
  out.resetSubject = rmail.subject;
  const rtoken = tokenIn(rmail, "confirm-password-reset");
  out.resetMismatch = await attempt(() => users().confirmPasswordReset(rtoken, "newpassword1", "different1"));
  out.resetShort = await attempt(() => users().confirmPasswordReset(rtoken, "short", "short"));
  out.resetBadToken = await attempt(() => users().confirmPasswordReset("garbage", "newpassword1", "newpassword1"));
  out.resetWrongKind = await attempt(() => users().confirmPasswordReset(vtoken, "newpassword1", "newpassword1"));
  out.resetConfirm = await attempt(() => users().confirmPasswordReset(rtoken, "newpassword1", "newpassword1"));
  out.oldSessionAfterReset = await attempt(() => signedIn.collection("users").authRefresh());
  out.oldPasswordAfterReset = await attempt(() => users().authWithPassword("alice@example.com", PASSWORD));
  out.newPasswordWorks = (await users().authWithPassword("alice@example.com", "newpassword1")).record.email;
  out.resetTokenTwice = await attempt(() => users().confirmPasswordReset(rtoken, "newpassword2", "newpassword2"));

  // Email change.
  const me = new PocketBase(url);
  await me.collection("users").authWithPassword("alice@example.com", "newpassword1");
  out.changeGuest = await attempt(() => users().requestEmailChange("alice2@example.com"));
  out.changeSame = await attempt(() => me.collection("users").requestEmailChange("alice@example.com"));
  out.changeTaken = await attempt(async () => {
    await su.collection("users").create({ email: "bob@example.com", password: PASSWORD, passwordConfirm: PASSWORD });
    return me.collection("users").requestEmailChange("bob@example.com");
  });
  out.changeRequest = await attempt(() => me.collection("users").requestEmailChange("alice2@example.com"));
  const cmail = await sink.waitFor("alice2@example.com", /Confirm/);
  out.changeSubject = cmail.subject;
  const ctoken = tokenIn(cmail, "confirm-email-change");
  out.changeClaims = Object.keys(payload(ctoken)).sort();
  out.changeWrongPassword = await attempt(() => users().confirmEmailChange(ctoken, "wrong-password"));
  out.changeConfirm = await attempt(() => users().confirmEmailChange(ctoken, "newpassword1"));
  out.loginNewEmail = (await users().authWithPassword("alice2@example.com", "newpassword1")).record.email;

  // Impersonation.
  const as = await su.collection("users").impersonate(alice.id, 600);
  out.impersonated = as.authStore.record;
  const claims = payload(as.authStore.token);
  out.impersonateClaims = { refreshable: claims.refreshable, type: claims.type, lifetime: claims.exp - Math.floor(Date.now() / 1000) > 500 && claims.exp - Math.floor(Date.now() / 1000) <= 600 };
  out.impersonatedCanRead = (await as.collection("users").getOne(alice.id)).email;
  out.impersonateByUser = await attempt(() => me.collection("users").impersonate(alice.id, 60));
  out.impersonateMissing = await attempt(() => su.collection("users").impersonate("aaaaaaaaaaaaaaa", 60));

  // The test email.
  out.testEmail = await attempt(() => su.settings.testEmail("users", "ops@example.com", "verification"));
  out.testEmailSubject = (await sink.waitFor("ops@example.com", /Verify/)).subject;
  out.testEmailBadTemplate = await attempt(() => su.settings.testEmail("users", "ops@example.com", "nope"));
  return out;
}

test("verification, password reset, email change, impersonation and test emails match PocketBase", async () => {
  const expected = norm(await scenario(servers.pb.url, sinks.pb));
  assert.equal(expected.verifiedAfter, true, "sanity: PocketBase verified the record");
  const got = norm(await scenario(servers.cr.url, sinks.cr));
  for (const key of Object.keys(expected)) assert.deepEqual(got[key], expected[key], key);
});

async function otpScenario(url, sink) {
  const out = {};
  const su = await superuserClient(url);
  const users = () => new PocketBase(url).collection("users");
  await su.collection("users").create({ email: "olga@example.com", password: PASSWORD, passwordConfirm: PASSWORD });
  out.otpDisabled = await attempt(() => users().requestOTP("olga@example.com"));
  await su.collections.update("users", { otp: { enabled: true, length: 6 } });
  out.otpUnknown = await attempt(() => users().requestOTP("nobody@example.com"));
  out.otpBadEmail = await attempt(() => users().requestOTP("nope"));
  const { otpId } = await users().requestOTP("olga@example.com");
  const mail = await sink.waitFor("olga@example.com", /OTP/);
  out.otpSubject = mail.subject;
  const code = mail.body.match(/<strong>(\d+)<\/strong>/)[1];
  out.otpCodeLength = code.length;
  out.otpWrong = await attempt(() => users().authWithOTP(otpId, "000000" === code ? "111111" : "000000"));
  out.otpMissing = await attempt(() => users().authWithOTP("", ""));
  out.otpUnknownId = await attempt(() => users().authWithOTP("aaaaaaaaaaaaaaa", code));
  const signed = await users().authWithOTP(otpId, code);
  out.otpRecord = signed.record;
  out.otpReused = await attempt(() => users().authWithOTP(otpId, code));

  // Verifying by OTP (without MFA) replaced the unknown password with a random one.
  out.passwordAfterOtp = await attempt(() => users().authWithPassword("olga@example.com", PASSWORD));
  await su.collection("users").update(signed.record.id, { password: PASSWORD, passwordConfirm: PASSWORD });
  // MFA: password first, then an OTP with the mfaId.
  await su.collections.update("users", { mfa: { enabled: true } });
  const first = await attempt(() => users().authWithPassword("olga@example.com", PASSWORD));
  out.mfaFirst = { status: first.status, keys: Object.keys(first.error || {}) };
  const mfaId = first.error?.mfaId;
  out.mfaSameMethod = await attempt(() => users().authWithPassword("olga@example.com", PASSWORD, { mfaId }));
  const olgaMails = () => sink.read().filter((m) => m.to.includes("olga@") && /OTP/.test(m.subject));
  const before = olgaMails().length;
  const second = await users().requestOTP("olga@example.com");
  for (let i = 0; i < 200 && olgaMails().length === before; i++) await new Promise((r) => setTimeout(r, 50));
  const code2 = olgaMails().pop().body.match(/<strong>(\d+)<\/strong>/)[1];
  out.mfaDone = (await users().authWithOTP(second.otpId, code2, { mfaId })).record.email;
  out.mfaReused = await attempt(() => users().authWithPassword("olga@example.com", PASSWORD, { mfaId }));
  await su.collections.update("users", { mfa: { enabled: false } });

  // The authRule decides who may sign in at all.
  await su.collections.update("users", { authRule: "verified = true" });
  await su.collection("users").create({ email: "vic@example.com", password: PASSWORD, passwordConfirm: PASSWORD });
  out.authRuleRefused = await attempt(() => users().authWithPassword("vic@example.com", PASSWORD));
  await su.collections.update("users", { authRule: "" });
  out.authRuleOpen = (await users().authWithPassword("vic@example.com", PASSWORD)).record.email;
  return out;
}

test("OTP, MFA and the authRule match PocketBase", async () => {
  const expected = norm(await otpScenario(servers.pb.url, sinks.pb).catch((e) => { throw new Error("pocketbase: " + e.url + " " + JSON.stringify(e.response)); }));
  assert.equal(expected.otpRecord.email, "olga@example.com", "sanity: PocketBase signed in with the code");
  const got = norm(await otpScenario(servers.cr.url, sinks.cr));
  for (const key of Object.keys(expected)) assert.deepEqual(got[key], expected[key], key);
});

async function identityScenario(url) {
  const out = {};
  const su = await superuserClient(url);
  await su.collections.create({
    name: "members", type: "auth", listRule: "", viewRule: "", createRule: "",
    fields: [{ name: "username", type: "text", required: true, min: 3 }],
    indexes: ["CREATE UNIQUE INDEX idx_members_username ON members (username)"],
    passwordAuth: { enabled: true, identityFields: ["email", "username"] },
  });
  const members = () => new PocketBase(url).collection("members");
  out.signUp = await attempt(() => members().create({ email: "mo@example.com", username: "mo_the_member", password: PASSWORD, passwordConfirm: PASSWORD }));
  out.signUpTaken = await attempt(() => members().create({ email: "mo2@example.com", username: "mo_the_member", password: PASSWORD, passwordConfirm: PASSWORD }));
  out.byEmail = (await members().authWithPassword("mo@example.com", PASSWORD)).record.username;
  out.byUsername = (await members().authWithPassword("mo_the_member", PASSWORD)).record.email;
  out.byUsernameField = (await attempt(() => members().authWithPassword("mo_the_member", PASSWORD, { identityField: "username" }))).record?.email;
  out.wrongField = await attempt(() => members().authWithPassword("mo_the_member", PASSWORD, { identityField: "email" }));
  const c = new PocketBase(url);
  await c.collection("members").authWithPassword("mo_the_member", PASSWORD);
  out.refresh = (await c.collection("members").authRefresh()).record.username;
  out.refreshOther = await attempt(() => c.collection("users").authRefresh());
  out.methods = await members().listAuthMethods();

  // Without manage access: email and verified cannot change through an update, and a new
  // password needs the old one. The manageRule grants it.
  await su.collections.update("members", { updateRule: "@request.auth.id != ''", viewRule: "" });
  const mo = c.authStore.record;
  const other = await members().create({ email: "ned@example.com", username: "ned_the_member", password: PASSWORD, passwordConfirm: PASSWORD });
  out.ownEmail = await attempt(() => c.collection("members").update(mo.id, { email: "mo3@example.com" }));
  out.ownVerified = await attempt(() => c.collection("members").update(mo.id, { verified: true }));
  out.sameVerified = (await attempt(() => c.collection("members").update(mo.id, { verified: false, username: "mo_renamed" }))).username;
  out.othersPassword = await attempt(() => c.collection("members").update(other.id, { password: "newpassword1", passwordConfirm: "newpassword1" }));
  out.guestVerifiedOnCreate = await attempt(() => members().create({ email: "v@example.com", username: "v_member", password: PASSWORD, passwordConfirm: PASSWORD, verified: true }));
  await su.collections.update("members", { manageRule: "@request.auth.username = 'mo_renamed'" });
  out.managedPassword = (await attempt(() => c.collection("members").update(other.id, { password: "newpassword1", passwordConfirm: "newpassword1" }))).email;
  out.managedVerified = (await attempt(() => c.collection("members").update(other.id, { verified: true }))).verified;
  const managedEmail = await attempt(() => c.collection("members").update(other.id, { email: "ned2@example.com" }));
  out.managedEmail = managedEmail.email ?? managedEmail;
  out.nedNewPassword = (await members().authWithPassword("ned2@example.com", "newpassword1")).record.username;
  return out;
}

test("sign-up, sign-in by email and by username, refresh and auth-methods match PocketBase", async () => {
  const expected = norm(await identityScenario(servers.pb.url));
  assert.equal(expected.byUsername, "mo@example.com", "sanity: PocketBase signed in by username");
  const got = norm(await identityScenario(servers.cr.url));
  for (const key of Object.keys(expected)) assert.deepEqual(got[key], expected[key], key);
});

async function alertScenario(url, sink) {
  const out = {};
  const su = await superuserClient(url);
  await su.collection("users").create({ email: "alan@example.com", password: PASSWORD, passwordConfirm: PASSWORD });
  const login = (agent) => new PocketBase(url).collection("users").authWithPassword("alan@example.com", PASSWORD, { headers: { "User-Agent": agent } });
  const alerts = () => sink.read().filter((m) => m.to.includes("alan@") && /new location/.test(m.subject));
  await login("agent-one");
  await login("agent-one");
  await new Promise((r) => setTimeout(r, 300));
  out.afterKnownOrigin = alerts().length;
  await login("agent-two");
  for (let i = 0; i < 100 && alerts().length === 0; i++) await new Promise((r) => setTimeout(r, 50));
  out.afterNewOrigin = alerts().length;
  out.alertMentionsAgent = alerts().pop()?.body.includes("agent-two");
  const alan = (await su.collection("users").getFirstListItem('email = "alan@example.com"')).id;
  out.origins = (await su.collection("_authOrigins").getFullList({ filter: `recordRef = "${alan}"` })).length;
  out.superuserOrigins = (await su.collection("_authOrigins").getFullList({ filter: `collectionRef = "pbc_3142635823"` })).length;
  return out;
}

test("a sign-in from a new origin mails an alert, as PocketBase does", async () => {
  const expected = norm(await alertScenario(servers.pb.url, sinks.pb));
  assert.equal(expected.afterNewOrigin, 1, "sanity: PocketBase sent one alert");
  const got = norm(await alertScenario(servers.cr.url, sinks.cr));
  for (const key of Object.keys(expected)) assert.deepEqual(got[key], expected[key], key);
});

async function limitScenario(url) {
  const out = {};
  const su = await superuserClient(url);
  await su.collection("users").create({ email: "rita@example.com", password: PASSWORD, passwordConfirm: PASSWORD });
  await su.settings.update({ rateLimits: { enabled: true, rules: [{ label: "*:auth", maxRequests: 2, duration: 60, audience: "" }, { label: "/api/", maxRequests: 1000, duration: 10, audience: "" }] } });
  const login = () => attempt(() => new PocketBase(url).collection("users").authWithPassword("rita@example.com", PASSWORD));
  out.first = (await login()).record?.email;
  out.second = (await login()).record?.email;
  out.third = await login();
  out.superuserUnlimited = (await attempt(() => su.collection("users").getList(1, 1))).totalItems;
  out.otherRoutes = (await attempt(() => new PocketBase(url).health.check())).code;
  await su.settings.update({ rateLimits: { enabled: false } });
  out.afterDisabling = (await login()).record?.email;
  return out;
}

test("rate limit settings match PocketBase", async () => {
  const expected = norm(await limitScenario(servers.pb.url));
  assert.equal(expected.third.status, 429, "sanity: PocketBase limited the third sign-in");
  const got = norm(await limitScenario(servers.cr.url));
  for (const key of Object.keys(expected)) assert.deepEqual(got[key], expected[key], key);
});

test("password guessing is refused after ten failures, whatever the settings", async () => {
  // A server of its own: the failures of the other tests (same client IP) must not count.
  const own = await startCroft();
  croft(own.dir, "superuser", "upsert", ADMIN.email, ADMIN.password);
  const url = own.url;
  const su = await superuserClient(url);
  await su.collection("users").create({ email: "gus@example.com", password: PASSWORD, passwordConfirm: PASSWORD });
  const users = () => new PocketBase(url).collection("users");
  for (let i = 0; i < 10; i++) {
    assert.equal((await attempt(() => users().authWithPassword("gus@example.com", `wrong-${i}-pass`))).status, 400);
  }
  const blocked = await attempt(() => users().authWithPassword("gus@example.com", PASSWORD));
  assert.equal(blocked.status, 429, "even the right password waits");
  assert.match(blocked.error.message, /Too many failed attempts/);
  const otherIdentity = await attempt(() => users().authWithPassword("nobody@example.com", "whatever-pass"));
  assert.equal(otherIdentity.status, 429, "the same client is blocked for other identities too");
  assert.ok((await su.collection("users").getList(1, 1)).totalItems >= 1, "other routes still work");
  await own.stop();
});

test("unknown and known emails get the same answer and no mail goes to unknown addresses", async () => {
  const c = new PocketBase(servers.cr.url);
  const before = sinks.cr.count();
  for (let i = 0; i < 5; i++) {
    assert.equal(await c.collection("users").requestPasswordReset(`ghost${i}@example.com`), true);
  }
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(sinks.cr.count(), before, "no mail for unknown addresses");
});
