//! Configuration: defaults < `croft.toml` < `CROFT_*` environment < command-line flags.
//!
//! Restart-only settings (listen address, data directory) are flags with an env fallback;
//! everything else is a key of [`Config`]. Every secret may also be read from a file named by
//! `CROFT_<KEY>_FILE`. Secrets are wrapped in [`Secret`], whose `Debug` and `Serialize` redact.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use figment::value::Value;
use serde::{Deserialize, Serialize};

/// The prefix of every environment variable Croft reads.
pub const ENV_PREFIX: &str = "CROFT_";

/// Config keys that hold secrets: they may come from `CROFT_<KEY>_FILE` and are redacted.
const SECRET_KEYS: &[&str] = &["encryption_key", "storage.s3.secret", "metrics_token"];

/// Environment variables that are flags rather than config keys (read by clap).
pub const FLAG_ENV: &[&str] = &[
    "CROFT_DIR",
    "CROFT_CONFIG",
    "CROFT_LOG",
    "CROFT_LOG_JSON",
    "CROFT_METRICS_HTTP",
    "CROFT_HTTPS",
    "CROFT_LOCK_TIMEOUT",
];

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address the HTTP server listens on.
    pub http: SocketAddr,
    /// Allowed CORS origins; `*` allows any.
    pub origins: Vec<String>,
    /// A directory of static files served at `/` with SPA fallback (the team's own site).
    pub public_dir: Option<PathBuf>,
    /// More static sites on their own path prefixes, e.g. `/it` -> `./it-app`.
    pub mounts: Vec<Mount>,
    /// `Content-Security-Policy` of the static sites (unset: none is sent).
    pub csp: Option<String>,
    /// Largest accepted request body in bytes (file uploads have their own limits).
    pub body_limit: u64,
    /// Seconds an inactive keep-alive connection stays open.
    pub idle_timeout_secs: u64,
    /// Seconds in-flight requests get to finish on shutdown.
    pub shutdown_timeout_secs: u64,
    /// Most connections open at once (0: what the open-file limit allows, less a reserve);
    /// further clients wait in the listen queue.
    pub max_connections: u64,
    /// Seconds an HTTP/1 request head may take from its first byte (slow clients are cut off).
    pub header_timeout_secs: u64,
    /// Seconds `serve` waits for another server to release the data directory before giving up.
    pub lock_timeout_secs: u64,
    /// Key used to encrypt secrets stored in settings (set it to turn encryption at rest on).
    pub encryption_key: Option<Secret>,
    /// Cron schedules of the built-in jobs.
    pub jobs: JobsConfig,
    /// Where uploaded files are kept.
    pub storage: StorageConfig,
    /// A bearer token that opens `/metrics` on the main listener (unset: `/metrics` is 404 there).
    pub metrics_token: Option<Secret>,
    /// A second listener that serves only `/metrics`, without a token (e.g. 127.0.0.1:9090).
    pub metrics_http: Option<SocketAddr>,
    /// A private listener for the dashboard, Swagger UI and superuser API, which the public
    /// listeners then refuse (e.g. 127.0.0.1:8091 or a VPN address).
    pub admin_http: Option<SocketAddr>,
    /// HTTPS: certificates from ACME or from files, redirects, HSTS.
    pub tls: TlsConfig,
}

/// A static site served under a path prefix.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Mount {
    /// The path prefix, e.g. `/it` (no trailing slash).
    pub prefix: String,
    pub dir: PathBuf,
}

impl std::str::FromStr for Mount {
    type Err = String;

    /// `/it=./it-app`.
    fn from_str(s: &str) -> Result<Self, String> {
        let (prefix, dir) = s.split_once('=').ok_or_else(|| format!("{s:?} is not PREFIX=DIR, e.g. /it=./it-app"))?;
        let prefix = format!("/{}", prefix.trim_matches('/'));
        if prefix == "/" || dir.is_empty() {
            return Err(format!("{s:?}: the prefix and the directory must not be empty (use --public-dir for /)"));
        }
        Ok(Self { prefix, dir: PathBuf::from(dir) })
    }
}

