//! Auth endpoints of auth collections: `auth-with-password` and `auth-refresh`.

use poem::Request;
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde_json::{Value, json};

use super::ApiTags;
use super::auth::TokenAuth;
use super::error::{ApiError, ApiResult};
use crate::app::AppState;
use crate::auth::{Principal, signin};

pub struct RecordAuthApi;

#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct PasswordLogin {
    /// The email (or another identity field's value) of the record.
    #[oai(default)]
    pub identity: String,
    #[oai(default)]
    pub password: String,
    /// Restricts the lookup to one identity field.
    pub identity_field: Option<String>,
    /// The `mfaId` of a first factor, when this sign-in completes MFA.
    pub mfa_id: Option<String>,
}

#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct OtpRequest {
    #[oai(default)]
    pub email: String,
}

#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct OtpId {
    pub otp_id: String,
}

#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct OtpLogin {
    #[oai(default)]
    pub otp_id: String,
    #[oai(default)]
    pub password: String,
    /// The `mfaId` of a first factor, when this sign-in completes MFA.
    pub mfa_id: Option<String>,
}

#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct MfaRequired {
    /// Send it with a sign-in by another method to complete the sign-in.
    pub mfa_id: String,
}

#[derive(ApiResponse)]
pub enum SignIn {
    /// Signed in.
    #[oai(status = 200)]
    Done(Json<AuthResponse>),
    /// The collection requires a second factor: sign in with another method and this `mfaId`.
    #[oai(status = 401)]
    MfaRequired(Json<MfaRequired>),
}

/// A signed-in record and its token.
#[derive(Debug, Object)]
pub struct AuthResponse {
    /// HS256 JWT; send it as `Authorization: <token>`.
    pub token: String,
    /// The auth record (password and tokenKey are never included).
    pub record: Value,
    /// OAuth2 sign-ins: the provider's user and `isNew`.
    #[oai(skip_serializing_if_is_none)]
    pub meta: Option<Value>,
}

#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct OAuth2Login {
    /// The provider's name (`google`, `github`, `oidc` …).
    #[oai(default)]
    pub provider: String,
    /// The authorization code the provider redirected with.
    #[oai(default)]
    pub code: String,
    /// The PKCE verifier from auth-methods.
    #[oai(default)]
    pub code_verifier: String,
    /// The redirect URL used for the authorization request.
    #[oai(rename = "redirectURL", default)]
    pub redirect_url: String,
    /// Deprecated spelling of `redirectURL`.
    #[oai(rename = "redirectUrl", default)]
    pub redirect_url_legacy: String,
    /// Fields for a record created by this sign-in.
    pub create_data: Option<Value>,
    /// The `mfaId` of a first factor, when this sign-in completes MFA.
    pub mfa_id: Option<String>,
}

#[OpenApi(prefix_path = "/api/collections", tag = ApiTags::Auth)]
impl RecordAuthApi {
    /// Sign in with a password.
    ///
    /// Works for `_superusers` and every auth collection with password auth enabled.
    #[oai(path = "/:collection/auth-with-password", method = "post", operation_id = "auth_with_password")]
    async fn auth_with_password(
        &self,
        state: Data<&AppState>,
        req: &Request,
        /// Collection id or name.
        collection: Path<String>,
        body: Json<PasswordLogin>,
    ) -> ApiResult<SignIn> {
        let b = body.0;
        let mut blank = crate::error::FieldErrors::default();
        for (field, value) in [("identity", &b.identity), ("password", &b.password)] {
            if value.is_empty() {
                blank.add(field, crate::error::code::REQUIRED, "Cannot be blank.");
            }
        }
        if !blank.is_empty() {
            return Err(ApiError::invalid("An error occurred while validating the submitted data.", &blank));
        }
        let guard = FailureGuard::new(&state, req, &collection, &b.identity).await?;
        let signed_in = crate::auth::authenticate_with_password(
            &state.auth,
            &collection,
            &b.identity,
            &b.password,
            b.identity_field.as_deref(),
        )
        .await;
        let (principal, token) = guard.record(signed_in)?;
        finish(&state, req, principal, token, "password", b.mfa_id.as_deref(), None).await
    }

