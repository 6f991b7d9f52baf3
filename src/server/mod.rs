//! The composition root of a running server: [`start`] binds the listener, starts the jobs and
//! the realtime fan-out, and serves until [`Running::stop`] or a signal.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use poem::listener::Acceptor;

use crate::app::AppState;
use crate::http::edge::Listener;

mod conn;
mod lock;
mod notify;
mod tls;

pub use lock::{DataDirLock, lock_data_dir};
pub use notify::{notify, start_watchdog};

/// A server that is accepting connections.
pub struct Running {
    /// The plain HTTP listener's address.
    pub addr: SocketAddr,
    /// The HTTPS listener's address, when TLS is on.
    pub https_addr: Option<SocketAddr>,
    /// The `--admin-http` listener's address.
    pub admin_addr: Option<SocketAddr>,
    state: AppState,
    servers: Vec<tokio::task::JoinHandle<std::io::Result<()>>>,
    jobs: Vec<tokio::task::JoinHandle<()>>,
    /// The request-log writer: stopped after the server, so the last requests are written.
    logs: Option<(tokio_util::sync::CancellationToken, tokio::task::JoinHandle<()>)>,
    metrics: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    /// The `--metrics-http` listener's address.
    pub metrics_addr: Option<SocketAddr>,
}

/// Binds the listeners (port 0 picks a free port), starts the jobs and serves: `config.http`;
/// with TLS also `tls.https`, the HTTP listener then answering ACME challenges and redirecting;
/// with `--admin-http` a private listener for the admin surface.
pub async fn start(state: AppState) -> anyhow::Result<Running> {
    crate::telemetry::install();
    let (metrics, metrics_addr) = match state.config.metrics_http {
        Some(addr) => {
            let (task, local) = serve_metrics(&state, addr).await?;
            (Some(task), Some(local))
        }
        None => (None, None),
    };
    let Listeners { addr, https_addr, admin_addr, servers, mut jobs } = listen(&state).await?;
    // The leftovers of a crash mid-upload (the cleanup job sweeps them too).
    match state.files.sweep_spool().await {
        Ok(0) => {}
        Ok(swept) => tracing::info!(swept, "deleted abandoned upload spool files"),
        Err(e) => tracing::warn!(error = %e, "cannot sweep the upload spool"),
    }
    jobs.extend(crate::jobs::start(&state, &state.shutdown));
    let fan_out = state.clone();
    let deliver: crate::realtime::Deliver = Box::new(move |event| {
        let state = fan_out.clone();
        Box::pin(async move { crate::records::events::fan_out(&state.records, &event).await })
    });
    jobs.extend(state.broker.start(state.shutdown.clone(), deliver));
    let logs_stop = tokio_util::sync::CancellationToken::new();
    let logs = state.logs.start(logs_stop.clone()).map(|task| (logs_stop, task));
    Ok(Running { addr, https_addr, admin_addr, state, servers, jobs, logs, metrics, metrics_addr })
}

/// The bound listeners and what serves them.
struct Listeners {
    addr: SocketAddr,
    https_addr: Option<SocketAddr>,
    admin_addr: Option<SocketAddr>,
    servers: Vec<tokio::task::JoinHandle<std::io::Result<()>>>,
    /// The certificate renewal loop, with TLS.
    jobs: Vec<tokio::task::JoinHandle<()>>,
}

/// Binds `config.http`; with TLS also `tls.https` (the HTTP listener then answers ACME challenges
/// and redirects); with `--admin-http` the private admin listener. All share one connection cap.
async fn listen(state: &AppState) -> anyhow::Result<Listeners> {
    let public = if state.config.admin_http.is_some() { Listener::Public } else { Listener::All };
    let fd_limit = conn::raise_fd_limit();
    let max = conn::max_connections(state.config.max_connections, fd_limit);
    tracing::debug!(max_connections = max, fd_limit, "connection limit");
    let limits = conn::Limits::new(max, Duration::from_secs(state.config.header_timeout_secs.max(1)));
    let mut servers = Vec::new();
    let mut jobs = Vec::new();
    let (addr, https_addr) = match &state.tls {
        Some(certs) => {
            certs.load().await?;
            let https = state.config.tls.https_addr();
            let listener = tokio::net::TcpListener::bind(https).await.map_err(|e| bind_error(https, &e, "--https"))?;
            let acceptor =
                tls::TlsAcceptor::new(listener, certs.server_config()?, limits.clone(), state.shutdown.clone())?;
            let https_local = acceptor.local_addr()[0].as_socket_addr().copied().context("no HTTPS address")?;
            servers.push(serve(state, acceptor, crate::http::routes(state, public)?));
            let (acceptor, local) = bind(state.config.http, "--http", &limits).await?;
            servers.push(serve(state, acceptor, crate::http::redirect_routes(state, https_local.port())?));
            jobs.push(certs.start(state.shutdown.clone()));
            tracing::info!(https = %https_local, http = %local, domains = ?certs.domains(), "serving HTTPS; HTTP redirects to it");
            (local, Some(https_local))
        }
        None => {
            let (acceptor, local) = bind(state.config.http, "--http", &limits).await?;
            servers.push(serve(state, acceptor, crate::http::routes(state, public)?));
            (local, None)
        }
    };
    let admin_addr = match state.config.admin_http {
        Some(admin) => {
            let (acceptor, local) = bind(admin, "--admin-http", &limits).await?;
            servers.push(serve(state, acceptor, crate::http::routes(state, Listener::Admin)?));
            tracing::info!(addr = %local, "dashboard and superuser API on the admin listener only");
            Some(local)
        }
        None => None,
    };
    Ok(Listeners { addr, https_addr, admin_addr, servers, jobs })
}

