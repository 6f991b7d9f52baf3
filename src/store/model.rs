//! The typed rows the store reads and writes outside user record tables: auth collections and
//! auth records, Croft's system tables, job history. Backends build them; the domain uses them.

use chrono::{DateTime, Utc};

pub use crate::schema::auth::{
    AuthCollection, SUPERUSERS, SUPERUSERS_ID, TYPE_AUTH, TYPE_EMAIL_CHANGE, TYPE_FILE, TYPE_PASSWORD_RESET,
    TYPE_VERIFICATION, TokenConfig,
};

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

/// One log entry (`_logs`, PocketBase's shape): a request or an application event.
#[derive(Debug, Clone, PartialEq)]
pub struct LogEntry {
    pub id: String,
    /// `2006-01-02 15:04:05.000Z`.
    pub created: String,
    /// -4 debug, 0 info, 4 warn, 8 error.
    pub level: i64,
    pub message: String,
    pub data: serde_json::Value,
}

/// A log entry on its way in: `data` already serialized (the request path builds it once).
#[derive(Debug, Clone, PartialEq)]
pub struct NewLogEntry {
    pub id: String,
    pub created: String,
    pub level: i64,
    pub message: String,
    /// A JSON object.
    pub data: String,
}

/// A compiled log filter: a boolean SQL expression over `_logs` and its bound values.
#[derive(Debug, Clone, Default)]
pub struct LogFilter {
    pub where_sql: Option<String>,
    pub params: Vec<crate::sql::SqlValue>,
}

/// A page of logs: the filter, its ORDER BY terms, the page and whether to count the total.
#[derive(Debug, Clone, Default)]
pub struct LogQuery {
    pub filter: LogFilter,
    pub order_by: Vec<String>,
    pub limit: u64,
    pub offset: u64,
    pub count: bool,
}

/// Log entries per hour (`/api/logs/stats`).
#[derive(Debug, Clone, PartialEq)]
pub struct LogStat {
    /// The hour, `2006-01-02 15:00:00.000Z`.
    pub date: String,
    pub total: u64,
}

/// A database file copied consistently (by a backup), and the name it goes by in archives.
#[derive(Debug, Clone)]
pub struct DatabaseFile {
    /// `data.db` or `aux.db`.
    pub name: String,
    pub path: std::path::PathBuf,
}
