// A small OpenID Connect provider for the tests, on a free loopback port: discovery,
// authorization (consent is automatic, for the user set with `as`), token exchange with PKCE
// and client-secret checks, and userinfo.
import { createServer } from "node:http";
import { createHash, randomBytes } from "node:crypto";

export async function startOidc({ clientId = "croft-client", clientSecret = "croft-secret" } = {}) {
  const codes = new Map();
  const tokens = new Map();
  let user = null;
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, `http://${req.headers.host}`);
    const json = (status, body) => { res.writeHead(status, { "content-type": "application/json" }); res.end(JSON.stringify(body)); };
    if (url.pathname === "/.well-known/openid-configuration") {
      const base = `http://${req.headers.host}`;
      return json(200, { issuer: base, authorization_endpoint: `${base}/authorize`, token_endpoint: `${base}/token`, userinfo_endpoint: `${base}/userinfo` });
    }
    if (url.pathname === "/authorize") {
      const q = url.searchParams;
      if (q.get("client_id") !== clientId || q.get("response_type") !== "code" || !user) return json(400, { error: "invalid_request" });
      const code = randomBytes(12).toString("hex");
      codes.set(code, { user, challenge: q.get("code_challenge"), redirect: q.get("redirect_uri") });
      const to = new URL(q.get("redirect_uri"));
      to.searchParams.set("code", code);
      to.searchParams.set("state", q.get("state"));
      res.writeHead(302, { location: to.toString() });
      return res.end();
    }
    if (url.pathname === "/token" && req.method === "POST") {
      let body = "";
      for await (const chunk of req) body += chunk;
      const f = new URLSearchParams(body);
      const grant = codes.get(f.get("code"));
      codes.delete(f.get("code"));
      const verifier = f.get("code_verifier") || "";
      const challenge = createHash("sha256").update(verifier).digest("base64url");
      if (!grant || f.get("client_id") !== clientId || f.get("client_secret") !== clientSecret ||
          f.get("redirect_uri") !== grant.redirect || challenge !== grant.challenge) {
        return json(400, { error: "invalid_grant" });
      }
      const token = randomBytes(16).toString("hex");
      tokens.set(token, grant.user);
      return json(200, { access_token: token, token_type: "Bearer", expires_in: 3600 });
    }
    if (url.pathname === "/userinfo") {
      const u = tokens.get((req.headers.authorization || "").replace(/^Bearer /, ""));
      return u ? json(200, u) : json(401, { error: "invalid_token" });
    }
    json(404, {});
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    clientId,
    clientSecret,
    /// Who "signs in" at the provider next.
    as(claims) { user = claims; },
    stop: () => new Promise((r) => server.close(r)),
  };
}