/// Let's Encrypt's production directory, the default ACME directory.
pub const LETS_ENCRYPT: &str = "https://acme-v02.api.letsencrypt.org/directory";
/// Let's Encrypt's staging directory (`--acme-directory staging`).
pub const LETS_ENCRYPT_STAGING: &str = "https://acme-staging-v02.api.letsencrypt.org/directory";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct TlsConfig {
    /// Domains to obtain a certificate for over ACME (`croft serve DOMAIN…`); empty: no ACME.
    pub domains: Vec<String>,
    /// Address of the HTTPS listener (default 0.0.0.0:443 when TLS is on).
    pub https: Option<SocketAddr>,
    /// Contact address given to the ACME directory (expiry warnings).
    pub acme_email: Option<String>,
    /// The ACME directory URL (`production`, `staging` or a URL such as Pebble's).
    pub acme_directory: String,
    /// A PEM file of the CA that signs the ACME directory's own HTTPS certificate (Pebble).
    pub acme_ca: Option<PathBuf>,
    /// Seconds before the first retry of a failed renewal; doubles per failure up to an hour.
    pub acme_retry_secs: u64,
    /// `http-01` (answered on the HTTP listener, port 80) or `tls-alpn-01` (answered in the
    /// TLS handshake on the HTTPS listener, port 443: for when port 80 is closed).
    pub acme_challenge: String,
    /// A certificate chain (PEM) to serve instead of ACME; reloaded on SIGHUP and when it changes.
    pub cert: Option<PathBuf>,
    /// The private key (PEM) of `cert`.
    pub key: Option<PathBuf>,
    /// Send `Strict-Transport-Security: max-age=31536000` over HTTPS.
    pub hsts: bool,
    /// Redirect between `www.` and the apex domain: `apex`, `www` or empty (no redirect).
    pub www_redirect: String,
}

impl Default for TlsConfig {
    fn default() -> Self {
        Self {
            domains: Vec::new(),
            https: None,
            acme_email: None,
            acme_directory: LETS_ENCRYPT.to_owned(),
            acme_ca: None,
            acme_retry_secs: 60,
            acme_challenge: "http-01".to_owned(),
            cert: None,
            key: None,
            hsts: false,
            www_redirect: String::new(),
        }
    }
}

impl TlsConfig {
    /// Whether Croft terminates TLS (ACME domains or certificate files).
    pub fn enabled(&self) -> bool {
        !self.domains.is_empty() || self.cert.is_some()
    }

    /// The ACME directory URL, with `production` and `staging` resolved.
    pub fn directory_url(&self) -> &str {
        match self.acme_directory.as_str() {
            "" | "production" | "letsencrypt" => LETS_ENCRYPT,
            "staging" => LETS_ENCRYPT_STAGING,
            url => url,
        }
    }

    /// The HTTPS listener's address.
    pub fn https_addr(&self) -> SocketAddr {
        self.https.unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 443)))
    }

    /// Refuses combinations that cannot work, with what to change.
    pub fn validate(&self) -> anyhow::Result<()> {
        if self.cert.is_some() != self.key.is_some() {
            bail!("--tls-cert and --tls-key go together: give both or neither");
        }
        if self.cert.is_some() && !self.domains.is_empty() {
            bail!("give either domains (certificates over ACME) or --tls-cert/--tls-key, not both");
        }
        if !matches!(self.acme_challenge.as_str(), "http-01" | "tls-alpn-01") {
            bail!("tls.acme_challenge must be \"http-01\" or \"tls-alpn-01\", not {:?}", self.acme_challenge);
        }
        if !matches!(self.www_redirect.as_str(), "" | "apex" | "www") {
            bail!("tls.www_redirect must be \"apex\", \"www\" or empty, not {:?}", self.www_redirect);
        }
        for d in &self.domains {
            let ok = !d.is_empty()
                && d.len() <= 253
                && d.split('.').all(|l| {
                    !l.is_empty() && l.len() <= 63 && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                });
            if !ok {
                bail!("{d:?} is not a domain name (e.g. example.com)");
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(default, deny_unknown_fields)]
pub struct StorageConfig {
    /// `local` (`<data>/storage`) or `s3`; empty lets the `s3` application settings decide.
    pub backend: String,
    pub s3: S3Options,
}

/// An S3-compatible bucket given in the configuration (it wins over the settings).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(default, deny_unknown_fields)]
pub struct S3Options {
    /// For example `https://s3.eu-central-1.amazonaws.com` or `http://127.0.0.1:9000`.
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    pub access_key: String,
    pub secret: Option<Secret>,
    /// Path-style addressing, which most self-hosted servers need.
    pub force_path_style: bool,
}

impl StorageConfig {
    /// Whether the configuration chooses S3 (then `s3` names the bucket).
    pub fn is_s3(&self) -> bool {
        self.backend == "s3"
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct JobsConfig {
    /// Job name -> 5-field cron expression (UTC); an empty string disables the job.
    pub schedules: BTreeMap<String, String>,
    /// Days of job-run history to keep.
    pub history_days: u32,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            http: SocketAddr::from(([127, 0, 0, 1], 8090)),
            origins: vec!["*".to_owned()],
            public_dir: None,
            mounts: Vec::new(),
            csp: None,
            body_limit: 32 << 20,
            idle_timeout_secs: 120,
            shutdown_timeout_secs: 10,
            lock_timeout_secs: 60,
            max_connections: 0,
            header_timeout_secs: 30,
            encryption_key: None,
            jobs: JobsConfig::default(),
            storage: StorageConfig::default(),
            metrics_token: None,
            metrics_http: None,
            admin_http: None,
            tls: TlsConfig::default(),
        }
    }
}

/// The built-in jobs' schedules unless `jobs.schedules` says otherwise (cron, UTC).
pub const DEFAULT_JOB_SCHEDULES: &[(&str, &str)] = &[
    // Nightly: keeps the WAL small and the planner statistics fresh.
    ("db_maintenance", "0 3 * * *"),
    // After maintenance, so the history it prunes includes last night's run.
    ("history_retention", "30 3 * * *"),
    // Every minute: blobs that no record references any more (retries included).
    ("blob_cleanup", "* * * * *"),
    // Every minute: takes a backup when the `backups.cron` setting says so (that setting is
    // the schedule users change; this only looks at it).
    ("backup_schedule", "* * * * *"),
    // Every six hours, as PocketBase: request logs older than `logs.maxDays`.
    ("logs_retention", "0 */6 * * *"),
    // Hourly: a safety net behind the renewal timer, which acts on the minute.
    ("certificate_renewal", "7 * * * *"),
];

impl Default for JobsConfig {
    fn default() -> Self {
        let schedules = DEFAULT_JOB_SCHEDULES.iter().map(|(n, s)| ((*n).to_owned(), (*s).to_owned())).collect();
        Self { schedules, history_days: 7 }
    }
}

/// A secret string: never printed, never serialised in clear.
#[derive(Clone, Deserialize, PartialEq)]
#[serde(transparent)]
pub struct Secret(String);

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Self(s)
    }
}

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("\"<redacted>\"")
    }
}

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("<redacted>")
    }
}