    /// Sign in (or sign up) with OAuth2.
    ///
    /// Exchanges the provider's code (with the PKCE verifier from auth-methods), then signs in the
    /// linked record, the caller's own record, the record with the same provider-verified email,
    /// or a new record made from `createData`.
    #[oai(path = "/:collection/auth-with-oauth2", method = "post", operation_id = "auth_with_oauth2")]
    async fn auth_with_oauth2(
        &self,
        state: Data<&AppState>,
        req: &Request,
        auth: super::auth::MaybeAuth,
        collection: Path<String>,
        body: Json<OAuth2Login>,
    ) -> ApiResult<SignIn> {
        let b = body.0;
        let login = crate::auth::oauth2::Login {
            provider: b.provider,
            code: b.code,
            code_verifier: b.code_verifier,
            redirect_url: if b.redirect_url.is_empty() { b.redirect_url_legacy } else { b.redirect_url },
            create_data: b.create_data.and_then(|v| v.as_object().cloned()).unwrap_or_default(),
        };
        let (principal, meta) =
            crate::auth::oauth2::authenticate(&state.auth, &collection, login, auth.principal()).await?;
        let token =
            crate::auth::tokens::issue_auth(&principal.collection, &principal.record).map_err(ApiError::internal)?;
        finish(&state, req, principal, token, "oauth2", b.mfa_id.as_deref(), Some(meta)).await
    }

    /// Request a one-time password by email.
    ///
    /// Always answers `{otpId}` (also for unknown emails); the code goes to the address.
    #[oai(path = "/:collection/request-otp", method = "post", operation_id = "request_otp")]
    async fn request_otp(
        &self,
        state: Data<&AppState>,
        collection: Path<String>,
        body: Json<OtpRequest>,
    ) -> ApiResult<Json<OtpId>> {
        let otp_id = crate::auth::otp::request(&state.auth, &collection, body.0.email.trim()).await?;
        Ok(Json(OtpId { otp_id }))
    }

    /// Sign in with a one-time password.
    #[oai(path = "/:collection/auth-with-otp", method = "post", operation_id = "auth_with_otp")]
    async fn auth_with_otp(
        &self,
        state: Data<&AppState>,
        req: &Request,
        collection: Path<String>,
        body: Json<OtpLogin>,
    ) -> ApiResult<SignIn> {
        let b = body.0;
        let guard = FailureGuard::new(&state, req, &collection, &b.otp_id).await?;
        let principal =
            guard.record(crate::auth::otp::redeem(&state.auth, &collection, &b.otp_id, &b.password).await)?;
        let token =
            crate::auth::tokens::issue_auth(&principal.collection, &principal.record).map_err(ApiError::internal)?;
        finish(&state, req, principal, token, "otp", b.mfa_id.as_deref(), None).await
    }

    /// List the sign-in methods of an auth collection.
    ///
    /// Password (with its identity fields), OAuth2 providers, MFA and OTP, as PocketBase shapes it.
    #[oai(path = "/:collection/auth-methods", method = "get", operation_id = "list_auth_methods")]
    async fn list_auth_methods(&self, state: Data<&AppState>, collection: Path<String>) -> ApiResult<Json<Value>> {
        let schema = state.schema.snapshot();
        let c = schema.get(&collection).ok_or_else(|| ApiError::not_found("Missing or invalid collection context."))?;
        if !c.is_auth() {
            return Err(ApiError::not_found("Missing or invalid auth collection context."));
        }
        let coll = state.auth.collection(&c.id)?;
        let providers: Vec<Value> =
            crate::auth::oauth2::providers(&coll).await.iter().map(crate::auth::oauth2::auth_method).collect();
        Ok(Json(auth_methods(&c.options, providers)))
    }

    /// Refresh a token.
    ///
    /// Returns a new token for the signed-in record of this collection.
    #[oai(path = "/:collection/auth-refresh", method = "post", operation_id = "auth_refresh")]
    async fn auth_refresh(
        &self,
        state: Data<&AppState>,
        auth: TokenAuth,
        collection: Path<String>,
    ) -> ApiResult<Json<AuthResponse>> {
        let p = &auth.0;
        if p.collection.id != *collection && !p.collection.name.eq_ignore_ascii_case(&collection) {
            // PocketBase names the token's collection here.
            return Err(ApiError::forbidden(&format!(
                "The request requires auth record from {} collection.",
                p.collection.name
            )));
        }
        let token = crate::auth::tokens::issue_auth(&p.collection, &p.record).map_err(ApiError::internal)?;
        Ok(Json(AuthResponse { token, record: record_json(&state, p).await?, meta: None }))
    }
}

