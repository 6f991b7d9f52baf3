//! Prometheus metrics: every metric Croft exports is named here, recorded through the small
//! functions below and rendered in the text format by [`render`] (served at `/metrics`).
//!
//! The recorder is process-wide (one per process, installed on first use); recording before it
//! exists costs nothing. Gauges that describe the outside world (file sizes, memory, open
//! files) are read when the metrics are rendered, not kept up to date all the time.

use std::sync::OnceLock;
use std::time::Duration;

use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Latency buckets in seconds: 1 ms to 10 s.
const LATENCY_BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
/// Job and backup durations in seconds: 10 ms to 1 h.
const JOB_BUCKETS: &[f64] = &[0.01, 0.1, 1.0, 10.0, 60.0, 300.0, 900.0, 3600.0];
/// Writes per group commit.
const BATCH_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];

/// The names of every metric, for the shipped dashboard and alert rules (a test checks them
/// against a scrape).
pub mod name {
    pub const HTTP_REQUESTS: &str = "croft_http_requests_total";
    pub const HTTP_DURATION: &str = "croft_http_request_duration_seconds";
    pub const HTTP_IN_FLIGHT: &str = "croft_http_requests_in_flight";
    pub const DB_QUERY_DURATION: &str = "croft_db_query_duration_seconds";
    pub const DB_POOL_WAIT: &str = "croft_db_pool_wait_seconds";
    pub const DB_COMMIT_BATCH: &str = "croft_db_commit_batch_size";
    pub const DB_BUSY: &str = "croft_db_busy_errors_total";
    pub const DB_CHECKPOINTS: &str = "croft_db_checkpoints_total";
    pub const DB_FILE_BYTES: &str = "croft_db_file_bytes";
    pub const JOB_RUNS: &str = "croft_job_runs_total";
    pub const JOB_DURATION: &str = "croft_job_duration_seconds";
    pub const JOB_LAST_SUCCESS: &str = "croft_job_last_success_timestamp_seconds";
    pub const REALTIME_CLIENTS: &str = "croft_realtime_clients";
    pub const REALTIME_SUBSCRIPTIONS: &str = "croft_realtime_subscriptions";
    pub const REALTIME_EVENTS: &str = "croft_realtime_events_total";
    pub const REALTIME_DROPPED: &str = "croft_realtime_dropped_total";
    pub const BLOB_OPERATIONS: &str = "croft_blob_operations_total";
    pub const BLOB_BYTES: &str = "croft_blob_bytes_total";
    pub const AUTH_FAILURES: &str = "croft_auth_failures_total";
    pub const RATE_LIMITED: &str = "croft_rate_limited_total";
    pub const BACKUPS: &str = "croft_backups_total";
    pub const BACKUP_LAST_SUCCESS: &str = "croft_backup_last_success_timestamp_seconds";
    pub const BACKUP_LAST_SIZE: &str = "croft_backup_last_size_bytes";
    pub const BACKUP_DURATION: &str = "croft_backup_duration_seconds";
    pub const TLS_CERT_EXPIRY: &str = "croft_tls_certificate_expiry_timestamp_seconds";
    pub const TLS_RENEWALS: &str = "croft_tls_renewals_total";
    pub const LOGS_WRITTEN: &str = "croft_logs_written_total";
    pub const LOGS_DROPPED: &str = "croft_logs_dropped_total";
    pub const PROCESS_RSS: &str = "croft_process_resident_memory_bytes";
    pub const PROCESS_FDS: &str = "croft_process_open_fds";
    pub const PROCESS_START: &str = "croft_process_start_time_seconds";
    pub const BUILD_INFO: &str = "croft_build_info";
    pub const DATA_DIR_FREE: &str = "croft_data_dir_free_bytes";
}

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process-wide recorder (once; later calls return the same handle).
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
                .and_then(|b| b.set_buckets_for_metric(Matcher::Full(name::JOB_DURATION.into()), JOB_BUCKETS))
                .and_then(|b| b.set_buckets_for_metric(Matcher::Full(name::BACKUP_DURATION.into()), JOB_BUCKETS))
                .and_then(|b| b.set_buckets_for_metric(Matcher::Full(name::DB_COMMIT_BATCH.into()), BATCH_BUCKETS))
                .map(PrometheusBuilder::build_recorder);
            let recorder = match recorder {
                Ok(r) => r,
                Err(e) => {
                    tracing::error!(error = %e, "cannot build the metrics recorder");
                    return None;
                }
            };
            let handle = recorder.handle();
            if let Err(e) = metrics::set_global_recorder(recorder) {
                tracing::warn!(error = %e, "another metrics recorder is installed");
                return None;
            }
            gauge!(name::BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
            gauge!(name::PROCESS_START).set(chrono::Utc::now().timestamp() as f64);
            Some(handle)
        })
        .as_ref()
}

/// Things only known when asked: database file sizes and free disk space, by path.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// (database name, file kind `db`/`wal`, bytes).
    pub db_files: Vec<(String, &'static str, u64)>,
    pub data_dir_free: Option<u64>,
    pub realtime_clients: usize,
    pub realtime_subscriptions: usize,
}

