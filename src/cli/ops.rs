//! Operations commands: `backup`, `logs`, `healthcheck` and `doctor`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};

use crate::app::AppState;
use crate::backups::{BackupError, CreateOptions, ProgressFn};
use crate::config::Config;

#[derive(Debug, Subcommand)]
pub enum BackupAction {
    /// Take a backup now (writes go on meanwhile) and store it where the settings say.
    Create {
        /// File name, `[a-z0-9_-]+.zip` (default: pb_backup_<app>_<time>.zip).
        name: Option<String>,
        /// Also copy aux.db (request logs, job history).
        #[arg(long)]
        aux: bool,
        #[arg(long)]
        json: bool,
    },
    /// List stored backups.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Restore a backup (with the server stopped; a running server restores through its API).
    Restore {
        key: String,
        /// Restore even though a server seems to answer at the configured address.
        #[arg(long)]
        force: bool,
    },
    /// Copy a stored backup to a local file.
    Download { key: String, file: PathBuf },
    /// Delete a stored backup.
    Delete { key: String },
}

/// `croft logs`: the request logs, oldest first.
#[derive(Debug, clap::Args)]
pub struct LogsArgs {
    /// Filter in the record filter language, e.g. `data.status >= 400 && data.method = "POST"`.
    #[arg(long)]
    pub filter: Option<String>,
    /// Sort, e.g. `-created` (default: oldest first; with --follow always oldest first).
    #[arg(long)]
    pub sort: Option<String>,
    /// How many entries: the newest N unless --sort says otherwise.
    #[arg(short = 'n', long, default_value_t = 50)]
    pub lines: i64,
    /// Keep printing new entries as they are written.
    #[arg(short, long)]
    pub follow: bool,
    /// One JSON object per line.
    #[arg(long)]
    pub json: bool,
}

