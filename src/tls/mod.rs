//! HTTPS certificates: obtained over ACME and renewed on time, or read from files and reloaded
//! when they change. The TLS listener asks [`Tls::server_config`] once; its certificate
//! resolver reads the current certificate on every handshake, so a new one goes live without a
//! restart and without touching open connections.

pub mod acme;
pub mod certs;
pub mod store;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use anyhow::Context;
use chrono::{DateTime, Utc};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::config::TlsConfig;
use acme::{AcmeOptions, Challenges};
use certs::Loaded;
use store::{CertStore, DirStore};

/// Where certificates come from.
#[derive(Debug, Clone)]
enum Source {
    Acme(AcmeOptions),
    Files { cert: PathBuf, key: PathBuf },
}

/// What a renewal check did.
#[derive(Debug, PartialEq, Eq)]
pub enum Renewal {
    /// A new certificate is live.
    Renewed,
    /// The current certificate is good until the renewal time.
    NotDue(DateTime<Utc>),
    /// The last attempt failed with this error; the next is at this time.
    Waiting(DateTime<Utc>, String),
    /// Certificate files: unchanged or reloaded.
    Files { reloaded: bool },
}

/// The certificates of the HTTPS listener. Cheap to clone.
#[derive(Clone)]
pub struct Tls(Arc<Inner>);

struct Inner {
    source: Source,
    store: Arc<dyn CertStore>,
    current: RwLock<Option<Arc<Loaded>>>,
    challenges: Challenges,
    /// The ACME account, once known; the lock also keeps renewals one at a time.
    account: tokio::sync::Mutex<Option<instant_acme::Account>>,
    retry: Mutex<Retry>,
    retry_base: Duration,
    /// What the certificate files looked like when last read.
    seen: Mutex<Option<FileStamp>>,
    wake: Notify,
}

#[derive(Debug, Default)]
struct Retry {
    failures: u32,
    next: Option<DateTime<Utc>>,
    error: String,
}

type FileStamp = [(Option<SystemTime>, u64); 2];

/// An order that takes longer has failed (a CA that accepts connections and never answers).
const ORDER_TIMEOUT: Duration = Duration::from_secs(300);

impl Tls {
    /// The configured certificates, kept in `<data>/tls`; `None` when TLS is off.
    pub fn from_config(config: &TlsConfig, data_dir: &Path) -> Option<Self> {
        Self::with_store(config, Arc::new(DirStore::new(data_dir.join("tls"))))
    }

    pub fn with_store(config: &TlsConfig, store: Arc<dyn CertStore>) -> Option<Self> {
        let source = match (&config.cert, &config.key) {
            (Some(cert), Some(key)) => Source::Files { cert: cert.clone(), key: key.clone() },
            _ if !config.domains.is_empty() => Source::Acme(AcmeOptions {
                domains: config.domains.clone(),
                directory: config.directory_url().to_owned(),
                email: config.acme_email.clone().filter(|e| !e.is_empty()),
                ca: config.acme_ca.clone(),
                tls_alpn: config.acme_challenge == "tls-alpn-01",
            }),
            _ => return None,
        };
        Some(Self(Arc::new(Inner {
            source,
            store,
            current: RwLock::new(None),
            challenges: Challenges::default(),
            account: tokio::sync::Mutex::new(None),
            retry: Mutex::new(Retry::default()),
            retry_base: Duration::from_secs(config.acme_retry_secs.max(1)),
            seen: Mutex::new(None),
            wake: Notify::new(),
        })))
    }

    /// Reads the certificate files (an error stops the start: they were asked for) or the
    /// stored ACME certificate (missing is fine: the renewal loop obtains one right away).
    pub async fn load(&self) -> anyhow::Result<()> {
        match &self.0.source {
            Source::Files { .. } => {
                self.reload_files(true).await?;
            }
            Source::Acme(options) => {
                let Some(pem) = self.0.store.load(&options.certificate_name()).await? else { return Ok(()) };
                match Loaded::from_pem(&pem, &pem) {
                    Ok(loaded) if loaded.not_after > Utc::now() => self.set(loaded),
                    Ok(_) => tracing::info!("the stored certificate has expired; ordering a new one"),
                    Err(e) => {
                        tracing::warn!(error = %format!("{e:#}"), "the stored certificate is unusable; ordering a new one")
                    }
                }
            }
        }
        Ok(())
    }

    /// The expiry of the certificate a start would serve (files or the stored ACME certificate),
    /// without making it live: for `croft doctor`. `None`: none stored yet.
    pub async fn stored_not_after(&self) -> anyhow::Result<Option<DateTime<Utc>>> {
        let pem = match &self.0.source {
            Source::Files { cert, key } => {
                let read = |p: &PathBuf| std::fs::read(p).with_context(|| format!("cannot read {}", p.display()));
                Some((read(cert)?, read(key)?))
            }
            Source::Acme(options) => self.0.store.load(&options.certificate_name()).await?.map(|p| (p.clone(), p)),
        };
        pem.map(|(chain, key)| Loaded::from_pem(&chain, &key).map(|l| l.not_after)).transpose()
    }