/// The metrics in Prometheus' text format.
pub fn render(snapshot: &Snapshot) -> String {
    let Some(handle) = install() else { return String::new() };
    for (db, file, bytes) in &snapshot.db_files {
        gauge!(name::DB_FILE_BYTES, "db" => db.clone(), "file" => *file).set(*bytes as f64);
    }
    if let Some(free) = snapshot.data_dir_free {
        gauge!(name::DATA_DIR_FREE).set(free as f64);
    }
    gauge!(name::REALTIME_CLIENTS).set(snapshot.realtime_clients as f64);
    gauge!(name::REALTIME_SUBSCRIPTIONS).set(snapshot.realtime_subscriptions as f64);
    if let Some(rss) = process_rss() {
        gauge!(name::PROCESS_RSS).set(rss as f64);
    }
    if let Ok(fds) = std::fs::read_dir("/proc/self/fd") {
        gauge!(name::PROCESS_FDS).set(fds.count() as f64);
    }
    handle.run_upkeep();
    handle.render()
}

/// Bytes free for unprivileged users on the filesystem holding `path`.
pub fn disk_free(path: &std::path::Path) -> Option<u64> {
    let s = rustix::fs::statvfs(path).ok()?;
    Some(s.f_bavail.saturating_mul(s.f_frsize))
}

fn process_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// One answered HTTP request; `route` is its path template (bounded cardinality).
pub fn http_request(route: &str, method: &str, status: u16, elapsed: Duration) {
    let (route, method) = (route.to_owned(), method.to_owned());
    counter!(name::HTTP_REQUESTS, "route" => route.clone(), "method" => method.clone(), "status" => status.to_string())
        .increment(1);
    histogram!(name::HTTP_DURATION, "route" => route, "method" => method).record(elapsed.as_secs_f64());
}

/// Requests being handled right now (+1 when one starts, -1 when it ends).
pub fn http_in_flight(delta: f64) {
    gauge!(name::HTTP_IN_FLIGHT).increment(delta);
}

/// A database call: `kind` is `read` or `write`; `waited` is the time spent queueing for a
/// connection, `elapsed` the whole call.
pub fn db_call(db: &'static str, kind: &'static str, waited: Duration, elapsed: Duration) {
    histogram!(name::DB_POOL_WAIT, "db" => db, "kind" => kind).record(waited.as_secs_f64());
    histogram!(name::DB_QUERY_DURATION, "db" => db, "kind" => kind).record(elapsed.as_secs_f64());
}

pub fn db_busy(db: &'static str) {
    counter!(name::DB_BUSY, "db" => db).increment(1);
}

/// One group commit of `writes` record writes.
pub fn db_commit_batch(writes: usize) {
    histogram!(name::DB_COMMIT_BATCH).record(writes as f64);
}

pub fn db_checkpoint(db: String, mode: &'static str) {
    counter!(name::DB_CHECKPOINTS, "db" => db, "mode" => mode).increment(1);
}

pub fn job_run(job: &'static str, ok: bool, elapsed: Duration) {
    // `name`, not `job`: Prometheus keeps `job` for the scrape job.
    counter!(name::JOB_RUNS, "name" => job, "result" => if ok { "ok" } else { "error" }).increment(1);
    histogram!(name::JOB_DURATION, "name" => job).record(elapsed.as_secs_f64());
    if ok {
        gauge!(name::JOB_LAST_SUCCESS, "name" => job).set(chrono::Utc::now().timestamp() as f64);
    }
}

/// Realtime messages: `sent` delivered to a client's queue, else dropped (a full queue).
pub fn realtime_event(sent: bool) {
    if sent {
        counter!(name::REALTIME_EVENTS).increment(1);
    } else {
        counter!(name::REALTIME_DROPPED).increment(1);
    }
}

/// A blob store operation (`put`, `get`, `delete`, `list`, `head`) and its outcome.
pub fn blob_op(op: &'static str, ok: bool) {
    counter!(name::BLOB_OPERATIONS, "op" => op, "result" => if ok { "ok" } else { "error" }).increment(1);
}

/// Bytes moved to (`in`) or from (`out`) blob storage.
pub fn blob_bytes(direction: &'static str, bytes: u64) {
    counter!(name::BLOB_BYTES, "direction" => direction).increment(bytes);
}

/// A refused sign-in (`password`, `otp`) or token (`token`).
pub fn auth_failure(kind: &'static str) {
    counter!(name::AUTH_FAILURES, "kind" => kind).increment(1);
}

pub fn rate_limited() {
    counter!(name::RATE_LIMITED).increment(1);
}

/// A finished backup attempt.
pub fn backup(ok: bool, bytes: u64, elapsed: Duration) {
    counter!(name::BACKUPS, "result" => if ok { "ok" } else { "error" }).increment(1);
    histogram!(name::BACKUP_DURATION).record(elapsed.as_secs_f64());
    if ok {
        gauge!(name::BACKUP_LAST_SUCCESS).set(chrono::Utc::now().timestamp() as f64);
        gauge!(name::BACKUP_LAST_SIZE).set(bytes as f64);
    }
}

/// The certificate now served expires at this Unix time.
pub fn tls_certificate(not_after: i64) {
    gauge!(name::TLS_CERT_EXPIRY).set(not_after as f64);
}

/// A finished ACME order.
pub fn tls_renewal(ok: bool) {
    counter!(name::TLS_RENEWALS, "result" => if ok { "ok" } else { "error" }).increment(1);
}

pub fn logs_written(n: usize) {
    counter!(name::LOGS_WRITTEN).increment(n as u64);
}

pub fn logs_dropped(n: u64) {
    counter!(name::LOGS_DROPPED).increment(n);
}
