//! One static site, the root site or a mount: what a path below its prefix resolves to (a file,
//! a redirect or nothing), with SPA fallback and `Accept-Language` negotiation.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use poem::http::{HeaderValue, Method, StatusCode, header};
use poem::{Request, Response};

use super::frontends_file::{self, is_file};
use super::negotiate::best_language;
use super::static_files::{INDEX, clean_path, is_route};

pub struct Site {
    /// `""` for the root site, `/it` for a mount.
    pub prefix: String,
    /// Canonical, so that joined clean paths stay inside it.
    pub dir: PathBuf,
    languages: LanguageCache,
}

/// The last scan of the site's directory for language variants, and the directory's
/// modification time then: rescanned only when files are added to or removed from it (a
/// deploy), not per request.
#[derive(Default)]
struct LanguageCache(std::sync::Mutex<Option<(std::time::SystemTime, Arc<Languages>)>>);

/// What a path resolves to, and whether `Accept-Language` chose it.
#[derive(Debug, PartialEq)]
struct Resolved {
    target: Target,
    varies_by_language: bool,
    /// The language of a negotiated `index.<lang>.html` (for `Content-Language`).
    language: Option<String>,
}

#[derive(Debug, PartialEq)]
enum Target {
    File(PathBuf),
    Redirect(StatusCode, String),
    NotFound,
}

impl From<Target> for Resolved {
    fn from(target: Target) -> Self {
        Self { target, varies_by_language: false, language: None }
    }
}

/// The language variants a site has: `index.<lang>.html` files and `<lang>/index.html`
/// directories (two-letter codes, sorted), and whether it has a plain `index.html`.
#[derive(Debug, Default)]
struct Languages {
    variants: Vec<String>,
    dirs: Vec<String>,
    has_index: bool,
}

impl Site {
    pub fn new(prefix: String, dir: PathBuf) -> Self {
        Self { prefix, dir, languages: LanguageCache::default() }
    }

    /// Whether `path` is the prefix itself or lies below it.
    pub fn owns(&self, path: &str) -> bool {
        path.strip_prefix(&self.prefix).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    }

    /// Answers a request for a path this site owns.
    pub async fn respond(&self, req: Request) -> poem::Result<Response> {
        if req.method() != Method::GET && req.method() != Method::HEAD {
            return Err(poem::error::MethodNotAllowedError.into());
        }
        let rest = req.uri().path().get(self.prefix.len()..).unwrap_or_default().to_owned();
        let resolved = self.resolve(&rest, req.header(header::ACCEPT_LANGUAGE)).await;
        let mut resp = match resolved.target {
            Target::File(path) => frontends_file::send(req, &path).await?,
            Target::Redirect(status, location) => redirect(status, &location, req.uri().query()),
            Target::NotFound => return Err(poem::error::NotFoundError.into()),
        };
        if resolved.varies_by_language {
            resp.headers_mut().append(header::VARY, HeaderValue::from_static("accept-language"));
        }
        if let Some(language) = resolved.language.and_then(|l| HeaderValue::from_str(&l).ok()) {
            resp.headers_mut().insert(header::CONTENT_LANGUAGE, language);
        }
        Ok(resp)
    }

    /// `rest` is the raw path after the prefix.
    async fn resolve(&self, rest: &str, accept_language: Option<&str>) -> Resolved {
        if rest.is_empty() {
            return Target::Redirect(StatusCode::MOVED_PERMANENTLY, format!("{}/", self.prefix)).into();
        }
        let Some(rel) = clean_path(rest).filter(|r| !is_hidden(r)) else { return Target::NotFound.into() };
        if rel == INDEX && rest.ends_with('/') {
            return self.entry(&*self.languages().await, rest, accept_language);
        }
        let path = self.dir.join(&rel);
        if is_file(&path).await {
            return Target::File(path).into();
        }
        if !rest.ends_with('/') && is_file(&path.join(INDEX)).await {
            // NOTE: one leading slash, or `//docs` would send the browser to the host `docs`.
            let location = format!("{}/{}/", self.prefix, rest.trim_start_matches('/'));
            return Target::Redirect(StatusCode::MOVED_PERMANENTLY, location).into();
        }
        if !is_route(rest) {
            return Target::NotFound.into();
        }
        let languages = self.languages().await;
        // Inside a language directory, that directory is the SPA.
        let first = rel.split('/').next().unwrap_or_default();
        if languages.dirs.iter().any(|d| d == first) {
            return Target::File(self.dir.join(first).join(INDEX)).into();
        }
        self.entry(&languages, rest, accept_language)
    }