/// Serves `routes` on `acceptor` until shutdown, letting in-flight requests finish.
fn serve(
    state: &AppState,
    acceptor: impl Acceptor + 'static,
    routes: poem::endpoint::BoxEndpoint<'static>,
) -> tokio::task::JoinHandle<std::io::Result<()>> {
    let server =
        poem::Server::new_with_acceptor(acceptor).idle_timeout(Duration::from_secs(state.config.idle_timeout_secs));
    let grace = Duration::from_secs(state.config.shutdown_timeout_secs);
    let stop = state.shutdown.clone();
    tokio::spawn(async move { server.run_with_graceful_shutdown(routes, stop.cancelled_owned(), Some(grace)).await })
}

/// Serves `/metrics` alone on `addr`, until shutdown.
async fn serve_metrics(
    state: &AppState,
    addr: SocketAddr,
) -> anyhow::Result<(tokio::task::JoinHandle<std::io::Result<()>>, SocketAddr)> {
    let limits = conn::Limits::new(64, Duration::from_secs(state.config.header_timeout_secs.max(1)));
    let (acceptor, local) = bind(addr, "--metrics-http", &limits).await?;
    let routes = crate::http::metrics::listener_routes(state);
    let stop = state.shutdown.clone();
    let server = poem::Server::new_with_acceptor(acceptor);
    tracing::info!(addr = %local, "metrics at /metrics");
    Ok((
        tokio::spawn(async move { server.run_with_graceful_shutdown(routes, stop.cancelled_owned(), None).await }),
        local,
    ))
}

/// Listens on `addr` (port 0 picks a free port); the acceptor and the address it got.
async fn bind(
    addr: SocketAddr,
    flag: &str,
    limits: &conn::Limits,
) -> anyhow::Result<(conn::PlainAcceptor, SocketAddr)> {
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|err| bind_error(addr, &err, flag))?;
    let acceptor = conn::PlainAcceptor::new(listener, limits.clone())?;
    let local = acceptor
        .local_addr()
        .first()
        .and_then(|a| a.as_socket_addr().copied())
        .context("the listener has no local address")?;
    Ok((acceptor, local))
}

fn bind_error(addr: SocketAddr, err: &std::io::Error, flag: &str) -> anyhow::Error {
    match err.kind() {
        std::io::ErrorKind::AddrInUse => anyhow::anyhow!(
            "cannot listen on {addr}: the address is in use; stop the other process or choose another address with {flag}"
        ),
        std::io::ErrorKind::PermissionDenied => anyhow::anyhow!(
            "cannot listen on {addr}: permission denied; ports below 1024 need privileges (setcap cap_net_bind_service, systemd's AmbientCapabilities) or choose another with {flag}"
        ),
        _ => anyhow::anyhow!("cannot listen on {addr}: {err}"),
    }
}

impl Running {
    /// Stops accepting, lets in-flight requests finish (bounded by `shutdown_timeout_secs`),
    /// closes streams, stops the jobs and checkpoints the databases.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.state.shutdown.cancel();
        let mut served = Ok(());
        for server in self.servers {
            let result = server.await.context("the server task failed")?;
            if served.is_ok() {
                served = result;
            }
        }
        for job in self.jobs {
            let _ = job.await;
        }
        if let Some(metrics) = self.metrics {
            let _ = metrics.await;
        }
        if let Some((stop, writer)) = self.logs {
            stop.cancel();
            let _ = writer.await;
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
