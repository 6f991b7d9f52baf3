//! Application settings in PocketBase's shape, stored as one JSON document in `_params`.
//! Only the parts that exist so far are kept: `meta`, `batch` and `s3`; unknown keys are refused
//! so a typo never silently does nothing. Secrets are never read back through the API.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use std::sync::{Arc, PoisonError, RwLock};

use crate::error::{FieldError, FieldErrors, code};
use crate::files::Files;
use crate::store::{Store, StoreError};

const KEY: &str = "settings";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[derive(Default)]
pub struct Settings {
    #[serde(default)]
    pub meta: Meta,
    #[serde(default)]
    pub batch: Batch,
    /// File storage on an S3-compatible bucket instead of the local disk.
    #[serde(default)]
    pub s3: crate::blob::S3Config,
    /// Outgoing email.
    #[serde(default)]
    pub smtp: crate::mail::SmtpConfig,
    #[serde(default)]
    pub rate_limits: crate::limits::RateLimits,
    /// Headers that carry the client IP behind a reverse proxy (none: the socket's address).
    #[serde(default)]
    pub trusted_proxy: crate::limits::TrustedProxy,
    /// Scheduled backups and where backups are kept.
    #[serde(default)]
    pub backups: Backups,
    /// Request logs.
    #[serde(default)]
    pub logs: Logs,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Backups {
    /// 5-field cron (UTC) of automatic backups; empty turns them off.
    pub cron: String,
    /// Automatic backups to keep (older ones are deleted after each new one).
    pub cron_max_keep: i64,
    /// A bucket for backups (separate from file storage); disabled: `<data>/backups`.
    pub s3: crate::blob::S3Config,
}

impl Default for Backups {
    fn default() -> Self {
        Self { cron: String::new(), cron_max_keep: 3, s3: crate::blob::S3Config::default() }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Logs {
    /// Days logs are kept; 0 turns request logging off.
    pub max_days: i64,
    /// Entries below this level are not kept (-4 debug, 0 info, 4 warn, 8 error).
    pub min_level: i64,
    /// Whether request logs keep the client's IP address.
    #[serde(rename = "logIP")]
    pub log_ip: bool,
    /// Whether request logs keep the id of the authenticated record.
    pub log_auth_id: bool,
    /// PocketBase's limit of an entry's `data` in bytes (0: 16 KiB). Kept and validated; Croft's
    /// request entries are bounded by their own cuts (url 3,000, referer and agent 2,000 chars).
    pub max_data_size: i64,
}

impl Default for Logs {
    fn default() -> Self {
        Self { max_days: 5, min_level: 0, log_ip: true, log_auth_id: false, max_data_size: 0 }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Meta {
    pub app_name: String,
    #[serde(rename = "appURL")]
    pub app_url: String,
    pub sender_name: String,
    pub sender_address: String,
    pub hide_controls: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Batch {
    pub enabled: bool,
    pub max_requests: i64,
    /// Seconds the whole batch may take.
    pub timeout: i64,
    /// Bytes; 0 means the server's body limit.
    pub max_body_size: i64,
}

impl Default for Meta {
    fn default() -> Self {
        Self {
            app_name: "Acme".into(),
            app_url: "http://localhost:8090".into(),
            sender_name: "Support".into(),
            sender_address: "support@example.com".into(),
            hide_controls: false,
        }
    }
}

impl Default for Batch {
    fn default() -> Self {
        Self { enabled: false, max_requests: 50, timeout: 3, max_body_size: 0 }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("invalid settings")]
    Invalid(FieldErrors),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<StoreError> for SettingsError {
    fn from(e: StoreError) -> Self {
        Self::Internal(anyhow::Error::new(e))
    }
}

/// The settings, cached above the store. [`SettingsService::invalidate`] is the hook for a
/// change made elsewhere (another process or replica): the next read goes to the store.
pub struct SettingsService {
    store: Arc<dyn Store>,
    files: Arc<Files>,
    cache: RwLock<Option<Arc<Settings>>>,
}

impl SettingsService {
    pub fn new(store: Arc<dyn Store>, files: Arc<Files>) -> Self {
        Self { store, files, cache: RwLock::default() }
    }

    pub async fn load(&self) -> Result<Settings, SettingsError> {
        Ok(self.shared().await?.as_ref().clone())
    }

    /// The settings, read once and kept until they change through [`SettingsService::update`]
    /// or [`SettingsService::invalidate`].
    pub async fn shared(&self) -> Result<Arc<Settings>, SettingsError> {
        if let Some(s) = self.cache.read().unwrap_or_else(PoisonError::into_inner).clone() {
            return Ok(s);
        }
        let settings: Settings = match self.store.param(KEY).await? {
            Some(text) => {
                serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("stored settings are unreadable: {e}"))?
            }
            None => Settings::default(),
        };
        let settings = Arc::new(settings);
        *self.cache.write().unwrap_or_else(PoisonError::into_inner) = Some(settings.clone());
        Ok(settings)
    }

    /// The cached settings, when they were read already (never touches the store).
    pub fn cached(&self) -> Option<Arc<Settings>> {
        self.cache.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Forgets the cached settings.
    pub fn invalidate(&self) {
        *self.cache.write().unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// Merges `patch` into the stored settings (objects deeply), validates and saves.
    pub async fn update(&self, patch: &Value) -> Result<Settings, SettingsError> {
        let stored = self.load().await?;
        let mut current = serde_json::to_value(&stored).map_err(anyhow::Error::from)?;
        merge(&mut current, patch);
        // An empty secret (what reading the settings shows) keeps the stored one.
        if current.pointer("/s3/secret").and_then(Value::as_str).is_some_and(str::is_empty) {
            current["s3"]["secret"] = Value::String(stored.s3.secret.clone());
        }
        if current.pointer("/smtp/password").and_then(Value::as_str).is_some_and(str::is_empty) {
            current["smtp"]["password"] = Value::String(stored.smtp.password.clone());
        }
        if current.pointer("/backups/s3/secret").and_then(Value::as_str).is_some_and(str::is_empty) {
            current["backups"]["s3"]["secret"] = Value::String(stored.backups.s3.secret.clone());
        }
        let settings: Settings = serde_json::from_value(current)
            .map_err(|e| SettingsError::Invalid(FieldErrors::single("settings", code::INVALID, e.to_string())))?;
        validate(&settings)?;
        if settings.s3 != stored.s3 {
            self.files.apply_settings(&settings.s3).map_err(|e| {
                let endpoint = FieldErrors::single("endpoint", code::INVALID, format!("{e:#}"));
                SettingsError::Invalid(FieldErrors::nested("s3", endpoint))
            })?;
        }
        let text = serde_json::to_string(&settings).map_err(anyhow::Error::from)?;
        self.store.set_param(KEY, &text).await?;
        *self.cache.write().unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(settings.clone()));
        Ok(settings)
    }
}

/// The settings as the API shows them: secrets blanked.
pub fn redacted(mut s: Settings) -> Settings {
    s.s3.secret = String::new();
    s.smtp.password = String::new();
    s.backups.s3.secret = String::new();
    s
}

fn merge(base: &mut Value, patch: &Value) {
    match (base, patch) {
        (Value::Object(b), Value::Object(p)) => {
            for (k, v) in p {
                merge(b.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (b, p) => *b = p.clone(),
    }
}

fn validate(s: &Settings) -> Result<(), SettingsError> {
    let mut errors = FieldErrors::default();
    let mut meta = FieldErrors::default();
    let name = s.meta.app_name.trim();
    if name.is_empty() || name.len() > 255 {
        meta.add("appName", code::REQUIRED, "Cannot be blank.");
    }
    if !s.meta.app_url.starts_with("http://") && !s.meta.app_url.starts_with("https://") {
        meta.add("appURL", code::INVALID_URL, "Must be a valid URL.");
    }
    errors.nest("meta", meta);
    if s.batch.max_requests < 0 || s.batch.timeout < 0 || s.batch.max_body_size < 0 {
        let negative = FieldErrors::single("maxRequests", code::MIN_GREATER_EQUAL, "Must be no less than 0.");
        errors.nest("batch", negative);
    }
    if s.smtp.enabled && (s.smtp.host.trim().is_empty() || s.smtp.port == 0) {
        errors.nest("smtp", FieldErrors::single("host", code::REQUIRED, "Cannot be blank."));
    }
    if s.s3.enabled {
        errors.nest("s3", s.s3.problems());
    }
    errors.nest("backups", validate_backups(&s.backups));
    let mut logs = FieldErrors::default();
    for (field, value) in [("maxDays", s.logs.max_days), ("maxDataSize", s.logs.max_data_size)] {
        if value < 0 {
            logs.add_error(
                field,
                FieldError::new(code::MIN_GREATER_EQUAL, "Must be no less than 0.").with("threshold", 0i64),
            );
        }
    }
    errors.nest("logs", logs);
    if errors.is_empty() { Ok(()) } else { Err(SettingsError::Invalid(errors)) }
}

/// PocketBase's rules: a valid cron or none; `cronMaxKeep` required with a cron, and at least 1
/// whenever it is set (0 counts as unset).
fn validate_backups(b: &Backups) -> FieldErrors {
    let mut errors = FieldErrors::default();
    let cron = b.cron.trim();
    if !cron.is_empty() && crate::jobs::parse_cron(cron).is_err() {
        let message = "Invalid cron expression - must be a valid macro or to have exactly 5 space separated segments.";
        errors.add("cron", "validation_invalid_cron", message);
    }
    if !cron.is_empty() && b.cron_max_keep == 0 {
        errors.add("cronMaxKeep", code::REQUIRED, "Cannot be blank.");
    } else if b.cron_max_keep < 0 {
        let min = FieldError::new(code::MIN_GREATER_EQUAL, "Must be no less than 1.").with("threshold", 1i64);
        errors.add_error("cronMaxKeep", min);
    }
    if b.s3.enabled {
        errors.nest("s3", b.s3.problems());
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn deep_merge_and_validation() {
        let mut base = serde_json::to_value(Settings::default()).expect("json");
        merge(&mut base, &json!({"batch": {"enabled": true}, "meta": {"appName": "Shop"}}));
        let s: Settings = serde_json::from_value(base).expect("settings");
        assert!(s.batch.enabled && s.batch.max_requests == 50 && s.meta.app_name == "Shop");
        let mut bad = s.clone();
        bad.meta.app_url = "ftp://x".into();
        assert!(validate(&bad).is_err());
        assert!(serde_json::from_value::<Settings>(json!({"nope": 1})).is_err(), "unknown keys are refused");
    }
}
