//! The typed rows the store reads and writes outside user record tables: auth collections and
//! auth records, Croft's system tables, job history. Backends build them; the domain uses them.

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::Deserialize;

/// Token types, as the `type` claim of PocketBase's JWTs spells them.
pub const TYPE_AUTH: &str = "auth";
pub const TYPE_FILE: &str = "file";
pub const TYPE_VERIFICATION: &str = "verification";
pub const TYPE_PASSWORD_RESET: &str = "passwordReset";
pub const TYPE_EMAIL_CHANGE: &str = "emailChange";

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
    (TYPE_FILE, "fileToken", 180),
    (TYPE_VERIFICATION, "verificationToken", 259_200),
    (TYPE_PASSWORD_RESET, "passwordResetToken", 1800),
    (TYPE_EMAIL_CHANGE, "emailChangeToken", 1800),
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

/// A one-time password (`_otps`): the bcrypt hash of the code and where it was sent.
#[derive(Debug, Clone)]
pub struct Otp {
    pub id: String,
    pub collection_id: String,
    pub record_id: String,
    pub password_hash: String,
    pub sent_to: String,
    pub created: String,
}

/// A half-finished multi-factor sign-in (`_mfas`): the first method used.
#[derive(Debug, Clone)]
pub struct Mfa {
    pub id: String,
    pub collection_id: String,
    pub record_id: String,
    pub method: String,
    pub created: String,
}

/// A record linked to an OAuth2 provider's user (`_externalAuths`).
#[derive(Debug, Clone)]
pub struct ExternalAuth {
    pub id: String,
    pub collection_id: String,
    pub record_id: String,
    pub provider: String,
    pub provider_id: String,
    pub created: String,
}

/// A device a record signed in from (`_authOrigins`), for login alerts.
#[derive(Debug, Clone)]
pub struct AuthOrigin {
    pub id: String,
    pub collection_id: String,
    pub record_id: String,
    pub fingerprint: String,
    pub when: String,
}

/// A stored API key (`_apiKeys`): the hash of its secret and its scopes as JSON.
#[derive(Debug, Clone)]
pub struct ApiKeyRow {
    pub id: String,
    pub name: String,
    pub hash: String,
    pub scopes_json: String,
    pub expires: String,
    pub created: String,
}

/// A blob (or folder of blobs) waiting in `_blobQueue` to be deleted.
#[derive(Debug, Clone)]
pub struct QueuedBlob {
    pub key: String,
    pub not_before: String,
    pub attempts: i64,
}

/// How a job run was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Schedule,
    Manual,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Schedule => "schedule",
            Self::Manual => "manual",
        }
    }
}

/// One finished job run (job history).
#[derive(Debug, Clone)]
pub struct JobRun {
    pub job: String,
    pub trigger: Trigger,
    pub started: DateTime<Utc>,
    pub duration_ms: i64,
    pub ok: bool,
    pub error: String,
}