    /// The site's HTML entry point for `rest`: the best `index.<lang>.html` (default
    /// `index.html`, else the first variant), `index.html`, or a redirect to the best
    /// `<lang>/` directory.
    fn entry(&self, languages: &Languages, rest: &str, accept_language: Option<&str>) -> Resolved {
        if let Some(first) = languages.variants.first() {
            let chosen = best_language(accept_language, &languages.variants);
            let language = match chosen {
                None if languages.has_index => None,
                other => Some(other.unwrap_or(first).to_owned()),
            };
            let file = language.as_ref().map_or_else(|| INDEX.to_owned(), |l| format!("index.{l}.html"));
            return Resolved { target: Target::File(self.dir.join(file)), varies_by_language: true, language };
        }
        if languages.has_index {
            return Target::File(self.dir.join(INDEX)).into();
        }
        let Some(first) = languages.dirs.first() else { return Target::NotFound.into() };
        let language = best_language(accept_language, &languages.dirs).unwrap_or(first);
        let location = format!("{}/{language}/{}", self.prefix, rest.trim_start_matches('/'));
        Resolved { target: Target::Redirect(StatusCode::FOUND, location), varies_by_language: true, language: None }
    }

    async fn languages(&self) -> Arc<Languages> {
        let stamp = tokio::fs::metadata(&self.dir).await.and_then(|m| m.modified()).ok();
        if let (Some(stamp), Ok(cache)) = (stamp, self.languages.0.lock())
            && let Some((at, found)) = cache.as_ref()
            && *at == stamp
        {
            return found.clone();
        }
        let dir = self.dir.clone();
        let found = Arc::new(tokio::task::spawn_blocking(move || scan_languages(&dir)).await.unwrap_or_default());
        if let (Some(stamp), Ok(mut cache)) = (stamp, self.languages.0.lock()) {
            *cache = Some((stamp, found.clone()));
        }
        found
    }
}

fn scan_languages(dir: &Path) -> Languages {
    let mut found = Languages { has_index: dir.join(INDEX).is_file(), ..Languages::default() };
    let Ok(entries) = std::fs::read_dir(dir) else { return found };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let variant = name.strip_prefix("index.").and_then(|n| n.strip_suffix(".html")).filter(|l| is_language(l));
        if let Some(language) = variant {
            if entry.path().is_file() {
                found.variants.push(language.to_owned());
            }
        } else if is_language(name) && entry.path().join(INDEX).is_file() {
            found.dirs.push(name.to_owned());
        }
    }
    found.variants.sort_unstable();
    found.dirs.sort_unstable();
    found
}

/// A two-letter language code such as `de`.
fn is_language(name: &str) -> bool {
    name.len() == 2 && name.bytes().all(|b| b.is_ascii_alphabetic())
}

/// Dot files (`.git/`, `.env`) are never served; `.well-known/` is.
fn is_hidden(rel: &str) -> bool {
    rel.split('/').any(|s| s.starts_with('.') && s != ".well-known")
}

