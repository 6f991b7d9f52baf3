//! Request logs (PocketBase's `_logs`): entries are queued without waiting and written to the
//! store in batches by one task; reading them back (`/api/logs`, `croft logs`) goes through the
//! filter language like records do.
//!
//! The writer wakes at most once per `LINGER` and writes what has gathered in one transaction.
//! The queue is bounded: when the store cannot keep up, new entries are dropped and counted
//! (`croft_logs_dropped_total`) rather than making requests wait.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::filter::{self, QueryError, RequestInfo};
use crate::schema::{Collection, Schema};
use crate::settings::SettingsService;
use crate::sql::SqlBuilder;
use crate::store::model::{LogEntry, LogFilter, LogQuery, LogStat, NewLogEntry};
use crate::store::{Store, StoreError};

/// Entries waiting to be written; beyond this they are dropped.
const QUEUE: usize = 16_384;
/// How long entries gather before they are written together (at most `QUEUE` of them).
const LINGER: Duration = Duration::from_millis(100);

pub const LEVEL_DEBUG: i64 = -4;
pub const LEVEL_INFO: i64 = 0;
pub const LEVEL_WARN: i64 = 4;
pub const LEVEL_ERROR: i64 = 8;

/// The table alias filters are compiled against.
const ALIAS: &str = "_logs";

/// `_logs` as a collection, so that filters and sorts resolve its fields (`data.status`).
static COLLECTION: LazyLock<Collection> = LazyLock::new(|| {
    let fields = json!([
        {"name": "id", "type": "text"},
        {"name": "created", "type": "date"},
        {"name": "level", "type": "number"},
        {"name": "message", "type": "text"},
        {"name": "data", "type": "json"},
    ]);
    let coll = json!({"id": "_logs", "name": ALIAS, "type": "base", "fields": fields});
    serde_json::from_value(coll).unwrap_or_default()
});

#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error(transparent)]
    Query(#[from] QueryError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What the HTTP layer knows of an answered request.
#[derive(Debug, Clone, Default)]
pub struct RequestFacts {
    pub method: String,
    pub url: String,
    pub status: u16,
    pub exec_time_ms: f64,
    /// The authenticated record's collection name and id (none for guests).
    pub auth: Option<(String, String)>,
    pub user_ip: String,
    pub remote_ip: String,
    pub referer: String,
    pub user_agent: String,
    /// The error message of an error answer.
    pub error: String,
    /// The error answer's `data`, when it has some.
    pub details: Option<Value>,
}

/// A page of logs.
#[derive(Debug, Clone)]
pub struct LogPage {
    pub page: u64,
    pub per_page: u64,
    /// -1 when the total was skipped.
    pub total_items: i64,
    pub total_pages: i64,
    pub items: Vec<LogEntry>,
}

/// A request entry's `data`, in PocketBase's keys (serialized straight to text: no JSON tree).
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct RequestData<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    method: &'a str,
    url: &'a str,
    status: u16,
    exec_time: f64,
    auth: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    auth_id: Option<&'a str>,
    referer: &'a str,
    user_agent: &'a str,
    #[serde(rename = "userIP", skip_serializing_if = "Option::is_none")]
    user_ip: Option<&'a str>,
    #[serde(rename = "remoteIP", skip_serializing_if = "Option::is_none")]
    remote_ip: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    /// `null` on errors without data, absent on successes.
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<Option<&'a Value>>,
}

/// PocketBase logs a request at ERROR when it failed, else INFO.
fn request_level(status: u16) -> i64 {
    if status >= 400 { LEVEL_ERROR } else { LEVEL_INFO }
}

pub struct Logs {
    store: Arc<dyn Store>,
    settings: Arc<SettingsService>,
    queue: mpsc::Sender<NewLogEntry>,
    /// The receiving end until the writer starts.
    pending: Mutex<Option<mpsc::Receiver<NewLogEntry>>>,
    dropped: AtomicU64,
}

impl Logs {
    pub fn new(store: Arc<dyn Store>, settings: Arc<SettingsService>) -> Self {
        let (queue, rx) = mpsc::channel(QUEUE);
        Self { store, settings, queue, pending: Mutex::new(Some(rx)), dropped: AtomicU64::new(0) }
    }

    /// Entries dropped because the queue was full, since start.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Whether a request answered with `status` is to be logged under the `logs` settings
    /// (not when `maxDays` is 0 or its level is below `minLevel`).
    pub fn wants(settings: &crate::settings::Logs, status: u16) -> bool {
        settings.max_days > 0 && request_level(status) >= settings.min_level
    }

