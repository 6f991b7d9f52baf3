//! The command line. Admin subcommands build the app state and never serve.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use crate::app::AppState;
use crate::auth::superusers;
use crate::config::{self, Overrides, Sources};
use crate::server;

mod ops;

#[derive(Debug, Parser)]
#[command(name = "croft", version, about = "A PocketBase-compatible backend in one binary", propagate_version = true)]
pub struct Cli {
    /// Data directory (databases, files, backups).
    #[arg(long, global = true, env = "CROFT_DIR", default_value = "./croft_data")]
    pub dir: PathBuf,

    /// Configuration file (default: croft.toml in the data directory, if present).
    #[arg(long, global = true, env = "CROFT_CONFIG")]
    pub config: Option<PathBuf>,

    /// Log as JSON lines instead of text (filter with CROFT_LOG, e.g. CROFT_LOG=debug).
    #[arg(long, global = true, env = "CROFT_LOG_JSON")]
    pub log_json: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the HTTP server (API, dashboard at /_/, docs at /api/docs).
    Serve(Box<ServeArgs>),
    /// Apply or inspect database migrations.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Manage superusers (the `_superusers` auth collection).
    Superuser {
        #[command(subcommand)]
        action: SuperuserAction,
    },
    /// Export or import the collections schema (PocketBase's JSON), e.g. to keep it in git.
    Collections {
        #[command(subcommand)]
        action: CollectionsAction,
    },
    /// List or run the built-in jobs.
    Jobs {
        #[command(subcommand)]
        action: JobsAction,
    },
    /// Manage API keys for machines (also at /api/keys).
    Apikey {
        #[command(subcommand)]
        action: ApikeyAction,
    },
    /// Move uploaded files between local disk and S3.
    Storage {
        #[command(subcommand)]
        action: StorageAction,
    },
    /// Take, list, restore, download or delete backups.
    Backup {
        #[command(subcommand)]
        action: ops::BackupAction,
    },
    /// Show the request logs (newest last), or follow them.
    Logs(ops::LogsArgs),
    /// Probe a running server's /api/health and /api/ready; the exit code says whether it is
    /// healthy (for Docker HEALTHCHECK, Dokku checks, systemd).
    Healthcheck {
        /// The server's base URL (default: the configured listen address).
        #[arg(long)]
        url: Option<String>,
    },
    /// Check the data directory, databases, disk space, configuration, S3 and SMTP.
    Doctor {
        #[arg(long)]
        json: bool,
    },
    /// Inspect the configuration.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions { shell: clap_complete::Shell },
    /// Print the man page (roff), e.g. `croft man | man -l -`.
    Man,
    /// Print the OpenAPI document (JSON) without starting a server.
    Openapi,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on, e.g. 0.0.0.0:8090 (default 127.0.0.1:8090).
    #[arg(long, env = "CROFT_HTTP")]
    pub http: Option<SocketAddr>,
    /// Also serve /metrics, without a token, on this address (e.g. 127.0.0.1:9091).
    #[arg(long, env = "CROFT_METRICS_HTTP")]
    pub metrics_http: Option<SocketAddr>,
    /// Allowed CORS origins, comma separated (default: *).
    #[arg(long, env = "CROFT_ORIGINS", value_delimiter = ',')]
    pub origins: Option<Vec<String>>,
    /// Directory of static files served at / with SPA fallback.
    #[arg(long, env = "CROFT_PUBLIC_DIR")]
    pub public_dir: Option<PathBuf>,
    /// Another static site under a path prefix, PREFIX=DIR (repeatable), e.g. --mount /it=./it-app.
    #[arg(long = "mount", value_name = "PREFIX=DIR")]
    pub mounts: Vec<config::Mount>,
    /// Serve the dashboard, Swagger UI and superuser API only on this private address
    /// (e.g. 127.0.0.1:8091); the public listeners answer 404 for them.
    #[arg(long, env = "CROFT_ADMIN_HTTP")]
    pub admin_http: Option<SocketAddr>,
    /// Seconds to wait for another server using the same data directory to exit (default 60).
    #[arg(long = "lock-timeout", env = "CROFT_LOCK_TIMEOUT", value_name = "SECS")]
    pub lock_timeout: Option<u64>,
    /// Domains to serve over HTTPS with certificates from ACME (Let's Encrypt by default);
    /// then --http defaults to 0.0.0.0:80 (challenges and redirects) and --https to 0.0.0.0:443.
    #[arg(value_name = "DOMAIN")]
    pub domains: Vec<String>,
    /// Address of the HTTPS listener (default 0.0.0.0:443 when TLS is on).
    #[arg(long, env = "CROFT_HTTPS")]
    pub https: Option<SocketAddr>,
    /// Contact email for the ACME account (expiry notices).
    #[arg(long)]
    pub acme_email: Option<String>,
    /// ACME directory: production (Let's Encrypt, default), staging, or a URL (e.g. Pebble's).
    #[arg(long)]
    pub acme_directory: Option<String>,
    /// PEM file of a CA to trust for the ACME directory's HTTPS (e.g. Pebble's).
    #[arg(long)]
    pub acme_ca: Option<PathBuf>,
    /// ACME challenge: http-01 (port 80, default) or tls-alpn-01 (port 443 only).
    #[arg(long, value_parser = ["http-01", "tls-alpn-01"])]
    pub acme_challenge: Option<String>,
    /// Certificate chain (PEM) to serve instead of ACME; reloaded on SIGHUP and on change.
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// Private key (PEM) of --tls-cert.
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Send Strict-Transport-Security (one year) over HTTPS.
    #[arg(long)]
    pub hsts: bool,
    /// Redirect www.DOMAIN to DOMAIN (apex) or DOMAIN to www.DOMAIN (www).
    #[arg(long, value_parser = ["apex", "www"])]
    pub www_redirect: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum MigrateAction {
    /// Apply pending migrations.
    Up,
    /// List migrations and whether they are applied.
    Status,
}

#[derive(Debug, Subcommand)]
pub enum SuperuserAction {
    /// Create the superuser, or set its password if it exists.
    Upsert { email: String, password: String },
    /// Create a new superuser.
    Create { email: String, password: String },
    /// Set a superuser's password (signs out its sessions).
    Update { email: String, password: String },
    /// Delete a superuser.
    Delete { email: String },
    /// Print a one-time password for a superuser (sign in with it through auth-with-otp);
    /// needs OTP enabled on `_superusers`.
    Otp { email: String },
}

#[derive(Debug, Subcommand)]
pub enum CollectionsAction {
    /// Write every collection as a JSON array to FILE (`-` for standard output).
    Export { file: PathBuf },
    /// Create or update the collections in FILE (`-` for standard input).
    Import {
        file: PathBuf,
        /// Also delete the collections FILE does not mention (system collections are kept).
        #[arg(long)]
        delete_missing: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum JobsAction {
    /// List jobs with their schedules and last run.
    List,
    /// Run a job now and wait for it.
    Run { name: String },
}

#[derive(Debug, Subcommand)]
pub enum ApikeyAction {
    /// Create a key and print it (the only time it is shown).
    Create {
        name: String,
        /// `COLLECTION:ACTION,ACTION` (actions: list, view, create, update, delete; `*` for all
        /// collections), repeatable; e.g. `--scope posts:list,view --scope '*:create'`.
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
        /// Expiry date, e.g. 2027-01-01 00:00:00Z (default: never).
        #[arg(long, default_value = "")]
        expires: String,
    },
    /// List keys (never the keys themselves).
    List,
    /// Revoke a key by id.
    Revoke { id: String },
}

#[derive(Debug, Subcommand)]
pub enum StorageAction {
    /// Copy every file to the other backend, verify the copies and switch to it.
    Migrate {
        /// `s3` (the bucket of the s3 settings or of storage.s3) or `local` (<dir>/storage).
        #[arg(long, value_parser = ["s3", "local"])]
        to: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Print the effective configuration as TOML, secrets redacted.
    Show,
    /// Check the configuration (files, CROFT_* variables, job schedules) and say what is wrong.
    Check,
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let overrides = match &cli.command {
        Command::Serve(a) => Overrides {
            http: a.http,
            origins: a.origins.clone(),
            public_dir: a.public_dir.clone(),
            metrics_http: a.metrics_http,
            admin_http: a.admin_http,
            lock_timeout_secs: a.lock_timeout,
            mounts: (!a.mounts.is_empty()).then(|| a.mounts.clone()),
            tls: config::TlsOverrides {
                domains: a.domains.clone(),
                https: a.https,
                acme_email: a.acme_email.clone(),
                acme_directory: a.acme_directory.clone(),
                acme_ca: a.acme_ca.clone(),
                acme_challenge: a.acme_challenge.clone(),
                cert: a.tls_cert.clone(),
                key: a.tls_key.clone(),
                hsts: a.hsts,
                www_redirect: a.www_redirect.clone(),
            },
        },
        _ => Overrides::default(),
    };
    let sources = Sources { data_dir: cli.dir.clone(), file: cli.config.clone() };
    let config = config::load(&sources, &overrides)?;
    match cli.command {
        Command::Serve(_) => serve(config, cli.dir).await,
        Command::Config { action: ConfigAction::Show } => {
            print!("{}", config::show(&config)?);
            Ok(())
        }
        Command::Config { action: ConfigAction::Check } => {
            crate::jobs::Jobs::from_config(crate::app::BUILTIN, &config.jobs)?;
            for var in config::unknown_env_vars(std::env::vars().map(|(k, _)| k)) {
                println!("warning: unknown variable {var} (a typo?) is ignored");
            }
            println!("the configuration is valid");
            Ok(())
        }
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "croft", &mut std::io::stdout());
            Ok(())
        }
        Command::Man => {
            let cmd = <Cli as clap::CommandFactory>::command();
            clap_mangen::Man::new(cmd).render(&mut std::io::stdout())?;
            Ok(())
        }
        Command::Healthcheck { url } => ops::healthcheck(&config, url.as_deref()).await,
        Command::Doctor { json } => ops::doctor(config, &cli.dir, json).await,
        Command::Backup { action } => ops::backup(AppState::build(config, cli.dir).await?, action).await,
        Command::Logs(args) => ops::logs(AppState::build(config, cli.dir).await?, args).await,
        Command::Openapi => {
            let mut doc = crate::http::openapi_document(&config);
            // With an existing data directory, include its collections (as /api/openapi.json does);
            // never create one just to print the document.
            if cli.dir.join("data.db").is_file() {
                let state = AppState::build(config, cli.dir).await?;
                crate::http::merge_collections(&mut doc, &state.schema.snapshot());
                state.store.close().await?;
            }
            println!("{}", serde_json::to_string_pretty(&doc)?);
            Ok(())
        }
        Command::Migrate { action: MigrateAction::Status } => migrate_status(&cli.dir).await,
        Command::Migrate { action: MigrateAction::Up } => {
            let state = AppState::build(config, cli.dir).await?;
            state.store.close().await?;
            println!("migrations are up to date");
            Ok(())
        }
        Command::Superuser { action } => superuser(AppState::build(config, cli.dir).await?, action).await,
        Command::Jobs { action } => jobs(AppState::build(config, cli.dir).await?, action).await,
        Command::Collections { action } => collections(AppState::build(config, cli.dir).await?, action).await,
        Command::Apikey { action } => apikey(AppState::build(config, cli.dir).await?, action).await,
        Command::Storage { action: StorageAction::Migrate { to } } => {
            let state = AppState::build(config, cli.dir).await?;
            let switched = migrate_storage(&state, to == "s3").await?;
            state.store.close().await?;
            if switched {
                println!("files are now stored in {to}; restart running servers to pick up the change");
            } else {
                println!("the configuration fixes storage.backend: set it to \"{to}\" and restart to switch");
            }
            Ok(())
        }
    }
}

/// Copies the files to the other backend, then points the settings at it unless the
/// configuration fixes the backend; whether the settings were switched.
async fn migrate_storage(state: &AppState, to_s3: bool) -> anyhow::Result<bool> {
    let settings = state.settings.load().await.context("cannot read the settings")?;
    let s3 = crate::blob::S3Config::from_config(&state.config.storage).unwrap_or_else(|| settings.s3.clone());
    let report = crate::files::migrate::migrate(&state.files, to_s3.then_some(&s3)).await?;
    println!("copied {} files ({} bytes), {} already there", report.copied, report.bytes, report.skipped);
    if !state.config.storage.backend.is_empty() {
        return Ok(false);
    }
    let patch = serde_json::json!({"s3": {"enabled": to_s3}});
    state.settings.update(&patch).await.map_err(|e| anyhow::anyhow!("cannot switch the settings: {e:?}"))?;
    Ok(true)
}

async fn serve(config: config::Config, dir: PathBuf) -> anyhow::Result<()> {
    for var in config::unknown_env_vars(std::env::vars().map(|(k, _)| k)) {
        tracing::warn!(variable = %var, "unknown CROFT_* environment variable (a typo?); it is ignored");
    }
    tracing::debug!(config = ?config, dir = %dir.display(), "starting");
    let _lock = server::lock_data_dir(&dir, std::time::Duration::from_secs(config.lock_timeout_secs)).await?;
    let state = AppState::build(config, dir).await?;
    let running = server::start(state.clone()).await?;
    let base = match (running.https_addr, state.config.tls.domains.first()) {
        (Some(addr), Some(domain)) if addr.port() == 443 => format!("https://{domain}"),
        (Some(addr), Some(domain)) => format!("https://{domain}:{}", addr.port()),
        (Some(addr), None) => format!("https://{addr}"),
        (None, _) => format!("http://{}", running.addr),
    };
    // With --admin-http the dashboard and docs live there.
    let admin = running.admin_addr.map_or_else(|| base.clone(), |a| format!("http://{a}"));
    println!(
        "Server started at {base}\n├─ REST API:  {base}/api/\n├─ Dashboard: {admin}/_/\n└─ API docs:  {admin}/api/docs"
    );
    if let Some(token) = crate::auth::installer::prepare(&state.auth).await? {
        println!(
            "\nNo superuser exists yet. Open this one-time link (valid for an hour) to create the first one:\n  {admin}/_/#/install/{token}\nor run: croft superuser upsert EMAIL PASSWORD --dir {}",
            state.data_dir.display()
        );
    }
    server::notify("READY=1");
    let watchdog = server::start_watchdog(state.shutdown.clone());
    running.wait_for_signal().await;
    server::notify("STOPPING=1");
    tracing::info!("shutting down");
    running.stop().await?;
    if let Some(w) = watchdog {
        let _ = w.await;
    }
    tracing::info!("stopped");
    Ok(())
}

async fn migrate_status(dir: &std::path::Path) -> anyhow::Result<()> {
    config::ensure_data_dir(dir)?;
    let d = dir.to_path_buf();
    let store = tokio::task::spawn_blocking(move || crate::store::SqliteStore::open_unmigrated(&d)).await??;
    use crate::store::AdminStore;
    for m in store.migrations().await? {
        let state = m.applied_on.map_or_else(|| "pending".to_owned(), |t| format!("applied {t}"));
        println!("{}.db  V{:<4} {:<24} {state}", m.database, m.version, m.name);
    }
    Ok(())
}

async fn superuser(state: AppState, action: SuperuserAction) -> anyhow::Result<()> {
    let describe = |e: crate::auth::AuthError| match e {
        crate::auth::AuthError::Invalid(errors) => {
            anyhow::anyhow!("invalid superuser: {}", errors.describe().join("; "))
        }
        crate::auth::AuthError::NotFound => {
            anyhow::anyhow!("no superuser with that email; create one with `croft superuser create`")
        }
        other => anyhow::Error::new(other),
    };
    let message = match action {
        SuperuserAction::Upsert { email, password } => {
            match superusers::upsert(&state.auth, &email, &password).await.map_err(describe)? {
                superusers::Upserted::Created => format!("created superuser {email}"),
                superusers::Upserted::Updated => format!("updated superuser {email}"),
            }
        }
        SuperuserAction::Create { email, password } => {
            superusers::create(&state.auth, &email, &password).await.map_err(describe)?;
            format!("created superuser {email}")
        }
        SuperuserAction::Update { email, password } => {
            superusers::update(&state.auth, &email, &password).await.map_err(describe)?;
            format!("updated superuser {email}")
        }
        SuperuserAction::Delete { email } => {
            superusers::delete(&state.auth, &email).await.map_err(describe)?;
            format!("deleted superuser {email}")
        }
        SuperuserAction::Otp { email } => {
            let (otp_id, code, secs) = crate::auth::otp::for_superuser(&state.auth, &email).await.map_err(|e| match e {
                crate::auth::AuthError::Forbidden(_) => anyhow::anyhow!(
                    "OTP is not enabled for _superusers; enable it first: PATCH /api/collections/_superusers {{\"otp\": {{\"enabled\": true}}}}"
                ),
                other => describe(other),
            })?;
            format!("one-time password for {email} (valid for {secs} s):\n  otpId:    {otp_id}\n  password: {code}")
        }
    };
    state.store.close().await?;
    println!("{message}");
    Ok(())
}

async fn collections(state: AppState, action: CollectionsAction) -> anyhow::Result<()> {
    match action {
        CollectionsAction::Export { file } => {
            let list: Vec<serde_json::Value> = state.schema.snapshot().all().iter().map(|c| c.public_json()).collect();
            let text = serde_json::to_string_pretty(&list)?;
            if file.as_os_str() == "-" {
                println!("{text}");
            } else {
                std::fs::write(&file, text).with_context(|| format!("cannot write {}", file.display()))?;
                eprintln!("exported {} collections to {}", list.len(), file.display());
            }
        }
        CollectionsAction::Import { file, delete_missing } => {
            let text = if file.as_os_str() == "-" {
                std::io::read_to_string(std::io::stdin())?
            } else {
                std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?
            };
            let value: serde_json::Value =
                serde_json::from_str(&text).with_context(|| format!("{} is not JSON", file.display()))?;
            // Accept the bare array of an export as well as the API's {collections: […]} body.
            let list = value.get("collections").cloned().unwrap_or(value);
            let collections: Vec<crate::schema::Collection> =
                serde_json::from_value(list).context("the file is not a list of collections in PocketBase's format")?;
            let n = collections.len();
            crate::collections::import(&state.records, collections, delete_missing).await.map_err(|e| match e {
                crate::schema::SchemaError::Invalid(data) => {
                    anyhow::anyhow!("the collections are invalid: {}", data.describe().join("; "))
                }
                other => anyhow::Error::new(other),
            })?;
            println!("imported {n} collections");
        }
    }
    state.store.close().await?;
    Ok(())
}

async fn apikey(state: AppState, action: ApikeyAction) -> anyhow::Result<()> {
    use crate::auth::apikeys::{self, Scope};
    let describe = |e: crate::auth::AuthError| match e {
        crate::auth::AuthError::Rejected { data, .. } => anyhow::anyhow!("invalid key: {}", data.describe().join("; ")),
        other => anyhow::Error::new(other),
    };
    let store = state.store.as_ref();
    match action {
        ApikeyAction::Create { name, scopes, expires } => {
            let scopes = scopes
                .iter()
                .map(|s| {
                    let (collection, actions) =
                        s.split_once(':').with_context(|| format!("scope {s:?} is not COLLECTION:ACTIONS"))?;
                    let actions = actions.split(',').map(|a| a.trim().to_owned()).filter(|a| !a.is_empty()).collect();
                    Ok(Scope { collection: collection.to_owned(), actions })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let (info, key) = apikeys::create(store, &name, scopes, &expires).await.map_err(describe)?;
            println!("created API key {} ({}); it is shown only now:\n{key}", info.id, info.name);
        }
        ApikeyAction::List => {
            for k in apikeys::list(store).await.map_err(describe)? {
                let scopes: Vec<String> =
                    k.scopes.iter().map(|s| format!("{}:{}", s.collection, s.actions.join(","))).collect();
                let expires = if k.expires.is_empty() { "never" } else { k.expires.as_str() };
                println!("{}  {:<24} {}  expires {expires}", k.id, k.name, scopes.join(" "));
            }
        }
        ApikeyAction::Revoke { id } => {
            if !apikeys::revoke(store, &id).await.map_err(describe)? {
                anyhow::bail!("no API key {id}; see `croft apikey list`");
            }
            println!("revoked API key {id}");
        }
    }
    state.store.close().await?;
    Ok(())
}

async fn jobs(state: AppState, action: JobsAction) -> anyhow::Result<()> {
    match action {
        JobsAction::List => {
            for job in state.jobs.iter() {
                let schedule = job.schedule.as_ref().map_or("disabled", |(expr, _)| expr.as_str());
                let last = state.store.job_runs(Some(job.spec.name), 1).await?;
                let last = last.first().map_or_else(
                    || "never run".to_owned(),
                    |r| {
                        format!(
                            "last {} {} ({} ms)",
                            crate::dates::format(r.started),
                            if r.ok { "ok" } else { "failed" },
                            r.duration_ms
                        )
                    },
                );
                println!("{:<20} {:<14} {last}\n  {}", job.spec.name, schedule, job.spec.description);
            }
        }
        JobsAction::Run { name } => {
            let run = crate::jobs::run_now(&state, &name).await.context("see `croft jobs list` for the job names")?;
            state.store.close().await?;
            if !run.ok {
                anyhow::bail!("job {name} failed after {} ms: {}", run.duration_ms, run.error);
            }
            println!("job {name} finished in {} ms", run.duration_ms);
        }
    }
    Ok(())
}
