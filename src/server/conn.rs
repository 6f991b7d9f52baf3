//! What every accepted connection goes through, plain or TLS: a cap on open connections (so
//! descriptors stay for the databases and files), accept errors that back off instead of
//! spinning (EMFILE), and a deadline for an HTTP/1 request head once its first byte arrived
//! (slowloris). Idle keep-alive connections are closed by the server's idle timeout.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::Duration;
use std::time::Instant;

use futures_util::task::AtomicWaker;
use poem::http::uri::Scheme;
use poem::listener::Acceptor;
use poem::web::{LocalAddr, RemoteAddr};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Sleep;

/// Descriptors kept free for the databases, uploads and outgoing connections.
const FD_RESERVE: u64 = 512;

/// Raises the soft open-file limit to the hard one; the soft limit in force afterwards.
pub fn raise_fd_limit() -> u64 {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    if let (Some(current), Some(hard)) = (limit.current, limit.maximum)
        && current < hard
    {
        let raised = rustix::process::Rlimit { current: Some(hard), maximum: Some(hard) };
        if setrlimit(Resource::Nofile, raised).is_ok() {
            tracing::debug!(from = current, to = hard, "raised the open-file limit");
            return hard;
        }
    }
    limit.current.unwrap_or(u64::MAX)
}

/// The connection cap: `configured`, or what the open-file limit leaves after the reserve.
pub fn max_connections(configured: u64, fd_limit: u64) -> usize {
    let auto = fd_limit.saturating_sub(FD_RESERVE).max(64);
    let n = if configured == 0 { auto } else { configured.min(auto) };
    usize::try_from(n).unwrap_or(usize::MAX).min(Semaphore::MAX_PERMITS)
}

/// Shared by every listener of a server.
#[derive(Clone)]
pub struct Limits {
    permits: Arc<Semaphore>,
    /// How long an HTTP/1 request head may take from its first byte.
    pub head_timeout: Duration,
    open: Arc<Mutex<HashMap<u64, Arc<Slot>>>>,
    next_id: Arc<AtomicU64>,
    epoch: Instant,
}

/// What the limiter knows of an open connection.
#[derive(Default)]
struct Slot {
    /// Between requests (or before the first).
    idle: AtomicBool,
    /// Milliseconds since the limiter's epoch when it last became idle.
    idle_since: AtomicU64,
    /// Set to close the connection at its next read.
    shed: AtomicBool,
    waker: AtomicWaker,
}

impl Limits {
    pub fn new(max_connections: usize, head_timeout: Duration) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(max_connections)),
            head_timeout,
            open: Arc::default(),
            next_id: Arc::default(),
            epoch: Instant::now(),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// A connection slot; at the limit, the connection idle the longest is closed to make room
    /// (a client holding connections open without using them must not lock others out).
    pub async fn ticket(&self) -> Ticket {
        let permit = loop {
            if let Ok(p) = self.permits.clone().try_acquire_owned() {
                break p;
            }
            if !self.shed_oldest_idle() {
                // Every connection is busy: wait for one to finish.
                break self.permits.clone().acquire_owned().await.unwrap_or_else(|_| unreachable!("never closed"));
            }
            // The shed connection gives its permit back once the server drops it.
            if let Ok(Ok(p)) =
                tokio::time::timeout(Duration::from_millis(100), self.permits.clone().acquire_owned()).await
            {
                break p;
            }
        };
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let slot = Arc::new(Slot::default());
        slot.idle.store(true, Ordering::Relaxed);
        slot.idle_since.store(self.now_ms(), Ordering::Relaxed);
        if let Ok(mut open) = self.open.lock() {
            open.insert(id, slot.clone());
        }
        Ticket { _permit: permit, id, slot, limits: self.clone() }
    }

    /// Marks the longest-idle connection to be closed; whether there was one.
    fn shed_oldest_idle(&self) -> bool {
        let Ok(open) = self.open.lock() else { return false };
        let oldest = open
            .values()
            .filter(|s| s.idle.load(Ordering::Relaxed) && !s.shed.load(Ordering::Relaxed))
            .min_by_key(|s| s.idle_since.load(Ordering::Relaxed));
        let Some(slot) = oldest else { return false };
        slot.shed.store(true, Ordering::Relaxed);
        slot.waker.wake();
        tracing::debug!("connection limit reached: closing the connection idle the longest");
        true
    }
}