    /// Logs an answered request as the `logs` settings say (see [`Logs::wants`]). Never waits.
    pub fn request(&self, cfg: &crate::settings::Logs, facts: RequestFacts) {
        if !Self::wants(cfg, facts.status) {
            return;
        }
        let auth = facts.auth.as_ref();
        let data = RequestData {
            kind: "request",
            method: &facts.method,
            url: &facts.url,
            status: facts.status,
            exec_time: (facts.exec_time_ms * 1000.0).round() / 1000.0,
            auth: auth.map_or("", |(c, _)| c.as_str()),
            auth_id: cfg.log_auth_id.then(|| auth.map_or("", |(_, id)| id.as_str())),
            referer: &facts.referer,
            user_agent: &facts.user_agent,
            user_ip: cfg.log_ip.then_some(facts.user_ip.as_str()),
            remote_ip: cfg.log_ip.then_some(facts.remote_ip.as_str()),
            error: (facts.status >= 400).then_some(facts.error.as_str()),
            details: (facts.status >= 400).then_some(facts.details.as_ref()),
        };
        let Ok(data) = serde_json::to_string(&data) else { return };
        self.push(NewLogEntry {
            id: crate::ids::time_ordered_id(),
            created: crate::dates::now(),
            level: request_level(facts.status),
            message: format!("{} {}", facts.method, facts.url),
            data,
        });
    }

    /// Queues an entry; a full queue drops it.
    pub fn push(&self, entry: NewLogEntry) {
        if self.queue.try_send(entry).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            crate::telemetry::logs_dropped(1);
        }
    }

    /// Starts the writer; it drains the queue once more when `shutdown` is cancelled.
    pub fn start(self: &Arc<Self>, shutdown: CancellationToken) -> Option<tokio::task::JoinHandle<()>> {
        let rx = self.pending.lock().unwrap_or_else(PoisonError::into_inner).take()?;
        Some(tokio::spawn(write_loop(self.store.clone(), self.settings.clone(), rx, shutdown)))
    }

    /// A page of entries matching `filter`, sorted by `sort` (default: oldest first).
    pub async fn list(
        &self,
        filter: Option<&str>,
        sort: Option<&str>,
        page: i64,
        per_page: i64,
        skip_total: bool,
    ) -> Result<LogPage, LogError> {
        let page = page.max(1) as u64;
        let per_page = if per_page <= 0 { 30 } else { per_page.min(1000) } as u64;
        let (filter, order_by) = self.compile(filter, sort)?;
        // SQLite takes offsets up to i64::MAX; pages beyond that are simply empty.
        let offset = (page - 1).saturating_mul(per_page).min(i64::MAX as u64);
        let q = LogQuery { filter, order_by, limit: per_page, offset, count: !skip_total };
        let (items, total) = self.store.query_logs(q).await?;
        let (total_items, total_pages) = match total {
            Some(n) => (n as i64, n.div_ceil(per_page) as i64),
            None => (-1, -1),
        };
        Ok(LogPage { page, per_page, total_items, total_pages, items })
    }

    pub async fn view(&self, id: &str) -> Result<Option<LogEntry>, LogError> {
        Ok(self.store.log_entry(id).await?)
    }

    /// Entries per hour matching `filter`.
    pub async fn stats(&self, filter: Option<&str>) -> Result<Vec<LogStat>, LogError> {
        let (filter, _) = self.compile(filter, None)?;
        Ok(self.store.log_stats(filter).await?)
    }

    /// Deletes entries older than the `logs.maxDays` setting; returns how many.
    pub async fn prune(&self) -> anyhow::Result<u64> {
        let days = self.settings.shared().await?.logs.max_days.max(0);
        let before = chrono::Utc::now() - chrono::Duration::days(days);
        Ok(self.store.delete_logs(Some(before)).await?)
    }

    fn compile(&self, filter: Option<&str>, sort: Option<&str>) -> Result<(LogFilter, Vec<String>), QueryError> {
        let mut sql = SqlBuilder::new(self.store.dialect());
        let schema = Schema::new(Vec::new());
        let q = filter::compile_query(&mut sql, &schema, &COLLECTION, ALIAS, filter, sort, &RequestInfo::superuser())?;
        Ok((LogFilter { where_sql: q.where_sql, params: sql.params }, q.order_by))
    }
}

async fn write_loop(
    store: Arc<dyn Store>,
    settings: Arc<SettingsService>,
    mut rx: mpsc::Receiver<NewLogEntry>,
    shutdown: CancellationToken,
) {
    let mut batch = Vec::new();
    loop {
        let open = tokio::select! {
            n = rx.recv_many(&mut batch, 1) => n > 0,
            () = shutdown.cancelled() => false,
        };
        if open {
            // Let entries gather without waking this task for each one (a wake per request
            // cost more than the insert), then take them all: one write per LINGER.
            tokio::select! {
                () = tokio::time::sleep(LINGER) => {}
                () = shutdown.cancelled() => {}
            }
        }
        while let Ok(entry) = rx.try_recv() {
            batch.push(entry);
        }
        // Logging turned off meanwhile: what was queued before is not kept either.
        if settings.cached().is_some_and(|s| s.logs.max_days == 0) {
            batch.clear();
        }
        flush(store.as_ref(), &mut batch).await;
        if !open || shutdown.is_cancelled() {
            // Shutting down (or every sender is gone): what was queued is written; stop.
            return;
        }
    }
}

async fn flush(store: &dyn Store, batch: &mut Vec<NewLogEntry>) {
    if batch.is_empty() {
        return;
    }
    let n = batch.len();
    match store.insert_logs(std::mem::take(batch)).await {
        Ok(()) => crate::telemetry::logs_written(n),
        Err(err) => {
            tracing::warn!(error = %err, entries = n, "cannot write request logs; they are dropped");
            crate::telemetry::logs_dropped(n as u64);
        }
    }
}
