//! The auth view of an auth collection: token secrets and lifetimes, identity fields and the
//! options the sign-in flows read, parsed once per schema snapshot.

use anyhow::Context;
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

    /// The auth view of an auth collection of the schema (`None` for other kinds).
    pub fn from_collection(c: &super::Collection) -> Option<anyhow::Result<Self>> {
        if !c.is_auth() {
            return None;
        }
        let options = serde_json::Value::Object(c.options.clone()).to_string();
        Some(Self::from_options(c.id.clone(), c.name.clone(), &options).map(|mut coll| {
            coll.date_fields = c
                .fields
                .iter()
                .filter(|f| matches!(f.name.as_str(), "created" | "updated"))
                .map(|f| f.name.clone())
                .collect();
            coll
        }))
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