/// Overrides given on the command line; `None` leaves the lower layers alone.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub http: Option<SocketAddr>,
    pub origins: Option<Vec<String>>,
    pub public_dir: Option<PathBuf>,
    pub metrics_http: Option<SocketAddr>,
    pub admin_http: Option<SocketAddr>,
    pub lock_timeout_secs: Option<u64>,
    pub mounts: Option<Vec<Mount>>,
    pub tls: TlsOverrides,
}

/// TLS flags of `serve`.
#[derive(Debug, Default, Clone)]
pub struct TlsOverrides {
    pub domains: Vec<String>,
    pub https: Option<SocketAddr>,
    pub acme_email: Option<String>,
    pub acme_directory: Option<String>,
    pub acme_ca: Option<PathBuf>,
    pub acme_challenge: Option<String>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    pub hsts: bool,
    pub www_redirect: Option<String>,
}

/// Where the configuration comes from.
#[derive(Debug, Clone)]
pub struct Sources {
    pub data_dir: PathBuf,
    /// An explicit config file; it must exist. Without it `<data_dir>/croft.toml` is read if present.
    pub file: Option<PathBuf>,
}

impl Sources {
    fn file_path(&self) -> PathBuf {
        self.file.clone().unwrap_or_else(|| self.data_dir.join("croft.toml"))
    }
}

/// Loads the effective configuration from all layers.
pub fn load(sources: &Sources, overrides: &Overrides) -> anyhow::Result<Config> {
    load_from(sources, overrides, std::env::vars())
}

fn load_from(
    sources: &Sources,
    overrides: &Overrides,
    env: impl Iterator<Item = (String, String)>,
) -> anyhow::Result<Config> {
    let path = sources.file_path();
    if sources.file.is_some() && !path.is_file() {
        bail!("config file {} does not exist; create it or drop --config", path.display());
    }
    let env: Vec<(String, String)> = env.filter(|(k, _)| k.starts_with(ENV_PREFIX)).collect();
    let mut figment = Figment::from(Serialized::defaults(Config::default())).merge(Toml::file(&path));
    for (key, value) in env_values(&env).chain(secrets_from_files(&env)?) {
        figment = figment.merge(Serialized::default(&key, value));
    }
    let mut config: Config = figment
        .extract()
        .map_err(|err| anyhow::anyhow!("invalid configuration ({}, CROFT_* variables): {err}", path.display()))?;
    apply(&mut config, overrides);
    Ok(config)
}

