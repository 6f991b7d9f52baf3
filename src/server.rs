//! The composition root of a running server: [`start`] binds the listener, starts the jobs and
//! the realtime fan-out, and serves until [`Running::stop`] or a signal.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use poem::listener::{Acceptor, Listener, TcpListener};

use crate::app::AppState;

/// A server that is accepting connections.
pub struct Running {
    pub addr: SocketAddr,
    state: AppState,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    jobs: Vec<tokio::task::JoinHandle<()>>,
    /// The request-log writer: stopped after the server, so the last requests are written.
    logs: Option<(tokio_util::sync::CancellationToken, tokio::task::JoinHandle<()>)>,
    metrics: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    /// The `--metrics-http` listener's address.
    pub metrics_addr: Option<SocketAddr>,
}

/// Binds `config.http` (port 0 picks a free port), starts the jobs and serves.
pub async fn start(state: AppState) -> anyhow::Result<Running> {
    let (acceptor, local) = bind(state.config.http).await?;
    crate::telemetry::install();
    let (metrics, metrics_addr) = match state.config.metrics_http {
        Some(addr) => {
            let (task, local) = serve_metrics(&state, addr).await?;
            (Some(task), Some(local))
        }
        None => (None, None),
    };
    let routes = crate::http::routes(&state)?;
    let server =
        poem::Server::new_with_acceptor(acceptor).idle_timeout(Duration::from_secs(state.config.idle_timeout_secs));
    let grace = Duration::from_secs(state.config.shutdown_timeout_secs);
    let stop = state.shutdown.clone();
    let server =
        tokio::spawn(
            async move { server.run_with_graceful_shutdown(routes, stop.cancelled_owned(), Some(grace)).await },
        );
    // The leftovers of a crash mid-upload (the cleanup job sweeps them too).
    match state.files.sweep_spool().await {
        Ok(0) => {}
        Ok(swept) => tracing::info!(swept, "deleted abandoned upload spool files"),
        Err(e) => tracing::warn!(error = %e, "cannot sweep the upload spool"),
    }
    let mut jobs = crate::jobs::start(&state, &state.shutdown);
    let fan_out = state.clone();
    let deliver: crate::realtime::Deliver = Box::new(move |event| {
        let state = fan_out.clone();
        Box::pin(async move { crate::records::events::fan_out(&state.records, &event).await })
    });
    jobs.extend(state.broker.start(state.shutdown.clone(), deliver));
    let logs_stop = tokio_util::sync::CancellationToken::new();
    let logs = state.logs.start(logs_stop.clone()).map(|task| (logs_stop, task));
    Ok(Running { addr: local, state, server, jobs, logs, metrics, metrics_addr })
}

/// Serves `/metrics` alone on `addr`, until shutdown.
async fn serve_metrics(
    state: &AppState,
    addr: SocketAddr,
) -> anyhow::Result<(tokio::task::JoinHandle<std::io::Result<()>>, SocketAddr)> {
    let (acceptor, local) = bind(addr).await?;
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
async fn bind(addr: SocketAddr) -> anyhow::Result<(impl Acceptor, SocketAddr)> {
    let acceptor = TcpListener::bind(addr).into_acceptor().await.map_err(|err| bind_error(addr, &err))?;
    let local = acceptor
        .local_addr()
        .first()
        .and_then(|a| a.as_socket_addr().copied())
        .context("the listener has no local address")?;
    Ok((acceptor, local))
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
