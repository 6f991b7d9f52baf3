//! The HTTPS acceptor: TCP connections are accepted and their TLS handshakes run in tasks of
//! their own (bounded by a timeout), so a slow or silent client never holds up the others; the
//! server then takes finished streams from a channel.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use poem::http::uri::Scheme;
use poem::listener::Acceptor;
use poem::web::{LocalAddr, RemoteAddr};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::server::TlsStream;
use tokio_util::sync::CancellationToken;

use super::conn::{self, Guarded, Limits};

/// How long a client gets to finish its handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Finished handshakes waiting for the server to take them.
const QUEUE: usize = 1024;

type Accepted = (Guarded<TlsStream<TcpStream>>, SocketAddr);

pub struct TlsAcceptor {
    local: SocketAddr,
    streams: mpsc::Receiver<Accepted>,
}

impl TlsAcceptor {
    /// Accepts on `listener` with `config` until `stop`, within the connection `limits`.
    pub fn new(
        listener: TcpListener,
        config: Arc<rustls::ServerConfig>,
        limits: Limits,
        stop: CancellationToken,
    ) -> std::io::Result<Self> {
        let local = listener.local_addr()?;
        let (tx, streams) = mpsc::channel(QUEUE);
        let acceptor = tokio_rustls::TlsAcceptor::from(config);
        tokio::spawn(async move {
            loop {
                let next = async {
                    let ticket = limits.ticket().await;
                    (ticket, conn::accept(&listener).await)
                };
                let (ticket, (tcp, peer)) = tokio::select! {
                    () = stop.cancelled() => break,
                    accepted = next => accepted,
                };
                let (acceptor, tx, head_timeout) = (acceptor.clone(), tx.clone(), limits.head_timeout);
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                        Ok(Ok(stream)) => {
                            // HTTP/2 frames are not lines: its head deadline is hyper's business.
                            let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
                            let io = Guarded::new(stream, ticket, (!h2).then_some(head_timeout));
                            let _ = tx.send((io, peer)).await;
                        }
                        Ok(Err(e)) => tracing::debug!(peer = %peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!(peer = %peer, "TLS handshake timed out"),
                    }
                });
            }
        });
        Ok(Self { local, streams })
    }
}

impl Acceptor for TlsAcceptor {
    type Io = Guarded<TlsStream<TcpStream>>;

    fn local_addr(&self) -> Vec<LocalAddr> {
        vec![LocalAddr(self.local.into())]
    }

    async fn accept(&mut self) -> std::io::Result<(Self::Io, LocalAddr, RemoteAddr, Scheme)> {
        match self.streams.recv().await {
            Some((stream, peer)) => Ok((stream, LocalAddr(self.local.into()), RemoteAddr(peer.into()), Scheme::HTTPS)),
            // Stopped: the server's own shutdown signal ends its loop.
            None => std::future::pending().await,
        }
    }
}
