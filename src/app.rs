//! The composition root: [`AppState`] holds everything a request or a job needs, and
//! [`start`] binds the listener, starts the jobs and serves until told to stop.

use std::net::SocketAddr;
use std::ops::Deref;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use poem::listener::{Acceptor, Listener, TcpListener};
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::jobs::Jobs;

mod jobs;
use crate::schema::Schema;
use crate::store::Store;
pub use jobs::BUILTIN;

/// Shared state: a cheap clone over one `Arc`.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub config: Config,
    pub data_dir: PathBuf,
    pub store: Arc<dyn Store>,
    pub jobs: Jobs<AppState>,
    /// The current collections; replaced as a whole after every schema change.
    schema: std::sync::RwLock<Arc<Schema>>,
    /// Record operations hold it shared, schema changes exclusively: a request never runs SQL
    /// built from a schema that is being replaced.
    pub schema_guard: tokio::sync::RwLock<()>,
    /// List counts, valid until the next write.
    pub count_cache: crate::records::CountCache,
    /// Connected realtime clients.
    pub realtime: crate::realtime::Hub,
    /// Committed changes on their way to subscribers.
    pub broker: Arc<dyn crate::realtime::Broker>,
    /// Rate-limit windows: the `rateLimits` settings, failed sign-ins, OTP attempts, resent mails.
    pub limiter: crate::limits::Limiter,
    /// The settings, cached.
    pub settings: crate::settings::SettingsService,
    /// Blob storage, uploads, thumbnails.
    pub files: Arc<crate::files::Files>,
    /// Cancelled when the server begins to shut down; long-lived streams watch it.
    pub shutdown: CancellationToken,
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// Prepares the data directory, opens and migrates the store, validates the job schedules.
    pub async fn build(config: Config, data_dir: PathBuf) -> anyhow::Result<Self> {
        crate::config::ensure_data_dir(&data_dir)?;
        let jobs = Jobs::from_config(BUILTIN, &config.jobs)?;
        let files = Arc::new(crate::files::Files::new(&data_dir, &config.storage)?);
        let store = crate::store::open(&data_dir).await?;
        let schema = Schema::new(store.load_collections().await.context("cannot read the collections")?);
        let schema = std::sync::RwLock::new(Arc::new(schema));
        let settings = crate::settings::SettingsService::new(store.clone(), files.clone());
        let state = Self(Arc::new(Inner {
            config,
            data_dir,
            store,
            jobs,
            schema,
            schema_guard: tokio::sync::RwLock::new(()),
            count_cache: crate::records::CountCache::default(),
            realtime: crate::realtime::Hub::default(),
            broker: Arc::new(crate::realtime::LocalBroker::default()),
            files,
            limiter: Default::default(),
            settings,
            shutdown: CancellationToken::new(),
        }));
        let settings = state.settings.load().await.map_err(|e| anyhow::anyhow!("{e}"))?;
        if settings.s3.enabled {
            state.files.apply_settings(&settings.s3).context("the s3 settings do not work")?;
        }
        Ok(state)
    }

    /// The current schema snapshot.
    pub fn schema(&self) -> Arc<Schema> {
        self.schema.read().map_or_else(|p| p.into_inner().clone(), |s| s.clone())
    }

    /// Reloads the schema from the store (after a change).
    pub async fn reload_schema(&self) -> anyhow::Result<()> {
        let fresh = Arc::new(Schema::new(self.store.load_collections().await?));
        match self.schema.write() {
            Ok(mut s) => *s = fresh,
            Err(p) => *p.into_inner() = fresh,
        }
        Ok(())
    }
}

/// A server that is accepting connections.
pub struct Running {
    pub addr: SocketAddr,
    state: AppState,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    jobs: Vec<tokio::task::JoinHandle<()>>,
}

/// Binds `config.http` (port 0 picks a free port), starts the jobs and serves.
pub async fn start(state: AppState) -> anyhow::Result<Running> {
    let addr = state.config.http;
    let acceptor = TcpListener::bind(addr).into_acceptor().await.map_err(|err| bind_error(addr, &err))?;
    let local = acceptor
        .local_addr()
        .first()
        .and_then(|a| a.as_socket_addr().copied())
        .context("the listener has no local address")?;
    let routes = crate::http::routes(&state)?;
    let server =
        poem::Server::new_with_acceptor(acceptor).idle_timeout(Duration::from_secs(state.config.idle_timeout_secs));
    let grace = Duration::from_secs(state.config.shutdown_timeout_secs);
    let stop = state.shutdown.clone();
    let server =
        tokio::spawn(
            async move { server.run_with_graceful_shutdown(routes, stop.cancelled_owned(), Some(grace)).await },
        );
    let mut jobs = crate::jobs::start(&state, &state.shutdown);
    let fan_out = state.clone();
    let deliver: crate::realtime::Deliver = Box::new(move |event| {
        let state = fan_out.clone();
        Box::pin(async move { crate::records::events::fan_out(&state, &event).await })
    });
    jobs.extend(state.broker.start(state.shutdown.clone(), deliver));
    Ok(Running { addr: local, state, server, jobs })
}

fn bind_error(addr: SocketAddr, err: &std::io::Error) -> anyhow::Error {
    match err.kind() {
        std::io::ErrorKind::AddrInUse => anyhow::anyhow!(
            "cannot listen on {addr}: the address is in use; stop the other process or choose another address with --http"
        ),
        std::io::ErrorKind::PermissionDenied => anyhow::anyhow!(
            "cannot listen on {addr}: permission denied; ports below 1024 need privileges, choose another with --http"
        ),
        _ => anyhow::anyhow!("cannot listen on {addr}: {err}"),
    }
}

impl Running {
    /// Stops accepting, lets in-flight requests finish (bounded by `shutdown_timeout_secs`),
    /// closes streams, stops the jobs and checkpoints the databases.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.state.shutdown.cancel();
        let served = self.server.await.context("the server task failed")?;
        for job in self.jobs {
            let _ = job.await;
        }
        self.state.store.close().await.context("cannot checkpoint the database")?;
        served.context("the server stopped with an error")
    }

    /// Waits for SIGINT (Ctrl-C) or SIGTERM.
    pub async fn wait_for_signal(&self) {
        shutdown_signal().await;
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