/// A connection's place under the limit; released when the connection is dropped.
pub struct Ticket {
    _permit: OwnedSemaphorePermit,
    id: u64,
    slot: Arc<Slot>,
    limits: Limits,
}

impl Ticket {
    fn set_idle(&self, idle: bool) {
        if idle {
            self.slot.idle_since.store(self.limits.now_ms(), Ordering::Relaxed);
        }
        self.slot.idle.store(idle, Ordering::Relaxed);
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if let Ok(mut open) = self.limits.open.lock() {
            open.remove(&self.id);
        }
    }
}

/// Accepts on `listener`, waiting out errors such as EMFILE instead of retrying at once.
pub async fn accept(listener: &TcpListener) -> (TcpStream, SocketAddr) {
    let mut delay = Duration::from_millis(10);
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                let _ = stream.set_nodelay(true);
                return (stream, peer);
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot accept a connection; backing off");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(1));
            }
        }
    }
}

/// The plain HTTP acceptor.
pub struct PlainAcceptor {
    listener: TcpListener,
    local: SocketAddr,
    limits: Limits,
}

impl PlainAcceptor {
    pub fn new(listener: TcpListener, limits: Limits) -> std::io::Result<Self> {
        Ok(Self { local: listener.local_addr()?, listener, limits })
    }
}

impl Acceptor for PlainAcceptor {
    type Io = Guarded<TcpStream>;

    fn local_addr(&self) -> Vec<LocalAddr> {
        vec![LocalAddr(self.local.into())]
    }

    async fn accept(&mut self) -> std::io::Result<(Self::Io, LocalAddr, RemoteAddr, Scheme)> {
        let ticket = self.limits.ticket().await;
        let (stream, peer) = accept(&self.listener).await;
        let io = Guarded::new(stream, ticket, Some(self.limits.head_timeout));
        Ok((io, LocalAddr(self.local.into()), RemoteAddr(peer.into()), Scheme::HTTP))
    }
}

/// Where an HTTP/1 connection is in its request cycle, as seen from the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Between requests (the idle timeout applies).
    Idle,
    /// A request head has begun; it must end before the deadline.
    Head,
    /// The head has ended; the body and the response follow.
    Rest,
}

/// A connection with its slot and the request-head deadline.
pub struct Guarded<S> {
    inner: S,
    ticket: Ticket,
    head_timeout: Option<Duration>,
    phase: Phase,
    deadline: Option<Pin<Box<Sleep>>>,
    /// The last three bytes read, to find `\r\n\r\n` across reads.
    tail: [u8; 3],
}

impl<S> Guarded<S> {
    /// `head_timeout` is `None` for HTTP/2, whose frames are not lines.
    pub fn new(inner: S, ticket: Ticket, head_timeout: Option<Duration>) -> Self {
        Self { inner, ticket, head_timeout, phase: Phase::Idle, deadline: None, tail: [0; 3] }
    }

    fn set_phase(&mut self, phase: Phase) {
        if self.phase != phase {
            self.ticket.set_idle(phase == Phase::Idle);
            self.phase = phase;
        }
    }

    /// Follows the request cycle through bytes just read.
    fn saw(&mut self, bytes: &[u8]) {
        let Some(timeout) = self.head_timeout else { return };
        if bytes.is_empty() {
            return;
        }
        if self.phase == Phase::Idle {
            self.set_phase(Phase::Head);
            let at = tokio::time::Instant::now() + timeout;
            // One timer per connection, re-armed per request.
            match self.deadline.as_mut() {
                Some(d) => d.as_mut().reset(at),
                None => self.deadline = Some(Box::pin(tokio::time::sleep_until(at))),
            }
            self.tail = [0; 3];
        }
        if self.phase == Phase::Head {
            if head_ends(self.tail, bytes) {
                self.set_phase(Phase::Rest);
            }
            self.tail = last_three(self.tail, bytes);
        }
    }
}