/// `CROFT_JOBS__HISTORY_DAYS=3` becomes the key `jobs.history_days` with the value 3.
/// Variables that name no config key are skipped here (and warned about by `serve`).
fn env_values(env: &[(String, String)]) -> impl Iterator<Item = (String, Value)> + '_ {
    let keys = env_keys();
    let known = move |k: &str| keys.iter().any(|key| key.eq_ignore_ascii_case(&k[ENV_PREFIX.len()..]));
    env.iter().filter(move |(k, _)| known(k)).map(|(k, v)| {
        let key = k[ENV_PREFIX.len()..].to_lowercase().replace("__", ".");
        let value = if SECRET_KEYS.contains(&key.as_str()) {
            Value::from(v.clone())
        } else {
            v.parse::<Value>().unwrap_or_else(|_| Value::from(v.clone()))
        };
        (key, value)
    })
}

fn secrets_from_files(env: &[(String, String)]) -> anyhow::Result<Vec<(String, Value)>> {
    let mut out = Vec::new();
    for key in SECRET_KEYS {
        let var = format!("{ENV_PREFIX}{}_FILE", env_name(key));
        if let Some((_, path)) = env.iter().find(|(k, _)| *k == var) {
            let value =
                std::fs::read_to_string(path).with_context(|| format!("{var} names {path}, which cannot be read"))?;
            out.push(((*key).to_owned(), Value::from(value.trim_end().to_owned())));
        }
    }
    Ok(out)
}

fn apply(config: &mut Config, overrides: &Overrides) {
    if let Some(http) = overrides.http {
        config.http = http;
    }
    if let Some(origins) = &overrides.origins {
        config.origins.clone_from(origins);
    }
    if let Some(dir) = &overrides.public_dir {
        config.public_dir = Some(dir.clone());
    }
    if let Some(addr) = overrides.metrics_http {
        config.metrics_http = Some(addr);
    }
    if let Some(addr) = overrides.admin_http {
        config.admin_http = Some(addr);
    }
    if let Some(secs) = overrides.lock_timeout_secs {
        config.lock_timeout_secs = secs;
    }
    if let Some(mounts) = &overrides.mounts {
        config.mounts.clone_from(mounts);
    }
    if let Some(http) = apply_tls(&mut config.tls, &overrides.tls, overrides.http.is_some()) {
        config.http = http;
    }
}

/// Applies the TLS flags; the plain HTTP address when domains are given without `--http`
/// (then, as PocketBase, HTTP is 0.0.0.0:80 and HTTPS 0.0.0.0:443).
fn apply_tls(tls: &mut TlsConfig, o: &TlsOverrides, http_given: bool) -> Option<SocketAddr> {
    if !o.domains.is_empty() {
        tls.domains.clone_from(&o.domains);
    }
    let set = |target: &mut Option<PathBuf>, v: &Option<PathBuf>| {
        if v.is_some() {
            target.clone_from(v);
        }
    };
    set(&mut tls.acme_ca, &o.acme_ca);
    set(&mut tls.cert, &o.cert);
    set(&mut tls.key, &o.key);
    if o.https.is_some() {
        tls.https = o.https;
    }
    if o.acme_email.is_some() {
        tls.acme_email.clone_from(&o.acme_email);
    }
    if let Some(c) = &o.acme_challenge {
        tls.acme_challenge.clone_from(c);
    }
    if let Some(d) = &o.acme_directory {
        tls.acme_directory.clone_from(d);
    }
    if let Some(w) = &o.www_redirect {
        tls.www_redirect.clone_from(w);
    }
    tls.hsts |= o.hsts;
    (!o.domains.is_empty() && !http_given).then(|| SocketAddr::from(([0, 0, 0, 0], 80)))
}

/// `CROFT_*` variables that match neither a flag nor a config key: probably typos.
pub fn unknown_env_vars(vars: impl Iterator<Item = String>) -> Vec<String> {
    let keys = env_keys();
    vars.filter(|v| v.starts_with(ENV_PREFIX))
        .filter(|v| !FLAG_ENV.contains(&v.as_str()))
        .filter(|v| {
            let key = &v[ENV_PREFIX.len()..];
            let key =
                key.strip_suffix("_FILE").filter(|k| SECRET_KEYS.iter().any(|s| env_name(s) == *k)).unwrap_or(key);
            !keys.iter().any(|k| k.eq_ignore_ascii_case(key))
        })
        .collect()
}

/// Every environment key (without prefix) a config key can be set through, e.g. `JOBS__HISTORY_DAYS`.
fn env_keys() -> Vec<String> {
    let value = serde_json::to_value(Config::default()).unwrap_or_default();
    let mut keys = Vec::new();
    collect_keys(&value, "", &mut keys);
    for secret in SECRET_KEYS {
        keys.push(env_name(secret));
    }
    keys
}

