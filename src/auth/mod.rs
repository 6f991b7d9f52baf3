//! Auth collections and their records: passwords, tokens, and the superuser service.

mod password;
pub mod superusers;
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
    /// Secret and lifetime of file tokens (`POST /api/files/token`).
    pub file_token_secret: String,
    pub file_token_duration_secs: i64,
    pub password_auth: bool,
    pub identity_fields: Vec<String>,
}

impl AuthCollection {
    /// Reads the auth options from the collection's `options` JSON (PocketBase's layout).
    pub fn from_options(id: String, name: String, options: &str) -> anyhow::Result<Self> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Options {
            auth_token: TokenOptions,
            #[serde(default)]
            file_token: Option<TokenOptions>,
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
        let file = o.file_token.unwrap_or(TokenOptions { secret: String::new(), duration: 0 });
        // Without a secret of their own, file tokens are signed with a key derived from the
        // auth secret (never equal to it, so an auth token is never a file token).
        let file_secret = if file.secret.is_empty() { format!("{}.file", o.auth_token.secret) } else { file.secret };
        Ok(Self {
            id,
            name,
            token_secret: o.auth_token.secret,
            token_duration_secs: o.auth_token.duration,
            file_token_secret: file_secret,
            file_token_duration_secs: if file.duration > 0 { file.duration } else { 180 },
            password_auth: o.password_auth.enabled,
            identity_fields: o.password_auth.identity_fields,
        })
    }

    pub fn is_superusers(&self) -> bool {
        self.id == SUPERUSERS_ID
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
    Ok((Principal { collection: coll, record }, token))
}

/// Resolves a bearer token to its principal; `None` for anything invalid or expired.
pub async fn authenticate_token(store: &dyn crate::store::Store, token: &str) -> Result<Option<Principal>, AuthError> {
    authenticate_token_of(store, token, tokens::TYPE_AUTH).await
}

/// Resolves a file token (`?token=` of protected files) to its principal.
pub async fn authenticate_file_token(
    store: &dyn crate::store::Store,
    token: &str,
) -> Result<Option<Principal>, AuthError> {
    authenticate_token_of(store, token, tokens::TYPE_FILE).await
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
    Ok(tokens::verify(token, &coll, &record).map(|_| Principal { collection: coll, record }))
}