fn redirect(status: StatusCode, location: &str, query: Option<&str>) -> Response {
    let location = match query {
        Some(q) => format!("{location}?{q}"),
        None => location.to_owned(),
    };
    Response::builder().status(status).header(header::LOCATION, location).finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site_for_test(files: &[&str]) -> (tempfile::TempDir, Site) {
        let dir = tempfile::tempdir().expect("tempdir");
        for file in files {
            let path = dir.path().join(file);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, file).expect("write");
        }
        let site = Site::new("/it".to_owned(), dir.path().to_owned());
        (dir, site)
    }

    fn file(site: &Site, rel: &str) -> Target {
        Target::File(site.dir.join(rel))
    }

    #[tokio::test]
    async fn spa_fallback_and_directories() {
        let (_dir, site) = site_for_test(&["index.html", "app.js", "docs/index.html", ".env"]);
        assert_eq!(site.resolve("", None).await.target, Target::Redirect(StatusCode::MOVED_PERMANENTLY, "/it/".into()));
        assert_eq!(site.resolve("/", None).await.target, file(&site, "index.html"));
        assert_eq!(site.resolve("/app.js", None).await.target, file(&site, "app.js"));
        assert_eq!(site.resolve("/users/42", None).await.target, file(&site, "index.html"));
        assert_eq!(site.resolve("/users/", None).await.target, file(&site, "index.html"));
        assert_eq!(site.resolve("/missing.js", None).await.target, Target::NotFound);
        assert_eq!(site.resolve("/.env", None).await.target, Target::NotFound);
        assert_eq!(site.resolve("/../secret", None).await.target, Target::NotFound);
        let docs = site.resolve("/docs", None).await.target;
        assert_eq!(docs, Target::Redirect(StatusCode::MOVED_PERMANENTLY, "/it/docs/".into()));
        assert_eq!(site.resolve("/docs/", None).await.target, file(&site, "docs/index.html"));
        let root = Site::new(String::new(), site.dir.clone());
        let twice = root.resolve("//docs", None).await.target;
        assert_eq!(twice, Target::Redirect(StatusCode::MOVED_PERMANENTLY, "/docs/".into()), "not to the host docs");
    }

    #[tokio::test]
    async fn index_variants_by_accept_language() {
        let (_dir, site) = site_for_test(&["index.html", "index.de.html", "index.en.html"]);
        let de = site.resolve("/", Some("de-CH, en;q=0.5")).await;
        assert_eq!((de.target, de.varies_by_language), (file(&site, "index.de.html"), true));
        assert_eq!(de.language.as_deref(), Some("de"));
        let fallback = site.resolve("/deep/link", Some("fr, en;q=0.3")).await;
        assert_eq!(fallback.target, file(&site, "index.en.html"));
        let default = site.resolve("/", Some("fr")).await;
        assert_eq!((default.target, default.language), (file(&site, "index.html"), None));

        let (_dir, site) = site_for_test(&["index.en.html", "index.de.html"]);
        assert_eq!(site.resolve("/", None).await.target, file(&site, "index.de.html"), "first alphabetically");
    }

    #[tokio::test]
    async fn language_directories_by_accept_language() {
        let (_dir, site) = site_for_test(&["de/index.html", "en/index.html", "en/app.js", "assets/x.css"]);
        let root = site.resolve("/", Some("en-US,en;q=0.9")).await;
        assert_eq!(
            (root.target, root.varies_by_language),
            (Target::Redirect(StatusCode::FOUND, "/it/en/".into()), true)
        );
        let unknown = site.resolve("/", Some("fr")).await.target;
        assert_eq!(unknown, Target::Redirect(StatusCode::FOUND, "/it/de/".into()));
        assert_eq!(site.resolve("/en/", None).await.target, file(&site, "en/index.html"));
        assert_eq!(site.resolve("/en/users/1", None).await.target, file(&site, "en/index.html"));
        assert_eq!(site.resolve("/en/app.js", None).await.target, file(&site, "en/app.js"));
        let deep = site.resolve("/users/1", Some("en")).await.target;
        assert_eq!(deep, Target::Redirect(StatusCode::FOUND, "/it/en/users/1".into()));
    }

    #[test]
    fn prefixes_own_their_paths() {
        let site = Site::new("/it".to_owned(), PathBuf::new());
        assert!(site.owns("/it") && site.owns("/it/") && site.owns("/it/a/b"));
        assert!(!site.owns("/items") && !site.owns("/"));
    }
}
