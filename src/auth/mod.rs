//! Auth collections and their records: passwords, tokens, and the superuser service.

pub mod apikeys;
pub mod flows;
pub mod installer;
pub mod mfa;
pub mod oauth2;
pub mod otp;
mod password;
pub mod superusers;
pub mod templates;
pub mod tokens;

use anyhow::Context;
use serde::Deserialize;

pub use password::{hash_password, verify_password};

/// PocketBase's fixed id of the `_superusers` collection (the SDK hard-codes it).
pub const SUPERUSERS_ID: &str = "pbc_3142635823";
pub const SUPERUSERS: &str = "_superusers";

/// What the auth layer needs to know about an auth collection.
#[derive(Debug, Clone)]
pub struct AuthCollection {
    pub id: String,
    pub name: String,
    pub token_secret: String,
    pub token_duration_secs: i64,
    /// Secrets and lifetimes of the other token types (`file`, `verification`,
    /// `passwordReset`, `emailChange`), by type.
    pub tokens: std::sync::Arc<std::collections::BTreeMap<&'static str, TokenConfig>>,
    pub password_auth: bool,
    pub identity_fields: Vec<String>,
    /// The collection's options as stored (templates, OTP, MFA, alert settings).
    /// Shared: a collection is cloned for every authenticated request.
    pub options: std::sync::Arc<serde_json::Value>,
    /// Which of `created`/`updated` the collection has (one made through the API may lack them).
    pub date_fields: Vec<String>,
}

/// How tokens of one type are signed and how long they live.
#[derive(Debug, Clone)]
pub struct TokenConfig {
    pub secret: String,
    pub duration_secs: i64,
}

/// Token types besides `auth`: their option key and default lifetime (PocketBase's).
const OTHER_TOKENS: &[(&str, &str, i64)] = &[
    (tokens::TYPE_FILE, "fileToken", 180),
    (tokens::TYPE_VERIFICATION, "verificationToken", 259_200),
    (tokens::TYPE_PASSWORD_RESET, "passwordResetToken", 1800),
    (tokens::TYPE_EMAIL_CHANGE, "emailChangeToken", 1800),
];

impl AuthCollection {
    /// Reads the auth options from the collection's `options` JSON (PocketBase's layout).
    pub fn from_options(id: String, name: String, options: &str) -> anyhow::Result<Self> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Options {
            auth_token: TokenOptions,
            password_auth: PasswordAuth,
        }
        #[derive(Deserialize)]
        struct TokenOptions {
            #[serde(default)]
            secret: String,
            #[serde(default)]
            duration: i64,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct PasswordAuth {
            enabled: bool,
            identity_fields: Vec<String>,
        }
        let o: Options =
            serde_json::from_str(options).with_context(|| format!("collection {name} has invalid auth options"))?;
        let all: serde_json::Value = serde_json::from_str(options)?;
        let mut tokens = std::collections::BTreeMap::new();
        for (kind, key, default_secs) in OTHER_TOKENS {
            let t: Option<TokenOptions> = all.get(*key).cloned().and_then(|v| serde_json::from_value(v).ok());
            let t = t.unwrap_or(TokenOptions { secret: String::new(), duration: 0 });
            // Without a secret of its own, a type is signed with a key derived from the auth
            // secret (never equal to it, so an auth token is never mistaken for another type).
            let secret = if t.secret.is_empty() { format!("{}.{kind}", o.auth_token.secret) } else { t.secret };
            let duration_secs = if t.duration > 0 { t.duration } else { *default_secs };
            tokens.insert(*kind, TokenConfig { secret, duration_secs });
        }
        Ok(Self {
            id,
            name,
            token_secret: o.auth_token.secret,
            token_duration_secs: o.auth_token.duration,
            tokens: tokens.into(),
            password_auth: o.password_auth.enabled,
            identity_fields: o.password_auth.identity_fields,
            options: all.into(),
            date_fields: vec!["created".into(), "updated".into()],
        })
    }

    pub fn is_superusers(&self) -> bool {
        self.id == SUPERUSERS_ID
    }

    /// The signing secret and lifetime of a token type.
    pub fn token(&self, kind: &str) -> TokenConfig {
        match self.tokens.get(kind) {
            Some(t) => t.clone(),
            None => TokenConfig { secret: self.token_secret.clone(), duration_secs: self.token_duration_secs },
        }
    }
}

/// The standard columns of an auth record.
#[derive(Debug, Clone)]
pub struct AuthRecord {
    pub id: String,
    pub email: String,
    pub email_visibility: bool,
    pub verified: bool,
    pub password_hash: String,
    pub token_key: String,
    pub created: String,
    pub updated: String,
}