/// Password guessing is refused whatever the settings: after `MAX_FAILURES` failed sign-ins from
/// one client IP, or for one identity, within `FAILURE_WINDOW`, sign-ins answer 429 until the
/// window has passed.
struct FailureGuard<'a> {
    state: &'a AppState,
    keys: [String; 2],
}

impl<'a> FailureGuard<'a> {
    async fn new(state: &'a AppState, req: &Request, collection: &str, identity: &str) -> ApiResult<Self> {
        use super::limits::{FAILURE_WINDOW, MAX_FAILURES};
        let settings = state.settings.shared().await?;
        let ip = super::limits::client_ip(req, &settings.trusted_proxy);
        let keys = [format!("failed-ip|{ip}"), format!("failed-id|{collection}|{}", identity.to_lowercase())];
        if keys.iter().any(|k| state.limiter.exhausted(k, MAX_FAILURES, FAILURE_WINDOW)) {
            return Err(ApiError::too_many_requests("Too many failed attempts, please try again later."));
        }
        Ok(Self { state, keys })
    }

    /// Counts a failed sign-in; passes the outcome through.
    fn record<T>(self, outcome: Result<T, crate::auth::AuthError>) -> ApiResult<T> {
        use super::limits::{FAILURE_WINDOW, MAX_FAILURES};
        let failed =
            matches!(&outcome, Err(crate::auth::AuthError::InvalidCredentials | crate::auth::AuthError::InvalidOtp));
        if failed {
            let kind = if matches!(&outcome, Err(crate::auth::AuthError::InvalidOtp)) { "otp" } else { "password" };
            crate::telemetry::auth_failure(kind);
            for key in &self.keys {
                self.state.limiter.hit(key, MAX_FAILURES, FAILURE_WINDOW);
            }
        }
        outcome.map_err(ApiError::from)
    }
}

/// The end of every sign-in (see `auth::signin`): the client's origin and the MFA session id
/// (the SDK sends it as a query parameter; the body works too) come from the request.
async fn finish(
    state: &AppState,
    req: &Request,
    principal: Principal,
    token: String,
    method: &str,
    mfa_id: Option<&str>,
    meta: Option<Value>,
) -> ApiResult<SignIn> {
    let mut info = super::request::request_info(req, None);
    info.context = method.to_owned();
    let mfa_id = mfa_id.filter(|m| !m.is_empty()).or_else(|| info.query.get("mfaId").map(String::as_str));
    let mfa_id = mfa_id.map(str::to_owned);
    let settings = state.settings.shared().await?;
    let origin = signin::Origin {
        ip: super::limits::client_ip(req, &settings.trusted_proxy),
        user_agent: req.header("user-agent").unwrap_or_default().to_owned(),
    };
    match signin::finish(&state.auth, principal, token, method, mfa_id.as_deref(), &info, &origin).await? {
        signin::SignIn::MfaRequired(mfa_id) => Ok(SignIn::MfaRequired(Json(MfaRequired { mfa_id }))),
        signin::SignIn::Done { token, record } => Ok(SignIn::Done(Json(AuthResponse { token, record, meta }))),
    }
}

/// PocketBase's auth-methods answer (with the pre-0.23 keys the older SDKs read).
fn auth_methods(options: &serde_json::Map<String, Value>, providers: Vec<Value>) -> Value {
    let get = |k: &str| options.get(k).cloned().unwrap_or(Value::Null);
    let password = get("passwordAuth");
    let identity: Vec<Value> = password["identityFields"].as_array().cloned().unwrap_or_default();
    let enabled = |v: &Value| v["enabled"].as_bool().unwrap_or(false);
    let timed = |v: Value| {
        let on = enabled(&v);
        json!({"enabled": on, "duration": if on { v["duration"].as_i64().unwrap_or(0) } else { 0 }})
    };
    let oauth2 = get("oauth2");
    json!({
        "password": {"enabled": enabled(&password), "identityFields": identity},
        "oauth2": {"enabled": enabled(&oauth2), "providers": providers},
        "mfa": timed(get("mfa")),
        "otp": timed(get("otp")),
        "authProviders": providers,
        "usernamePassword": identity.iter().any(|f| f == "username"),
        "emailPassword": identity.iter().any(|f| f == "email"),
    })
}