/// `storage.s3.secret` -> `STORAGE__S3__SECRET`.
fn env_name(key: &str) -> String {
    key.replace('.', "__").to_uppercase()
}

fn collect_keys(value: &serde_json::Value, prefix: &str, out: &mut Vec<String>) {
    if let serde_json::Value::Object(map) = value {
        for (k, v) in map {
            let key = format!("{prefix}{}", k.to_uppercase());
            out.push(key.clone());
            collect_keys(v, &format!("{key}__"), out);
        }
    }
}

/// The effective configuration as TOML, secrets redacted.
pub fn show(config: &Config) -> anyhow::Result<String> {
    toml::to_string_pretty(config).context("cannot render the configuration")
}

/// Checks that the data directory can be created and written to.
pub fn ensure_data_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| {
        format!("cannot create the data directory {}; choose another with --dir or fix its permissions", dir.display())
    })?;
    let probe = dir.join(".croft-write-test");
    std::fs::write(&probe, b"ok").with_context(|| {
        format!(
            "the data directory {} is not writable; fix its permissions or choose another with --dir",
            dir.display()
        )
    })?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(dir: &Path) -> Sources {
        Sources { data_dir: dir.to_path_buf(), file: None }
    }

    fn env(pairs: &[(&str, &str)]) -> impl Iterator<Item = (String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect::<Vec<_>>().into_iter()
    }

    #[test]
    fn layers_apply_in_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join("croft.toml"),
            "body_limit = 10\nidle_timeout_secs = 5\norigins = [\"https://a\"]\n",
        )
        .expect("write");
        let overrides = Overrides { origins: Some(vec!["https://flag".into()]), ..Default::default() };
        let config = load_from(&sources(dir.path()), &overrides, env(&[("CROFT_BODY_LIMIT", "20")])).expect("load");
        assert_eq!(config.body_limit, 20, "env beats file");
        assert_eq!(config.idle_timeout_secs, 5, "file beats default");
        assert_eq!(config.origins, vec!["https://flag".to_owned()], "flag beats file");
        assert_eq!(config.shutdown_timeout_secs, 10, "default stays");
    }

    #[test]
    fn nested_env_and_secret_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let secret = dir.path().join("key");
        std::fs::write(&secret, "s3cr3t\n").expect("write");
        let vars = [
            ("CROFT_JOBS__HISTORY_DAYS", "3"),
            ("CROFT_ENCRYPTION_KEY_FILE", secret.to_str().expect("utf8")),
            ("CROFT_SOMETHING_ELSE", "ignored, not fatal"),
        ];
        let config = load_from(&sources(dir.path()), &Overrides::default(), env(&vars)).expect("load");
        assert_eq!(config.jobs.history_days, 3);
        assert_eq!(config.encryption_key.as_ref().map(Secret::expose), Some("s3cr3t"));
        let shown = show(&config).expect("show");
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(shown.contains("encryption_key = \"<redacted>\""), "{shown}");
        assert!(format!("{config:?}").contains("<redacted>"));
    }

    #[test]
    fn shown_config_loads_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let text = show(&Config::default()).expect("show");
        std::fs::write(dir.path().join("croft.toml"), &text).expect("write");
        let config = load_from(&sources(dir.path()), &Overrides::default(), env(&[])).expect(&text);
        assert_eq!(config, Config::default());
    }

    #[test]
    fn bad_file_and_unknown_keys_are_reported() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("croft.toml"), "bodylimit = 1\n").expect("write");
        let err = load_from(&sources(dir.path()), &Overrides::default(), env(&[])).expect_err("unknown key");
        assert!(err.to_string().contains("bodylimit"), "{err}");
        let missing = Sources { data_dir: dir.path().into(), file: Some(dir.path().join("nope.toml")) };
        assert!(load_from(&missing, &Overrides::default(), env(&[])).is_err());
    }

    #[test]
    fn unknown_env_vars_are_found() {
        let vars = [
            "CROFT_BODY_LIMIT",
            "CROFT_BODYLIMIT",
            "CROFT_DIR",
            "CROFT_JOBS__HISTORY_DAYS",
            "CROFT_ENCRYPTION_KEY_FILE",
            "PATH",
        ];
        let unknown = unknown_env_vars(vars.iter().map(|s| (*s).to_owned()));
        assert_eq!(unknown, vec!["CROFT_BODYLIMIT".to_owned()]);
    }
}