#[derive(Debug, Clone)]
pub struct NewAuthRecord {
    pub id: String,
    pub email: String,
    pub email_visibility: bool,
    pub verified: bool,
    pub password_hash: String,
    pub token_key: String,
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Principal {
    pub collection: AuthCollection,
    pub record: AuthRecord,
    /// Set when the caller is an API key (then `collection` and `record` only name it).
    pub key: Option<std::sync::Arc<apikeys::ApiKey>>,
}

impl Principal {
    pub fn is_superuser(&self) -> bool {
        self.collection.is_superusers()
    }
}

/// Failures of the auth domain.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("missing auth collection context")]
    CollectionNotFound,
    #[error("failed to authenticate")]
    InvalidCredentials,
    #[error("the submitted data is invalid")]
    Invalid(crate::error::FieldErrors),
    #[error("the record was not found")]
    NotFound,
    /// A 400 with PocketBase's message and data.
    #[error("{message}")]
    Rejected { message: String, data: serde_json::Value },
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0}")]
    TooManyRequests(&'static str),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<crate::store::StoreError> for AuthError {
    fn from(err: crate::store::StoreError) -> Self {
        use crate::error::{FieldErrors, code};
        match err {
            crate::store::StoreError::Conflict(what) if what.contains("email") => {
                Self::Invalid(FieldErrors::single("email", code::VALUE_MUST_BE_UNIQUE, "Value must be unique."))
            }
            crate::store::StoreError::Conflict(what) => Self::Internal(anyhow::anyhow!("unique violation: {what}")),
            crate::store::StoreError::Precondition(i) => Self::Internal(anyhow::anyhow!("unexpected precondition {i}")),
            crate::store::StoreError::Other(e) => Self::Internal(e),
        }
    }
}

/// Signs in with an identity (email or another identity field) and a password.
pub async fn authenticate_with_password(
    store: &dyn crate::store::Store,
    collection: &str,
    identity: &str,
    password: &str,
    identity_field: Option<&str>,
) -> Result<(Principal, String), AuthError> {
    let coll = store.auth_collection(collection).await?.ok_or(AuthError::CollectionNotFound)?;
    if !coll.password_auth {
        return Err(AuthError::InvalidCredentials);
    }
    let fields: Vec<&str> = match identity_field {
        Some(f) if coll.identity_fields.iter().any(|x| x == f) => vec![f],
        Some(_) => return Err(AuthError::InvalidCredentials),
        None => coll.identity_fields.iter().map(String::as_str).collect(),
    };
    let mut found = None;
    for field in fields {
        if let Some(record) = store.auth_record_by(&coll, field, identity).await? {
            found = Some(record);
            break;
        }
    }
    if !verify_password(password, found.as_ref().map(|r| r.password_hash.as_str())).await {
        return Err(AuthError::InvalidCredentials);
    }
    let record = found.ok_or(AuthError::InvalidCredentials)?;
    let token = tokens::issue_auth(&coll, &record)?;
    Ok((Principal { collection: coll, record, key: None }, token))
}

/// Resolves a bearer token (or API key) to its principal; `None` for anything invalid or expired.
pub async fn authenticate_token(store: &dyn crate::store::Store, token: &str) -> Result<Option<Principal>, AuthError> {
    if apikeys::is_key(token) {
        return Ok(apikeys::authenticate(store, token).await?.map(key_principal));
    }
    authenticate_token_of(store, token, tokens::TYPE_AUTH).await
}

/// An API key as a caller: named by a collection `_apiKeys` that no rule or route knows.
fn key_principal(key: apikeys::ApiKey) -> Principal {
    let collection = AuthCollection {
        id: "_apiKeys".into(),
        name: "_apiKeys".into(),
        token_secret: String::new(),
        token_duration_secs: 0,
        tokens: Default::default(),
        password_auth: false,
        identity_fields: Vec::new(),
        options: Default::default(),
        date_fields: Vec::new(),
    };
    let record = AuthRecord {
        id: key.id.clone(),
        email: String::new(),
        email_visibility: false,
        verified: true,
        password_hash: String::new(),
        token_key: String::new(),
        created: key.created.clone(),
        updated: key.created.clone(),
    };
    Principal { collection, record, key: Some(std::sync::Arc::new(key)) }
}

/// Resolves a file token (`?token=` of protected files) to its principal.
pub async fn authenticate_file_token(
    store: &dyn crate::store::Store,
    token: &str,
) -> Result<Option<Principal>, AuthError> {
    authenticate_token_of(store, token, tokens::TYPE_FILE).await
}

/// Resolves a token of `kind` to its principal and claims; `None` for anything invalid.
pub async fn verify_token_of(
    store: &dyn crate::store::Store,
    token: &str,
    kind: &str,
) -> Result<Option<(Principal, tokens::Claims)>, AuthError> {
    let Some(principal) = authenticate_token_of(store, token, kind).await? else { return Ok(None) };
    let claims = tokens::verify(token, &principal.collection, &principal.record);
    Ok(claims.map(|c| (principal, c)))
}

async fn authenticate_token_of(
    store: &dyn crate::store::Store,
    token: &str,
    kind: &str,
) -> Result<Option<Principal>, AuthError> {
    let Some(claims) = tokens::peek(token) else {
        return Ok(None);
    };
    if claims.kind != kind {
        return Ok(None);
    }
    let Some(coll) = store.auth_collection(&claims.collection_id).await? else {
        return Ok(None);
    };
    // A collection name in the token must not stand in for its id.
    if coll.id != claims.collection_id {
        return Ok(None);
    }
    let Some(record) = store.auth_record(&coll, &claims.id).await? else {
        return Ok(None);
    };
    Ok(tokens::verify(token, &coll, &record).map(|_| Principal { collection: coll, record, key: None }))
}