fn bar(label: &'static str) -> ProgressFn {
    let pb = ProgressBar::new(0);
    pb.set_style(
        ProgressStyle::with_template("{msg:8} [{bar:30}] {bytes}/{total_bytes} ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    pb.set_message(label);
    Arc::new(move |phase: &str, done, total| {
        pb.set_message(phase.to_owned());
        pb.set_length(total);
        pb.set_position(done);
        // The last phases: the archive is being stored, or the databases replaced.
        if matches!(phase, "store" | "restore") {
            pb.finish_and_clear();
        }
    })
}

fn describe(e: BackupError) -> anyhow::Error {
    match e {
        BackupError::Invalid(errors) => anyhow::anyhow!("{}", errors.describe().join("; ")),
        BackupError::NotFound(key) => anyhow::anyhow!("no backup named {key}; see `croft backup list`"),
        other => anyhow::Error::new(other),
    }
}

pub async fn backup(state: AppState, action: BackupAction) -> anyhow::Result<()> {
    match action {
        BackupAction::Create { name, aux, json } => {
            let options = CreateOptions { name: name.unwrap_or_default(), include_aux: aux, auto: false };
            let progress = (!json).then(|| bar("snapshot"));
            let b = state.backups.create(options, progress).await.map_err(describe)?;
            if json {
                println!("{}", json!({"key": b.key, "size": b.size, "modified": crate::dates::format(b.modified)}));
            } else {
                println!("created backup {} ({} bytes)", b.key, b.size);
            }
        }
        BackupAction::List { json } => {
            let list = state.backups.list().await.map_err(describe)?;
            if json {
                let items: Vec<Value> = list
                    .iter()
                    .map(|b| json!({"key": b.key, "size": b.size, "modified": crate::dates::format(b.modified)}))
                    .collect();
                println!("{}", Value::Array(items));
            } else {
                for b in &list {
                    println!("{:<50} {:>14} {}", b.key, b.size, crate::dates::format(b.modified));
                }
            }
        }
        BackupAction::Restore { key, force } => {
            if !force && probe(&base_url(&state.config, None), "/api/health").await.is_ok() {
                bail!(
                    "a server answers at {}; restore through it (POST /api/backups/{key}/restore, or the dashboard) so it reloads, or stop it first (--force skips this check)",
                    base_url(&state.config, None)
                );
            }
            let restored = state.restore_backup(&key, Some(bar("verify"))).await.map_err(describe)?;
            let files = if restored.storage { " and the uploaded files" } else { "" };
            println!(
                "restored {key} (taken {} by Croft {}): the databases{files}",
                restored.manifest.created, restored.manifest.croft
            );
        }
        BackupAction::Download { key, file } => {
            let read = state.backups.open(&key, None).await.map_err(describe)?;
            let mut out =
                tokio::fs::File::create(&file).await.with_context(|| format!("cannot create {}", file.display()))?;
            let mut body = tokio_util::io::StreamReader::new(read.body);
            let bytes = tokio::io::copy(&mut body, &mut out).await?;
            out.sync_all().await?;
            println!("downloaded {key} to {} ({bytes} bytes)", file.display());
        }
        BackupAction::Delete { key } => {
            state.backups.delete(&key).await.map_err(describe)?;
            println!("deleted backup {key}");
        }
    }
    state.store.close().await?;
    Ok(())
}

pub async fn logs(state: AppState, args: LogsArgs) -> anyhow::Result<()> {
    let per_page = args.lines.clamp(1, 1000);
    let query_error = |e: crate::logs::LogError| anyhow::anyhow!("{e}");
    // The newest N, printed oldest first, unless a sort is given.
    let mut entries = if let Some(sort) = args.sort.as_deref().filter(|_| !args.follow) {
        state.logs.list(args.filter.as_deref(), Some(sort), 1, per_page, true).await.map_err(query_error)?.items
    } else {
        let mut newest = state
            .logs
            .list(args.filter.as_deref(), Some("-created"), 1, per_page, true)
            .await
            .map_err(query_error)?
            .items;
        newest.reverse();
        newest
    };
    let mut last = entries.last().map(|e| e.created.clone());
    for e in entries.drain(..) {
        print_log(&e, args.json);
    }
    if !args.follow {
        state.store.close().await?;
        return Ok(());
    }
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let since = last.as_deref().map_or_else(String::new, |c| format!("created > \"{c}\""));
        let filter = match (&args.filter, since.is_empty()) {
            (Some(f), false) => format!("({f}) && {since}"),
            (Some(f), true) => f.clone(),
            (None, _) => since,
        };
        let page = state.logs.list(Some(&filter), Some("created"), 1, 1000, true).await.map_err(query_error)?;
        if let Some(e) = page.items.last() {
            last = Some(e.created.clone());
        }
        for e in &page.items {
            print_log(e, args.json);
        }
    }
}

fn print_log(e: &crate::store::model::LogEntry, json: bool) {
    if json {
        println!(
            "{}",
            json!({"id": e.id, "created": e.created, "level": e.level, "message": e.message, "data": e.data})
        );
        return;
    }
    let level = match e.level {
        l if l >= crate::logs::LEVEL_ERROR => "ERROR",
        l if l >= crate::logs::LEVEL_WARN => "WARN",
        l if l >= crate::logs::LEVEL_INFO => "INFO",
        _ => "DEBUG",
    };
    let status = e.data.get("status").map_or_else(String::new, |s| format!(" {s}"));
    let ms = e.data.get("execTime").and_then(Value::as_f64).map_or_else(String::new, |t| format!(" {t:.1}ms"));
    println!("{} {level:<5} {}{status}{ms}", e.created, e.message);
}

/// `http://ADDR` of the configured listener (`0.0.0.0` becomes loopback), or `url`.
fn base_url(config: &Config, url: Option<&str>) -> String {
    if let Some(url) = url {
        return url.trim_end_matches('/').to_owned();
    }
    let mut addr: SocketAddr = config.http;
    if addr.ip().is_unspecified() {
        addr.set_ip(if addr.is_ipv4() { [127, 0, 0, 1].into() } else { std::net::Ipv6Addr::LOCALHOST.into() });
    }
    format!("http://{addr}")
}

/// GETs `base + path`; the status line as an error unless it is 200.
async fn probe(base: &str, path: &str) -> anyhow::Result<()> {
    let mut builder = reqwest::Client::builder().timeout(Duration::from_secs(5));
    if base.starts_with("http://") {
        // Plain HTTP needs no trust store: a slim image without CA certificates must still probe.
        builder = builder.tls_certs_only(Vec::<reqwest::Certificate>::new());
    }
    let client = builder.build()?;
    let resp =
        client.get(format!("{base}{path}")).send().await.with_context(|| format!("{base}{path} does not answer"))?;
    if resp.status() != reqwest::StatusCode::OK {
        let status = resp.status();
        let body: Value = resp.json().await.unwrap_or_default();
        let message = body.get("message").and_then(Value::as_str).unwrap_or_default().to_owned();
        bail!("{base}{path} answered {status} {message}");
    }
    Ok(())
}

/// `croft healthcheck`: exit 0 only when the server is up and ready.
pub async fn healthcheck(config: &Config, url: Option<&str>) -> anyhow::Result<()> {
    let base = base_url(config, url);
    probe(&base, "/api/health").await?;
    probe(&base, "/api/ready").await?;
    println!("{base} is healthy and ready");
    Ok(())
}

/// One finding of `croft doctor`.
struct Finding {
    check: String,
    ok: bool,
    detail: String,
}

/// `croft doctor`: checks the data directory, the databases, disk space, the configuration and
/// (when set up) S3 and SMTP; fails when something is wrong.
pub async fn doctor(config: Config, dir: &Path, json_out: bool) -> anyhow::Result<()> {
    let mut findings = Vec::new();
    let mut note =
        |check: &str, ok: bool, detail: String| findings.push(Finding { check: check.to_owned(), ok, detail });
    note("configuration", true, "loaded".into());
    let writable = crate::config::ensure_data_dir(dir);
    note(
        "data directory",
        writable.is_ok(),
        writable.map_or_else(|e| format!("{e:#}"), |()| format!("{} is writable", dir.display())),
    );
    if let Ok(meta) = std::fs::metadata(dir) {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        note(
            "permissions",
            mode & 0o007 == 0,
            format!(
                "{} has mode {mode:o}{}",
                dir.display(),
                if mode & 0o007 == 0 { "" } else { "; others can read it: chmod o-rwx" }
            ),
        );
    }
    match crate::telemetry::disk_free(dir) {
        Some(free) => note("disk space", free >= 1 << 30, format!("{} MiB free", free >> 20)),
        None => note("disk space", false, "cannot tell".into()),
    }
    let mut databases_ok = true;
    for name in ["data.db", "aux.db"] {
        let path = dir.join(name);
        if !path.exists() {
            note(name, true, "not created yet".into());
            continue;
        }
        let wal = std::fs::metadata(dir.join(format!("{name}-wal"))).map(|m| m.len()).unwrap_or(0);
        let problems = crate::store::check_database_file(&path).unwrap_or_else(|e| vec![format!("{e:#}")]);
        databases_ok &= problems.is_empty();
        let detail = if problems.is_empty() {
            format!("integrity ok, WAL {} KiB", wal >> 10)
        } else {
            format!("damaged: {}", problems.iter().take(5).cloned().collect::<Vec<_>>().join("; "))
        };
        note(name, problems.is_empty(), detail);
        if wal > 256 << 20 {
            note(&format!("{name} WAL"), false, format!("{} MiB: is a reader holding an old snapshot?", wal >> 20));
        }
    }
    if databases_ok {
        match AppState::build(config, dir.to_path_buf()).await {
            Ok(state) => {
                for (check, ok, detail) in services(&state).await {
                    note(check, ok, detail);
                }
                state.store.close().await?;
            }
            Err(e) => note("open", false, format!("{e:#}")),
        }
    }
    let failed = findings.iter().filter(|f| !f.ok).count();
    if json_out {
        let items: Vec<Value> =
            findings.iter().map(|f| json!({"check": f.check, "ok": f.ok, "detail": f.detail})).collect();
        println!("{}", json!({"ok": failed == 0, "checks": items}));
    } else {
        for f in &findings {
            println!("{} {:<16} {}", if f.ok { "ok  " } else { "FAIL" }, f.check, f.detail);
        }
    }
    if failed > 0 {
        bail!("{failed} check(s) failed");
    }
    Ok(())
}

/// File storage, the backups bucket and SMTP, as the settings configure them.
async fn services(state: &AppState) -> Vec<(&'static str, bool, String)> {
    let mut out = Vec::new();
    let blobs = state.files.blobs();
    let check = blobs.check().await;
    out.push((
        "file storage",
        check.is_ok(),
        check.map_or_else(|e| format!("{}: {e:#}", blobs.describe()), |()| blobs.describe().to_owned()),
    ));
    if let Some(tls) = &state.tls {
        let (ok, detail) = match tls.stored_not_after().await {
            Err(e) => (false, format!("{e:#}")),
            Ok(None) => (true, "none yet: the server orders one over ACME when it starts".to_owned()),
            Ok(Some(at)) => {
                let days = (at - chrono::Utc::now()).num_days();
                (days >= 14, format!("expires {at} (in {days} days)"))
            }
        };
        out.push(("tls certificate", ok, detail));
    }
    let Ok(settings) = state.settings.load().await else {
        out.push(("settings", false, "unreadable".into()));
        return out;
    };
    if settings.backups.s3.enabled {
        let check = match crate::blob::BlobStore::s3(&settings.backups.s3) {
            Ok(b) => b.check().await,
            Err(e) => Err(e),
        };
        out.push((
            "backups bucket",
            check.is_ok(),
            check.map_or_else(|e| format!("{e:#}"), |()| settings.backups.s3.describe()),
        ));
    }
    if settings.smtp.enabled {
        let addr = format!("{}:{}", settings.smtp.host, settings.smtp.port);
        let reach = tokio::time::timeout(Duration::from_secs(5), tokio::net::TcpStream::connect(&addr)).await;
        let ok = matches!(reach, Ok(Ok(_)));
        out.push(("smtp", ok, if ok { format!("{addr} answers") } else { format!("{addr} does not answer") }));
    }
    out
}
