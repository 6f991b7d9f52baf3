//! The team's frontends, served the way a reverse proxy in front of them would: the root site
//! of `--public-dir` and the sites of `--mount PREFIX=DIR`, each with SPA fallback, caching
//! headers, precompressed files, language negotiation and security headers (the rules are in
//! the README, "Frontends"). Croft's own routes are matched before this endpoint is reached.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail};
use poem::http::{HeaderName, HeaderValue, StatusCode, header};
use poem::{Endpoint, Request, Response};

use super::assets::redirect_to_dashboard;
use super::error;
use super::frontends_site::Site;
use crate::config::{Config, Mount};

/// Prefixes of Croft's own routes: no mount may be one or lie below one.
const RESERVED: &[&str] = &["/api", "/_", "/metrics", "/.well-known"];

/// `GET|HEAD /*path` outside Croft's own routes.
pub struct Frontends {
    root: Option<Site>,
    /// Longest prefix first, so that `/it/admin` wins over `/it`.
    mounts: Vec<Site>,
    /// Sent with every answer of a site.
    security: Vec<(HeaderName, HeaderValue)>,
}

impl Frontends {
    /// Checks the sites of `config`; the errors name the flag to fix.
    pub fn new(config: &Config) -> anyhow::Result<Self> {
        let root = match &config.public_dir {
            Some(dir) => Some(Site::new(
                String::new(),
                open_dir(dir)
                    .map_err(|why| anyhow!("--public-dir {}: {why}; create it or drop the flag", dir.display()))?,
            )),
            None => None,
        };
        let mut mounts = mounted_sites(&config.mounts)?;
        mounts.sort_by_key(|site| std::cmp::Reverse(site.prefix.len()));
        let mut security = vec![
            (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
            (header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin")),
        ];
        if let Some(csp) = &config.csp {
            let value = HeaderValue::from_str(csp).map_err(|_| {
                anyhow!("csp {csp:?} is not a valid header value; remove line breaks and non-ASCII text")
            })?;
            security.push((header::CONTENT_SECURITY_POLICY, value));
        }
        for site in root.iter().chain(&mounts) {
            let prefix = if site.prefix.is_empty() { "/" } else { &site.prefix };
            tracing::info!(prefix, dir = %site.dir.display(), "serving a frontend");
        }
        Ok(Self { root, mounts, security })
    }
}

impl Endpoint for Frontends {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let path = req.uri().path();
        let Some(site) = self.mounts.iter().find(|site| site.owns(path)).or(self.root.as_ref()) else {
            return if path == "/" { Ok(redirect_to_dashboard()) } else { Err(poem::error::NotFoundError.into()) };
        };
        let mut resp = site.respond(req).await.unwrap_or_else(|err| {
            let allow = (err.status() == StatusCode::METHOD_NOT_ALLOWED).then(|| "GET, HEAD".to_owned());
            error::to_response(err, allow)
        });
        for (name, value) in &self.security {
            resp.headers_mut().insert(name.clone(), value.clone());
        }
        Ok(resp)
    }
}

/// The sites of `--mount`, each checked: a sane prefix outside Croft's own routes, used once,
/// and a directory that exists.
fn mounted_sites(mounts: &[Mount]) -> anyhow::Result<Vec<Site>> {
    let mut sites: Vec<Site> = Vec::with_capacity(mounts.len());
    for mount in mounts {
        let flag = format!("--mount {}={}", mount.prefix, mount.dir.display());
        let prefix = check_prefix(&mount.prefix).map_err(|why| anyhow!("{flag}: {why}"))?;
        if sites.iter().any(|site| site.prefix == prefix) {
            bail!("{flag}: another mount already uses the prefix {prefix}; give each mount its own prefix");
        }
        let dir = open_dir(&mount.dir).map_err(|why| anyhow!("{flag}: {why}; create it or fix the path"))?;
        sites.push(Site::new(prefix, dir));
    }
    Ok(sites)
}

/// `/it`, `it/` and `/it/` all give `/it`; the reason when the prefix cannot be a mount's.
fn check_prefix(raw: &str) -> Result<String, String> {
    let prefix = format!("/{}", raw.trim_matches('/'));
    if prefix == "/" {
        return Err("the prefix must not be empty; serve / with --public-dir".to_owned());
    }
    let bad_segment = |s: &str| {
        s.is_empty()
            || s == "."
            || s == ".."
            || !s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
    };
    if prefix[1..].split('/').any(bad_segment) {
        return Err(format!("{prefix} is not a path prefix such as /it or /team/app (letters, digits, - . _ ~)"));
    }
    let reserved = RESERVED.iter().find(|r| prefix == **r || prefix.starts_with(&format!("{r}/")));
    if let Some(reserved) = reserved {
        return Err(format!(
            "{reserved} belongs to Croft (its API, dashboard, metrics and ACME challenges); choose another prefix"
        ));
    }
    Ok(prefix)
}

/// The canonical form of a directory that exists.
fn open_dir(dir: &Path) -> Result<PathBuf, String> {
    match std::fs::canonicalize(dir) {
        Ok(path) if path.is_dir() => Ok(path),
        _ => Err(format!("{} is not a directory", dir.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_checked() {
        assert_eq!(check_prefix("/it"), Ok("/it".to_owned()));
        assert_eq!(check_prefix("team/app/"), Ok("/team/app".to_owned()));
        assert_eq!(check_prefix("/apidocs"), Ok("/apidocs".to_owned()), "only whole segments are reserved");
        for bad in ["/", "/api", "/api/x", "/_", "/_/x", "/metrics", "/.well-known", "/a//b", "/a/../b", "/a b", "/%2e"]
        {
            assert!(check_prefix(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bad_mounts_are_refused_with_the_flag() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mount = |prefix: &str, dir: &Path| Mount { prefix: prefix.to_owned(), dir: dir.to_owned() };
        let err = |mounts: &[Mount]| mounted_sites(mounts).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err(&[mount("/api", dir.path())]).starts_with("--mount /api="));
        let twice = err(&[mount("/it", dir.path()), mount("/it/", dir.path())]);
        assert!(twice.contains("already uses the prefix /it"), "{twice}");
        let missing = err(&[mount("/it", &dir.path().join("nope"))]);
        assert!(missing.contains("is not a directory"), "{missing}");
        assert!(mounted_sites(&[mount("/it", dir.path()), mount("/it/admin", dir.path())]).is_ok());
    }
}
