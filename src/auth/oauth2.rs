//! OAuth2 / OpenID Connect sign-in (`auth-with-oauth2`), as PocketBase runs it, with PKCE: the
//! providers of a collection's `oauth2.providers`, their authorization URLs in `auth-methods`,
//! the code exchange, the user info, and linking (`_externalAuths`) or creating the record.
//! Unlike PocketBase, an email the provider has not verified never links to an existing record.

use base64::Engine;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::{Auth, AuthCollection, AuthError, Principal};
use crate::error::{FieldErrors, code};
use crate::filter::RequestInfo;
use crate::store::model::ExternalAuth;
use crate::store::system;

/// Where a provider's endpoints are and how its users look.
#[derive(Debug, Clone, Default)]
pub struct Provider {
    pub name: String,
    pub display_name: String,
    pub client_id: String,
    pub client_secret: String,
    pub auth_url: String,
    pub token_url: String,
    pub user_info_url: String,
    pub scopes: Vec<String>,
    pub pkce: bool,
}

/// The provider's user, normalised.
#[derive(Debug, Clone, Default)]
pub struct OAuthUser {
    pub id: String,
    pub name: String,
    pub username: String,
    pub email: String,
    /// Whether the provider vouches for the email.
    pub email_verified: bool,
    pub avatar_url: String,
    pub raw: Value,
}

/// Built-in endpoints of the named providers (a config may override any of them).
fn preset(name: &str) -> Provider {
    let p = |display: &str, auth: &str, token: &str, info: &str, scopes: &[&str]| Provider {
        name: name.to_owned(),
        display_name: display.to_owned(),
        auth_url: auth.to_owned(),
        token_url: token.to_owned(),
        user_info_url: info.to_owned(),
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        pkce: true,
        ..Provider::default()
    };
    match name {
        "google" => p(
            "Google",
            "https://accounts.google.com/o/oauth2/v2/auth",
            "https://oauth2.googleapis.com/token",
            "https://www.googleapis.com/oauth2/v3/userinfo",
            &["openid", "profile", "email"],
        ),
        "github" => p(
            "GitHub",
            "https://github.com/login/oauth/authorize",
            "https://github.com/login/oauth/access_token",
            "https://api.github.com/user",
            &["read:user", "user:email"],
        ),
        "microsoft" => p(
            "Microsoft",
            "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
            "https://login.microsoftonline.com/common/oauth2/v2.0/token",
            "https://graph.microsoft.com/oidc/userinfo",
            &["openid", "profile", "email"],
        ),
        "gitlab" => p(
            "GitLab",
            "https://gitlab.com/oauth/authorize",
            "https://gitlab.com/oauth/token",
            "https://gitlab.com/oauth/userinfo",
            &["openid", "profile", "email"],
        ),
        "discord" => p(
            "Discord",
            "https://discord.com/api/oauth2/authorize",
            "https://discord.com/api/oauth2/token",
            "https://discord.com/api/users/@me",
            &["identify", "email"],
        ),
        _ => p("OpenID Connect", "", "", "", &["openid", "profile", "email"]),
    }
}

/// The enabled providers of a collection, with OIDC discovery where the endpoints are not given.
pub async fn providers(coll: &AuthCollection) -> Vec<Provider> {
    let o = &coll.options["oauth2"];
    if !o["enabled"].as_bool().unwrap_or(false) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for c in o["providers"].as_array().cloned().unwrap_or_default() {
        let text = |k: &str| c[k].as_str().unwrap_or_default().to_owned();
        let mut p = preset(&text("name"));
        p.client_id = text("clientId");
        p.client_secret = text("clientSecret");
        for (field, key) in
            [(&mut p.auth_url, "authURL"), (&mut p.token_url, "tokenURL"), (&mut p.user_info_url, "userInfoURL")]
        {
            let v = c[key].as_str().unwrap_or_default();
            if !v.is_empty() {
                *field = v.to_owned();
            }
        }
        if let Some(d) = c["displayName"].as_str().filter(|d| !d.is_empty()) {
            p.display_name = d.to_owned();
        }
        if let Some(pkce) = c["pkce"].as_bool() {
            p.pkce = pkce;
        }
        if p.auth_url.is_empty()
            && let Some(issuer) = c["extra"]["issuer"].as_str().or(c["extra"]["discoveryURL"].as_str())
            && let Err(e) = discover(&mut p, issuer).await
        {
            tracing::warn!(provider = %p.name, error = %format!("{e:#}"), "OIDC discovery failed");
            continue;
        }
        if !p.client_id.is_empty() && !p.auth_url.is_empty() {
            out.push(p);
        }
    }
    out
}

