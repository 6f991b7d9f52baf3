//! Auth collections and their records: passwords, tokens, and the superuser service.

pub mod apikeys;
pub mod flows;
pub mod installer;
pub mod mfa;
pub mod oauth2;
pub mod otp;
pub mod signin;

pub mod superusers;
pub mod templates;
pub mod tokens;

pub use crate::password::{hash_password, verify_password};

use std::sync::Arc;

use crate::error::FieldErrors;
use crate::limits::Limiter;
use crate::records::Records;
use crate::schema::Registry;
use crate::settings::SettingsService;
use crate::store::Store;

pub use crate::store::model::{AuthCollection, AuthRecord, NewAuthRecord, SUPERUSERS, SUPERUSERS_ID, TokenConfig};

/// The auth service: the handles sign-in, tokens and the auth flows use.
#[derive(Clone)]
pub struct Auth {
    pub store: Arc<dyn Store>,
    pub schema: Arc<Registry>,
    pub records: Records,
    /// Failed sign-ins, OTP attempts and resent mails are counted here.
    pub limiter: Arc<Limiter>,
    pub settings: Arc<SettingsService>,
}

impl Auth {
    /// The auth collection by id or name (case-insensitive), from the current schema.
    pub fn collection(&self, id_or_name: &str) -> Result<AuthCollection, AuthError> {
        self.schema.snapshot().auth_collection(id_or_name).cloned().ok_or(AuthError::CollectionNotFound)
    }
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

    /// The caller as rules see it (`@request.auth`); an API key acts as a superuser of its scopes.
    pub fn auth_info(&self) -> crate::filter::AuthInfo {
        crate::filter::AuthInfo {
            collection_id: self.collection.id.clone(),
            collection_name: self.collection.name.clone(),
            id: self.record.id.clone(),
            superuser: self.is_superuser() || self.key.is_some(),
            key: self.key.clone(),
        }
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
    /// The one-time password is unknown, wrong or expired (a failed sign-in).
    #[error("invalid or expired OTP")]
    InvalidOtp,
    /// A 400 with PocketBase's message and field errors.
    #[error("{message}")]
    Rejected { message: String, data: FieldErrors },
    /// The test email could not be sent (the mail server's answer, or why it was not tried).
    #[error("cannot send the test email: {0}")]
    Mail(String),
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0}")]
    TooManyRequests(&'static str),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<crate::records::RecordError> for AuthError {
    fn from(err: crate::records::RecordError) -> Self {
        use crate::records::RecordError;
        match err {
            RecordError::CollectionNotFound => Self::CollectionNotFound,
            RecordError::NotFound => Self::NotFound,
            RecordError::Forbidden(message) => Self::Forbidden(message),
            RecordError::BadRequest { message, data } => Self::Rejected { message, data },
            RecordError::Internal(e) => Self::Internal(e),
        }
    }
}

impl From<crate::store::StoreError> for AuthError {
    fn from(err: crate::store::StoreError) -> Self {
        use crate::error::{FieldErrors, code};
        match err {
            e if e.is_conflict_on("email") => {
                Self::Invalid(FieldErrors::single("email", code::VALUE_MUST_BE_UNIQUE, "Value must be unique."))
            }
            crate::store::StoreError::Other(e) => Self::Internal(e),
            e => Self::Internal(anyhow::Error::new(e)),
        }
    }
}

/// Signs in with an identity (email or another identity field) and a password.
pub async fn authenticate_with_password(
    auth: &Auth,
    collection: &str,
    identity: &str,
    password: &str,
    identity_field: Option<&str>,
) -> Result<(Principal, String), AuthError> {
    let store = auth.store.as_ref();
    let coll = auth.collection(collection)?;
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
pub async fn authenticate_token(auth: &Auth, token: &str) -> Result<Option<Principal>, AuthError> {
    if apikeys::is_key(token) {
        return Ok(apikeys::authenticate(auth.store.as_ref(), token).await?.map(key_principal));
    }
    authenticate_token_of(auth, token, tokens::TYPE_AUTH).await
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
pub async fn authenticate_file_token(auth: &Auth, token: &str) -> Result<Option<Principal>, AuthError> {
    authenticate_token_of(auth, token, tokens::TYPE_FILE).await
}

/// Resolves a token of `kind` to its principal and claims; `None` for anything invalid.
pub async fn verify_token_of(
    auth: &Auth,
    token: &str,
    kind: &str,
) -> Result<Option<(Principal, tokens::Claims)>, AuthError> {
    let Some(principal) = authenticate_token_of(auth, token, kind).await? else { return Ok(None) };
    let claims = tokens::verify(token, &principal.collection, &principal.record);
    Ok(claims.map(|c| (principal, c)))
}

async fn authenticate_token_of(auth: &Auth, token: &str, kind: &str) -> Result<Option<Principal>, AuthError> {
    let Some(claims) = tokens::peek(token) else {
        return Ok(None);
    };
    if claims.kind != kind {
        return Ok(None);
    }
    let Some(coll) = auth.schema.snapshot().auth_collection(&claims.collection_id).cloned() else {
        return Ok(None);
    };
    // A collection name in the token must not stand in for its id.
    if coll.id != claims.collection_id {
        return Ok(None);
    }
    let Some(record) = auth.store.auth_record(&coll, &claims.id).await? else {
        return Ok(None);
    };
    Ok(tokens::verify(token, &coll, &record).map(|_| Principal { collection: coll, record, key: None }))
}