/// Whether `\r\n\r\n` occurs in `tail` followed by `bytes` (without copying `bytes`).
fn head_ends(tail: [u8; 3], bytes: &[u8]) -> bool {
    let mut seam = [0u8; 6];
    seam[..3].copy_from_slice(&tail);
    let n = bytes.len().min(3);
    seam[3..3 + n].copy_from_slice(&bytes[..n]);
    seam[..3 + n].windows(4).any(|w| w == b"\r\n\r\n") || bytes.windows(4).any(|w| w == b"\r\n\r\n")
}

fn last_three(tail: [u8; 3], bytes: &[u8]) -> [u8; 3] {
    let mut out = tail;
    for &b in bytes.iter().rev().take(3).rev() {
        out = [out[1], out[2], b];
    }
    out
}

impl<S: AsyncRead + Unpin> AsyncRead for Guarded<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        // Shed for a newer connection: end of stream, which closes an idle connection cleanly.
        // Only an idle connection is ever shed: bodies and HTTP/2 streams skip the waker.
        if self.phase == Phase::Idle {
            self.ticket.slot.waker.register(cx.waker());
            if self.ticket.slot.shed.load(Ordering::Relaxed) {
                return Poll::Ready(Ok(()));
            }
        }
        if self.phase == Phase::Head
            && let Some(deadline) = self.deadline.as_mut()
            && deadline.as_mut().poll(cx).is_ready()
        {
            return Poll::Ready(Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the request head was not complete in time",
            )));
        }
        let before = buf.filled().len();
        ready!(Pin::new(&mut self.inner).poll_read(cx, buf))?;
        if self.head_timeout.is_some() && self.phase != Phase::Rest {
            self.saw(&buf.filled()[before..]);
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Guarded<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<std::io::Result<usize>> {
        // A response is going out: the next bytes read begin the next request.
        if self.phase == Phase::Rest {
            self.set_phase(Phase::Idle);
        }
        Pin::new(&mut self.inner).poll_write(cx, data)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        if self.phase == Phase::Rest {
            self.set_phase(Phase::Idle);
        }
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn guarded() -> Guarded<()> {
        let ticket = Limits::new(1, Duration::from_secs(30)).ticket().await;
        Guarded::new((), ticket, Some(Duration::from_secs(30)))
    }

    #[tokio::test]
    async fn the_head_deadline_follows_the_request_cycle() {
        let mut g = guarded().await;
        assert_eq!(g.phase, Phase::Idle);
        g.saw(b"GET / HTTP/1.1\r\nHost: a\r");
        assert_eq!(g.phase, Phase::Head);
        assert!(g.deadline.is_some());
        g.saw(b"\n\r");
        assert_eq!(g.phase, Phase::Head, "the end is split across reads");
        g.saw(b"\n");
        assert_eq!(g.phase, Phase::Rest);
        g.saw(b"body bytes, slow or not");
        assert_eq!(g.phase, Phase::Rest);
    }

    #[tokio::test]
    async fn at_the_limit_the_longest_idle_connection_is_shed() {
        let limits = Limits::new(2, Duration::from_secs(30));
        let first = limits.ticket().await;
        tokio::time::sleep(Duration::from_millis(5)).await;
        let second = limits.ticket().await;
        second.set_idle(false);
        let shed = first.slot.clone();
        let waiting = tokio::spawn({
            let limits = limits.clone();
            async move { limits.ticket().await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(shed.shed.load(Ordering::Relaxed), "the idle one is asked to close");
        assert!(!second.slot.shed.load(Ordering::Relaxed), "the busy one is not");
        drop(first);
        let third = tokio::time::timeout(Duration::from_secs(1), waiting).await.expect("admitted").expect("join");
        drop((second, third));
    }

    #[test]
    fn connection_cap_leaves_a_reserve() {
        assert_eq!(max_connections(0, 1024), 512);
        assert_eq!(max_connections(100, 1024), 100);
        assert_eq!(max_connections(5000, 1024), 512);
        assert_eq!(max_connections(0, 100), 64);
    }
}