/// Fills the endpoints from `<issuer>/.well-known/openid-configuration` (or a full discovery URL).
async fn discover(p: &mut Provider, issuer: &str) -> anyhow::Result<()> {
    let url = if issuer.contains("/.well-known/") {
        issuer.to_owned()
    } else {
        format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/'))
    };
    let doc: Value = client()?.get(&url).send().await?.error_for_status()?.json().await?;
    let get = |k: &str| doc[k].as_str().unwrap_or_default().to_owned();
    p.auth_url = get("authorization_endpoint");
    p.token_url = get("token_endpoint");
    p.user_info_url = get("userinfo_endpoint");
    anyhow::ensure!(!p.auth_url.is_empty() && !p.token_url.is_empty(), "{url} names no endpoints");
    Ok(())
}

fn client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder().timeout(std::time::Duration::from_secs(30)).user_agent("croft").build()?)
}

/// A provider as `auth-methods` lists it: a fresh state and PKCE pair, and the authorization
/// URL ending in `redirect_uri=` for the client to complete.
pub fn auth_method(p: &Provider) -> Value {
    let state = crate::ids::random_from(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 30);
    let verifier = crate::ids::random_from(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 43);
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let mut query = vec![
        ("client_id", p.client_id.clone()),
        ("response_type", "code".to_owned()),
        ("scope", p.scopes.join(" ")),
        ("state", state.clone()),
    ];
    if p.pkce {
        query.push(("code_challenge", challenge.clone()));
        query.push(("code_challenge_method", "S256".to_owned()));
    }
    let encoded: Vec<String> = query.iter().map(|(k, v)| format!("{k}={}", urlencode(v))).collect();
    let sep = if p.auth_url.contains('?') { '&' } else { '?' };
    let (challenge, method) = if p.pkce { (challenge, "S256") } else { (String::new(), "") };
    json!({
        "name": p.name,
        "displayName": p.display_name,
        "state": state,
        "authURL": format!("{}{sep}{}&redirect_uri=", p.auth_url, encoded.join("&")),
        "codeVerifier": if p.pkce { verifier } else { String::new() },
        "codeChallenge": challenge,
        "codeChallengeMethod": method,
    })
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// What `auth-with-oauth2` submits.
pub struct Login {
    pub provider: String,
    pub code: String,
    pub code_verifier: String,
    pub redirect_url: String,
    pub create_data: Map<String, Value>,
}

fn failed(message: &str) -> AuthError {
    AuthError::Rejected { message: message.to_owned(), data: FieldErrors::default() }
}

/// Exchanges the code, reads the user, and finds, links or creates the record. Returns the
/// principal and PocketBase's `meta` (the provider's user plus `isNew`).
pub async fn authenticate(
    state: &Auth,
    key: &str,
    login: Login,
    caller: Option<&Principal>,
) -> Result<(Principal, Value), AuthError> {
    let coll = state.collection(key)?;
    if !coll.options["oauth2"]["enabled"].as_bool().unwrap_or(false) {
        return Err(AuthError::Forbidden("The collection is not configured to allow OAuth2 authentication."));
    }
    if login.code.is_empty() || login.provider.is_empty() {
        let field = if login.provider.is_empty() { "provider" } else { "code" };
        return Err(AuthError::Rejected {
            message: "An error occurred while loading the submitted data.".into(),
            data: FieldErrors::single(field, code::REQUIRED, "Cannot be blank."),
        });
    }
    let Some(provider) = providers(&coll).await.into_iter().find(|p| p.name == login.provider) else {
        return Err(AuthError::Rejected {
            message: "An error occurred while loading the submitted data.".into(),
            data: FieldErrors::single(
                "provider",
                "validation_invalid_provider",
                format!("Provider with name {} is missing or is not enabled.", login.provider),
            ),
        });
    };
    let access = exchange(&provider, &login).await.map_err(|e| {
        tracing::info!(error = %format!("{e:#}"), "OAuth2 token exchange failed");
        failed("Failed to fetch OAuth2 token.")
    })?;
    let user = user_info(&provider, &access).await.map_err(|e| {
        tracing::info!(error = %format!("{e:#}"), "OAuth2 user info failed");
        failed("Failed to fetch OAuth2 user.")
    })?;
    let (record_id, is_new) = link(state, &coll, &provider, &user, &login, caller).await?;
    let record = state.store.auth_record(&coll, &record_id).await?.ok_or(AuthError::NotFound)?;
    let mut meta = json!({
        "id": user.id, "name": user.name, "username": user.username, "email": user.email,
        "avatarURL": user.avatar_url, "accessToken": access, "rawUser": user.raw, "isNew": is_new,
    });
    if let Some(m) = meta.as_object_mut() {
        m.insert("expiry".into(), json!(""));
    }
    Ok((Principal { collection: coll, record, key: None }, meta))
}

async fn exchange(p: &Provider, login: &Login) -> anyhow::Result<String> {
    let mut form = vec![
        ("grant_type", "authorization_code".to_owned()),
        ("code", login.code.clone()),
        ("redirect_uri", login.redirect_url.clone()),
        ("client_id", p.client_id.clone()),
        ("client_secret", p.client_secret.clone()),
    ];
    if p.pkce {
        form.push(("code_verifier", login.code_verifier.clone()));
    }
    let resp: Value = client()?
        .post(&p.token_url)
        .header("Accept", "application/json")
        .form(&form)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    resp["access_token"].as_str().map(str::to_owned).ok_or_else(|| anyhow::anyhow!("no access_token in {resp}"))
}

async fn user_info(p: &Provider, access: &str) -> anyhow::Result<OAuthUser> {
    let raw: Value =
        client()?.get(&p.user_info_url).bearer_auth(access).send().await?.error_for_status()?.json().await?;
    let s = |k: &str| match &raw[k] {
        Value::String(v) => v.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    };
    let user = match p.name.as_str() {
        // GitHub's profile has no verified-email claim: its email is treated as unverified.
        "github" => OAuthUser {
            id: s("id"),
            name: s("name"),
            username: s("login"),
            email: s("email"),
            email_verified: false,
            avatar_url: s("avatar_url"),
            raw: raw.clone(),
        },
        "discord" => OAuthUser {
            id: s("id"),
            name: s("global_name"),
            username: s("username"),
            email: s("email"),
            email_verified: raw["verified"].as_bool().unwrap_or(false),
            avatar_url: String::new(),
            raw: raw.clone(),
        },
        _ => OAuthUser {
            id: s("sub"),
            name: s("name"),
            username: s("preferred_username"),
            email: s("email"),
            email_verified: raw["email_verified"].as_bool().unwrap_or(false),
            avatar_url: s("picture"),
            raw: raw.clone(),
        },
    };
    anyhow::ensure!(!user.id.is_empty(), "the provider's user has no id");
    Ok(user)
}

/// The record for the provider's user: already linked; the signed-in caller; the record with a
/// provider-verified email; or a new record (verified only when the provider verified the email).
async fn link(
    state: &Auth,
    coll: &AuthCollection,
    p: &Provider,
    user: &OAuthUser,
    login: &Login,
    caller: Option<&Principal>,
) -> Result<(String, bool), AuthError> {
    let linked = system::external_auth_record(state.store.as_ref(), &coll.id, &p.name, &user.id).await?;
    if let Some(id) = linked
        && state.store.auth_record(coll, &id).await?.is_some()
    {
        return Ok((id, false));
    }
    let existing = match caller.filter(|c| c.collection.id == coll.id) {
        Some(c) => Some(c.record.clone()),
        None if !user.email.is_empty() => state.store.auth_record_by(coll, "email", &user.email).await?,
        None => None,
    };
    let (id, is_new) = match existing {
        Some(record) => {
            let is_caller = caller.is_some_and(|c| c.record.id == record.id);
            if !is_caller && !user.email_verified {
                // Someone else's account with this address: an unproven email must not take it.
                return Err(failed("Failed to authenticate."));
            }
            if !record.verified && user.email_verified && record.email == user.email {
                super::flows::mark_verified(state, coll, &record.id, !is_caller).await?;
            }
            (record.id, false)
        }
        None => (create(state, coll, user, login).await?, true),
    };
    let link = ExternalAuth {
        id: crate::ids::record_id(),
        collection_id: coll.id.clone(),
        record_id: id.clone(),
        provider: p.name.clone(),
        provider_id: user.id.clone(),
        created: crate::dates::now(),
    };
    system::insert_external_auth(state.store.as_ref(), &link).await?;
    Ok((id, is_new))
}

/// A new record from `createData` and the mapped fields, with a random password.
async fn create(state: &Auth, coll: &AuthCollection, user: &OAuthUser, login: &Login) -> Result<String, AuthError> {
    if coll.is_superusers() {
        return Err(failed("Failed to authenticate."));
    }
    let mut body = login.create_data.clone();
    if body.get("email").and_then(Value::as_str).is_none_or(str::is_empty) && !user.email.is_empty() {
        body.insert("email".into(), json!(user.email));
    }
    let mapped = &coll.options["oauth2"]["mappedFields"];
    for (key, value) in
        [("id", &user.id), ("name", &user.name), ("username", &user.username), ("avatarURL", &user.avatar_url)]
    {
        if let Some(field) = mapped[key].as_str().filter(|f| !f.is_empty())
            && !body.contains_key(field)
            && !value.is_empty()
        {
            body.insert(field.to_owned(), json!(value));
        }
    }
    let password = crate::ids::secret_key();
    body.insert("password".into(), json!(password));
    body.insert("passwordConfirm".into(), json!(password));
    if user.email_verified && body.get("email").and_then(Value::as_str) == Some(user.email.as_str()) {
        body.insert("verified".into(), json!(true));
    }
    let internal = RequestInfo::superuser();
    match crate::records::create(&state.records, &coll.id, body, Vec::new(), &internal).await {
        Ok(record) => Ok(record["id"].as_str().unwrap_or_default().to_owned()),
        Err(crate::records::RecordError::BadRequest { data, .. }) => {
            Err(AuthError::Rejected { message: "Failed to authenticate.".into(), data })
        }
        Err(e) => Err(AuthError::Internal(anyhow::Error::new(e).context("cannot create the OAuth2 user"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_urls_carry_pkce_and_end_with_redirect_uri() {
        let mut p = preset("google");
        p.client_id = "client 1".into();
        let m = auth_method(&p);
        let url = m["authURL"].as_str().expect("url");
        assert!(url.starts_with("https://accounts.google.com/o/oauth2/v2/auth?client_id=client%201&"));
        assert!(url.ends_with("&redirect_uri="));
        assert!(url.contains("code_challenge_method=S256"));
        let verifier = m["codeVerifier"].as_str().expect("verifier");
        let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        assert_eq!(m["codeChallenge"], json!(challenge));
        assert!(url.contains(&format!("state={}", m["state"].as_str().expect("state"))));
    }
}
