//! [`AppState`]: the configuration and one handle per service, built once by
//! [`AppState::build`] and shared (a cheap clone) by the HTTP layer, the jobs and the CLI.
//! The services themselves (`Records`, `Auth`, `SettingsService`, …) hold only the handles
//! they use; nothing below `http/` names this type.

use std::ops::Deref;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use tokio_util::sync::CancellationToken;

use crate::auth::Auth;
use crate::backups::Backups;
use crate::config::Config;
use crate::files::Files;
use crate::jobs::Jobs;
use crate::limits::Limiter;
use crate::logs::Logs;
use crate::realtime::{Broker, Hub, LocalBroker};
use crate::records::Records;
use crate::schema::Registry;
use crate::settings::SettingsService;
use crate::store::Store;

mod jobs;
pub use jobs::BUILTIN;

/// Shared state: a cheap clone over one `Arc`.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub config: Config,
    pub data_dir: PathBuf,
    pub store: Arc<dyn Store>,
    pub jobs: Jobs<AppState>,
    /// The current collections and the guard of schema changes.
    pub schema: Arc<Registry>,
    /// Record operations (and collection administration, which runs through them).
    pub records: Records,
    /// Sign-in, tokens and the auth flows.
    pub auth: Auth,
    /// Connected realtime clients.
    pub realtime: Arc<Hub>,
    /// Committed changes on their way to subscribers.
    pub broker: Arc<dyn Broker>,
    /// Rate-limit windows: the `rateLimits` settings, failed sign-ins, OTP attempts, resent mails.
    pub limiter: Arc<Limiter>,
    /// The settings, cached.
    pub settings: Arc<SettingsService>,
    /// Blob storage, uploads, thumbnails.
    pub files: Arc<Files>,
    /// Request logs.
    pub logs: Arc<Logs>,
    /// Backups and restores.
    pub backups: Arc<Backups>,
    /// HTTPS certificates, when Croft terminates TLS.
    pub tls: Option<crate::tls::Tls>,
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
        config.tls.validate()?;
        let tls = crate::tls::Tls::from_config(&config.tls, &data_dir);
        let jobs = Jobs::from_config(BUILTIN, &config.jobs)?;
        let files = Arc::new(Files::new(&data_dir, &config.storage)?);
        let store = crate::store::open(&data_dir).await?;
        let schema = Arc::new(Registry::new(store.load_collections().await.context("cannot read the collections")?));
        let settings = Arc::new(SettingsService::new(store.clone(), files.clone()));
        let realtime = Arc::new(Hub::default());
        let broker: Arc<dyn Broker> = Arc::new(LocalBroker::default());
        let limiter = Arc::new(Limiter::default());
        let records = Records {
            store: store.clone(),
            schema: schema.clone(),
            files: files.clone(),
            counts: Arc::default(),
            realtime: realtime.clone(),
            broker: broker.clone(),
            settings: settings.clone(),
        };
        let auth = Auth {
            store: store.clone(),
            schema: schema.clone(),
            records: records.clone(),
            limiter: limiter.clone(),
            settings: settings.clone(),
        };
        let logs = Arc::new(Logs::new(store.clone(), settings.clone()));
        let backups = Arc::new(Backups::new(store.clone(), files.clone(), settings.clone(), &data_dir));
        let state = Self(Arc::new(Inner {
            config,
            data_dir,
            store,
            jobs,
            schema,
            records,
            auth,
            realtime,
            broker,
            files,
            logs,
            backups,
            tls,
            limiter,
            settings,
            shutdown: CancellationToken::new(),
        }));
        let settings = state.settings.load().await.context("cannot read the settings")?;
        if settings.s3.enabled {
            state.files.apply_settings(&settings.s3).context("the s3 settings do not work")?;
        }
        Ok(state)
    }

    /// Restores the backup `key` and reloads everything cached from the databases (the
    /// collections, the settings and the file storage they choose), without a restart.
    pub async fn restore_backup(
        &self,
        key: &str,
        progress: Option<crate::backups::ProgressFn>,
    ) -> Result<crate::backups::Restored, crate::backups::BackupError> {
        let prepared = self.backups.prepare_restore(key, progress).await?;
        // Record operations wait while the databases and the collections change under them.
        let _schema = self.schema.writing().await;
        let restored = self.backups.apply_restore(prepared).await?;
        self.settings.invalidate();
        let settings = self.settings.load().await.map_err(|e| anyhow::anyhow!("{e}"))?;
        if let Err(e) = self.files.apply_settings(&settings.s3) {
            tracing::error!(error = %format!("{e:#}"), "the restored s3 settings do not work; file storage is unchanged");
        }
        self.records.reload_schema().await?;
        Ok(restored)
    }
}