/// The whole record as its owner sees it (every visible field, its own email included).
pub async fn record_json(state: &AppState, p: &Principal) -> ApiResult<Value> {
    Ok(signin::owner_record(&state.auth, p).await?)
}

pub struct OAuth2RedirectApi;

#[derive(ApiResponse)]
pub enum RedirectPage {
    /// A page telling the user to return to the app (the app got the code over realtime).
    #[oai(status = 200)]
    Done(poem_openapi::payload::Html<String>),
}

#[OpenApi(prefix_path = "/api", tag = ApiTags::Auth)]
impl OAuth2RedirectApi {
    /// OAuth2 redirect target of the SDK's all-in-one flow.
    ///
    /// Forwards `{state, code, error}` to the realtime client whose id is `state` (subscribed to
    /// `@oauth2`), which then calls `auth-with-oauth2`.
    #[oai(path = "/oauth2-redirect", method = "get", operation_id = "oauth2_redirect")]
    async fn redirect(
        &self,
        state: Data<&AppState>,
        #[oai(name = "state")] client_state: poem_openapi::param::Query<Option<String>>,
        code: poem_openapi::param::Query<Option<String>>,
        error: poem_openapi::param::Query<Option<String>>,
    ) -> RedirectPage {
        let (s, c, e) = (client_state.0.unwrap_or_default(), code.0.unwrap_or_default(), error.0.unwrap_or_default());
        forward(&state, &s, &c, &e)
    }

    /// OAuth2 redirect target for providers that post the result (`response_mode=form_post`).
    #[oai(path = "/oauth2-redirect", method = "post", operation_id = "oauth2_redirect_post")]
    async fn redirect_post(
        &self,
        state: Data<&AppState>,
        body: poem_openapi::payload::Form<RedirectForm>,
    ) -> ApiResult<RedirectPage> {
        let f = body.0;
        Ok(forward(&state, &f.state, &f.code, &f.error))
    }
}

#[derive(Debug, Object, serde::Deserialize)]
pub struct RedirectForm {
    #[oai(default)]
    #[serde(default)]
    pub state: String,
    #[oai(default)]
    #[serde(default)]
    pub code: String,
    #[oai(default)]
    #[serde(default)]
    pub error: String,
}

fn forward(state: &AppState, client_id: &str, code: &str, error: &str) -> RedirectPage {
    let sent = state.realtime.client(client_id).is_some_and(|client| {
        let topic = client.subscriptions().iter().find(|s| s.target == "@oauth2").map(|s| s.raw.clone());
        topic.is_some_and(|event| {
            let data = json!({"state": client_id, "code": code, "error": error}).to_string();
            client.send(crate::realtime::Message { event, data: data.into() })
        })
    });
    let text = if sent && error.is_empty() {
        "Signed in. You can close this window and return to the app."
    } else {
        "The sign-in could not be completed. Close this window and try again."
    };
    RedirectPage::Done(poem_openapi::payload::Html(format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>OAuth2</title></head><body><p>{text}</p><script>window.close()</script></body></html>"
    )))
}

pub struct InstallerApi;

#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct Install {
    /// The token of the installer link `serve` printed.
    #[oai(default)]
    pub token: String,
    #[oai(default)]
    pub email: String,
    #[oai(default)]
    pub password: String,
    #[oai(default)]
    pub password_confirm: String,
}

#[OpenApi(prefix_path = "/api", tag = ApiTags::Auth)]
impl InstallerApi {
    /// Create the first superuser.
    ///
    /// With the token of the one-time installer link, while no superuser exists; signs the new
    /// superuser in.
    #[oai(path = "/installer", method = "post", operation_id = "create_first_superuser")]
    async fn install(&self, state: Data<&AppState>, body: Json<Install>) -> ApiResult<Json<AuthResponse>> {
        let b = body.0;
        let record =
            crate::auth::installer::complete(&state.auth, &b.token, b.email.trim(), &b.password, &b.password_confirm)
                .await?;
        let collection = state.auth.collection(crate::auth::SUPERUSERS)?;
        let token = crate::auth::tokens::issue_auth(&collection, &record).map_err(ApiError::internal)?;
        let principal = Principal { collection, record, key: None };
        Ok(Json(AuthResponse { token, record: record_json(&state, &principal).await?, meta: None }))
    }
}
