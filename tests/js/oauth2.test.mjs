// OAuth2 / OIDC sign-in against a real (small) OpenID provider on loopback: discovery, PKCE,
// sign-up with createData, linking, no takeover through unverified emails, and the SDK's
// all-in-one flow over realtime and /api/oauth2-redirect.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { EventSource } from "eventsource";
import PocketBase from "pocketbase";
import { startCroft, croft } from "./server.mjs";
import { superuserClient, ADMIN } from "./diff/servers.mjs";
import { startOidc } from "./oidc.mjs";

globalThis.EventSource = EventSource;
let server, idp, su;

before(async () => {
  idp = await startOidc();
  server = await startCroft();
  croft(server.dir, "superuser", "upsert", ADMIN.email, ADMIN.password);
  su = await superuserClient(server.url);
  await su.collections.update("users", {
    oauth2: {
      enabled: true,
      mappedFields: { name: "name" },
      // Endpoints from the provider's discovery document.
      providers: [{ name: "oidc", clientId: idp.clientId, clientSecret: idp.clientSecret, extra: { issuer: idp.url } }],
    },
  });
});

after(async () => {
  await server?.stop();
  await idp?.stop();
});

async function attempt(f) {
  try {
    return await f();
  } catch (e) {
    return { status: e.status, error: e.response };
  }
}

/// What a browser does: open the provider's URL, follow its redirect, return the code.
async function authorize(provider, redirect) {
  const res = await fetch(provider.authURL + encodeURIComponent(redirect), { redirect: "manual" });
  assert.equal(res.status, 302, "the provider redirects back");
  const back = new URL(res.headers.get("location"));
  assert.equal(back.searchParams.get("state"), provider.state);
  return back.searchParams.get("code");
}

test("code flow with PKCE: sign-up, sign-in again, and a wrong verifier", async () => {
  const pb = new PocketBase(server.url);
  const methods = await pb.collection("users").listAuthMethods();
  assert.equal(methods.oauth2.enabled, true);
  const provider = methods.oauth2.providers.find((p) => p.name === "oidc");
  assert.ok(provider.authURL.startsWith(`${idp.url}/authorize?`), "discovered endpoint");
  assert.equal(provider.codeChallengeMethod, "S256");
  const redirect = "http://app.example.com/callback";
  idp.as({ sub: "idp-1", email: "olivia@example.com", email_verified: true, name: "Olivia" });

  const code = await authorize(provider, redirect);
  const first = await pb.collection("users").authWithOAuth2Code("oidc", code, provider.codeVerifier, redirect, { emailVisibility: true });
  assert.equal(first.meta.isNew, true);
  assert.equal(first.record.email, "olivia@example.com");
  assert.equal(first.record.name, "Olivia", "mapped from the provider");
  assert.equal(first.record.verified, true, "the provider verified the email");
  assert.equal(first.record.emailVisibility, true, "createData applied");

  const again = (await pb.collection("users").listAuthMethods()).oauth2.providers[0];
  const second = await pb.collection("users").authWithOAuth2Code("oidc", await authorize(again, redirect), again.codeVerifier, redirect);
  assert.equal(second.meta.isNew, false);
  assert.equal(second.record.id, first.record.id, "linked through _externalAuths");
  const links = await su.collection("_externalAuths").getFullList();
  assert.equal(links.length, 1);
  assert.equal(links[0].providerId, "idp-1");

  const third = (await pb.collection("users").listAuthMethods()).oauth2.providers[0];
  const wrong = await attempt(() => pb.collection("users").authWithOAuth2Code("oidc", "x" + "y", third.codeVerifier, redirect));
  assert.equal(wrong.status, 400);
  assert.equal(wrong.error.message, "Failed to fetch OAuth2 token.");
  const code3 = await authorize(third, redirect);
  const badVerifier = await attempt(() => pb.collection("users").authWithOAuth2Code("oidc", code3, "not-the-verifier-".repeat(3), redirect));
  assert.equal(badVerifier.status, 400, "PKCE: the provider refuses a wrong verifier");
});

test("an unverified provider email never takes over an existing account", async () => {
  const victim = await su.collection("users").create({ email: "victor@example.com", password: "password123", passwordConfirm: "password123", verified: true });
  const pb = new PocketBase(server.url);
  const provider = (await pb.collection("users").listAuthMethods()).oauth2.providers[0];
  const redirect = "http://app.example.com/callback";
  idp.as({ sub: "attacker", email: "victor@example.com", email_verified: false, name: "Mallory" });
  const res = await attempt(async () => pb.collection("users").authWithOAuth2Code("oidc", await authorize(provider, redirect), provider.codeVerifier, redirect));
  assert.equal(res.status, 400);
  const links = await su.collection("_externalAuths").getFullList({ filter: `recordRef = "${victim.id}"` });
  assert.equal(links.length, 0, "no link was made");
  assert.ok((await new PocketBase(server.url).collection("users").authWithPassword("victor@example.com", "password123")).token, "the victim's password still works");
});

test("the SDK's all-in-one flow through realtime and /api/oauth2-redirect", async () => {
  idp.as({ sub: "idp-2", email: "ada@example.com", email_verified: true, name: "Ada" });
  const pb = new PocketBase(server.url);
  const auth = await pb.collection("users").authWithOAuth2({
    provider: "oidc",
    // The "browser": open the URL and follow the provider's redirect to Croft's redirect page.
    urlCallback: async (url) => {
      const res = await fetch(url);
      assert.equal(res.status, 200);
      assert.match(await res.text(), /close this window/);
    },
  });
  assert.equal(auth.record.email, "ada@example.com");
  assert.equal(auth.meta.isNew, true);
  assert.ok(pb.authStore.isValid);
  pb.realtime.unsubscribe();
});