    /// A rustls configuration for the listener: TLS 1.2 and 1.3, HTTP/2 and HTTP/1.1 over ALPN,
    /// the current certificate chosen at each handshake.
    pub fn server_config(&self) -> anyhow::Result<Arc<rustls::ServerConfig>> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .context("cannot set up TLS")?
            .with_no_client_auth()
            .with_cert_resolver(Arc::new(Resolver(self.0.clone())));
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        if let Source::Acme(AcmeOptions { tls_alpn: true, .. }) = &self.0.source {
            // Only validation handshakes offer it, and only it.
            config.alpn_protocols.push(acme::ACME_TLS_ALPN.to_vec());
        }
        Ok(Arc::new(config))
    }

    /// The key authorization for an HTTP-01 token being validated.
    pub fn challenge(&self, token: &str) -> Option<String> {
        self.0.challenges.answer(token)
    }

    /// The current certificate's expiry.
    pub fn not_after(&self) -> Option<DateTime<Utc>> {
        self.current().map(|c| c.not_after)
    }

    /// The domains certificates are ordered for (empty with certificate files).
    pub fn domains(&self) -> &[String] {
        match &self.0.source {
            Source::Acme(o) => &o.domains,
            Source::Files { .. } => &[],
        }
    }

    fn current(&self) -> Option<Arc<Loaded>> {
        self.0.current.read().ok()?.clone()
    }

    fn set(&self, loaded: Loaded) {
        crate::telemetry::tls_certificate(loaded.not_after.timestamp());
        tracing::info!(not_after = %loaded.not_after, "certificate is live");
        if let Ok(mut current) = self.0.current.write() {
            *current = Some(Arc::new(loaded));
        }
    }

    /// Renews the ACME certificate when a third of its lifetime is left (or there is none),
    /// unless a failed attempt waits for its retry; with certificate files, reloads them if
    /// they changed. The `certificate_renewal` job and the renewal timer both call this.
    pub async fn renew_if_due(&self) -> anyhow::Result<Renewal> {
        let options = match &self.0.source {
            Source::Files { .. } => return Ok(Renewal::Files { reloaded: self.reload_files(false).await? }),
            Source::Acme(options) => options,
        };
        let mut account = self.0.account.lock().await;
        let now = Utc::now();
        if let Some(current) = self.current()
            && now < current.renew_at()
        {
            return Ok(Renewal::NotDue(current.renew_at()));
        }
        if let Some((next, error)) = self.0.retry.lock().ok().and_then(|r| Some((r.next?, r.error.clone())))
            && now < next
        {
            return Ok(Renewal::Waiting(next, error));
        }
        let result = self.order(options, &mut account).await;
        crate::telemetry::tls_renewal(result.is_ok());
        match result {
            Ok(loaded) => {
                self.set(loaded);
                *self.0.retry.lock().map_err(|_| anyhow::anyhow!("poisoned"))? = Retry::default();
                Ok(Renewal::Renewed)
            }
            Err(err) => {
                let next = self.schedule_retry(format!("{err:#}"));
                tracing::error!(error = %format!("{err:#}"), retry_at = %next, "cannot obtain a certificate");
                Err(err.context(format!("next attempt at {next}")))
            }
        }
    }

    async fn order(
        &self,
        options: &AcmeOptions,
        account: &mut Option<instant_acme::Account>,
    ) -> anyhow::Result<Loaded> {
        let (chain, key) = match self.issue(options, account, false).await {
            Err(e) if acme::account_gone(&e) => {
                tracing::warn!("the ACME directory no longer knows the account; creating a new one");
                self.issue(options, account, true).await?
            }
            other => other?,
        };
        let loaded = Loaded::from_pem(chain.as_bytes(), key.as_bytes()).context("the issued certificate")?;
        let pem = format!("{chain}\n{key}");
        self.0.store.save(&options.certificate_name(), pem.as_bytes()).await?;
        Ok(loaded)
    }

    async fn issue(
        &self,
        options: &AcmeOptions,
        account: &mut Option<instant_acme::Account>,
        fresh: bool,
    ) -> anyhow::Result<(String, String)> {
        let acct = match account.take().filter(|_| !fresh) {
            Some(a) => a,
            None => acme::account(options, self.0.store.as_ref(), fresh).await?,
        };
        tracing::info!(domains = ?options.domains, directory = %options.directory, "ordering a certificate");
        let issued = tokio::time::timeout(ORDER_TIMEOUT, acme::issue(&acct, options, &self.0.challenges))
            .await
            .map_err(|_| anyhow::anyhow!("the ACME directory did not finish the order within {ORDER_TIMEOUT:?}"))?;
        *account = Some(acct);
        issued
    }

    /// The next attempt after a failure: the base delay, doubled per failure, at most an hour.
    fn schedule_retry(&self, error: String) -> DateTime<Utc> {
        let Ok(mut retry) = self.0.retry.lock() else { return Utc::now() };
        let factor = 2u32.saturating_pow(retry.failures.min(16));
        let delay = self.0.retry_base.saturating_mul(factor).min(Duration::from_secs(3600));
        retry.failures += 1;
        let next = Utc::now() + chrono::Duration::from_std(delay).unwrap_or_default();
        retry.next = Some(next);
        retry.error = error;
        next
    }

    /// Reads the certificate files when they changed (or `force`); whether a new one is live.
    /// A bad pair keeps the old certificate serving and is reported.
    pub async fn reload_files(&self, force: bool) -> anyhow::Result<bool> {
        let Source::Files { cert, key } = &self.0.source else { return Ok(false) };
        let stamp = [stamp(cert).await, stamp(key).await];
        if !force && self.0.seen.lock().ok().is_some_and(|s| s.as_ref() == Some(&stamp)) {
            return Ok(false);
        }
        let read = |p: &PathBuf| {
            let p = p.clone();
            async move { tokio::fs::read(&p).await.with_context(|| format!("cannot read {}", p.display())) }
        };
        let loaded = Loaded::from_pem(&read(cert).await?, &read(key).await?)
            .with_context(|| format!("{} and {}", cert.display(), key.display()))?;
        if let Ok(mut seen) = self.0.seen.lock() {
            *seen = Some(stamp);
        }
        self.set(loaded);
        Ok(true)
    }

    /// Keeps the certificate fresh until `stop`: ACME renewals on time and their retries;
    /// certificate files polled every two seconds and reloaded on SIGHUP.
    pub fn start(&self, stop: CancellationToken) -> tokio::task::JoinHandle<()> {
        let tls = self.clone();
        tokio::spawn(async move {
            let mut hangup = hangup_signal();
            loop {
                let wait = tls.next_wake();
                tokio::select! {
                    () = stop.cancelled() => break,
                    () = tokio::time::sleep(wait) => {}
                    () = tls.0.wake.notified() => {}
                    Some(()) = hangup.recv() => {
                        tracing::info!("SIGHUP: reloading the certificate");
                        if let Err(e) = tls.reload_files(true).await {
                            tracing::error!(error = %format!("{e:#}"), "cannot reload the certificate files; the old certificate stays");
                        }
                        continue;
                    }
                }
                match tls.renew_if_due().await {
                    Ok(Renewal::Files { reloaded: true }) => tracing::info!("certificate files changed: reloaded"),
                    Ok(_) => {}
                    // Logged where it happened.
                    Err(_) if matches!(tls.0.source, Source::Acme(_)) => {}
                    Err(e) => {
                        tracing::error!(error = %format!("{e:#}"), "cannot reload the certificate files; the old certificate stays")
                    }
                }
            }
        })
    }

    /// How long the loop sleeps: until the renewal time or the retry, polling files.
    fn next_wake(&self) -> Duration {
        if let Source::Files { .. } = self.0.source {
            return Duration::from_secs(2);
        }
        let now = Utc::now();
        let renew = self.current().map_or(now, |c| c.renew_at());
        let retry = self.0.retry.lock().ok().and_then(|r| r.next).unwrap_or(now);
        let at = renew.max(retry);
        // Wake at least hourly: clocks jump, and a sleep of weeks should not be trusted.
        (at - now).to_std().unwrap_or_default().min(Duration::from_secs(3600))
    }
}

async fn stamp(path: &Path) -> (Option<SystemTime>, u64) {
    match tokio::fs::metadata(path).await {
        Ok(m) => (m.modified().ok(), m.len()),
        Err(_) => (None, 0),
    }
}

/// A stream of SIGHUPs (none where there are no signals).
fn hangup_signal() -> tokio::sync::mpsc::Receiver<()> {
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    #[cfg(unix)]
    if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
        tokio::spawn(async move {
            while s.recv().await.is_some() {
                if tx.send(()).await.is_err() {
                    break;
                }
            }
        });
    }
    #[cfg(not(unix))]
    drop(tx);
    rx
}

/// Hands rustls the current certificate, whatever name the client asks for.
#[derive(Debug)]
struct Resolver(Arc<Inner>);

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls").field("source", &self.source).finish_non_exhaustive()
    }
}

impl ResolvesServerCert for Resolver {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let validating = hello.alpn().is_some_and(|mut protocols| protocols.any(|p| p == acme::ACME_TLS_ALPN));
        if validating {
            return self.0.challenges.alpn_certificate(hello.server_name()?);
        }
        self.0.current.read().ok()?.as_ref().map(|c| c.key.clone())
    }
}
