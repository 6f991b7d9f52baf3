//! Static files: the embedded dashboard at `/_/` and the team's own site from `--public-dir`.
//!
//! Both get ETags, `no-cache` for HTML entry points, a year of `immutable` caching for
//! content-hashed file names, HEAD, and SPA fallback to `index.html` for paths without an
//! extension.

use std::path::{Component, Path, PathBuf};

use poem::http::{HeaderValue, Method, StatusCode, header};
use poem::web::StaticFileRequest;
use poem::{Endpoint, FromRequest, IntoResponse, Request, Response, handler};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "assets/dashboard"]
struct Dashboard;

const INDEX: &str = "index.html";
const CACHE_IMMUTABLE: &str = "public, max-age=31536000, immutable";
const CACHE_REVALIDATE: &str = "no-cache";

/// `GET|HEAD /_/*path`: the embedded dashboard.
#[handler]
pub fn dashboard(req: &Request) -> poem::Result<Response> {
    if req.uri().path() == "/_" {
        return Ok(redirect_to_dashboard());
    }
    let Some(path) = clean_path(req.uri().path().strip_prefix("/_").unwrap_or_default()) else {
        return Err(poem::error::NotFoundError.into());
    };
    let file = Dashboard::get(&path)
        .map(|f| (path.clone(), f))
        .or_else(|| spa_fallback(&path).and_then(|_| Dashboard::get(INDEX).map(|f| (INDEX.to_owned(), f))));
    let Some((name, file)) = file else {
        return Err(poem::error::NotFoundError.into());
    };
    let etag = format!("\"{}\"", hex(&file.metadata.sha256_hash()[..16]));
    Ok(respond(req, &name, file.metadata.mimetype(), &etag, file.data.into_owned()))
}

fn redirect_to_dashboard() -> Response {
    Response::builder().status(StatusCode::FOUND).header(header::LOCATION, "/_/").finish()
}

/// `GET|HEAD /*path`: files of `--public-dir`; without one, `/` redirects to the dashboard.
pub struct PublicSite {
    root: Option<PathBuf>,
}

impl PublicSite {
    pub fn new(root: Option<PathBuf>) -> anyhow::Result<Self> {
        if let Some(dir) = &root
            && !dir.is_dir()
        {
            anyhow::bail!("--public-dir {} is not a directory; create it or drop the flag", dir.display());
        }
        Ok(Self { root })
    }
}

impl Endpoint for PublicSite {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        if req.method() != Method::GET && req.method() != Method::HEAD {
            return Err(poem::error::MethodNotAllowedError.into());
        }
        let Some(root) = &self.root else {
            return if req.uri().path() == "/" {
                Ok(redirect_to_dashboard())
            } else {
                Err(poem::error::NotFoundError.into())
            };
        };
        let Some(rel) = clean_path(req.uri().path()) else { return Err(poem::error::NotFoundError.into()) };
        let mut path = root.join(&rel);
        if !is_file(&path).await {
            if spa_fallback(&rel).is_none() {
                return Err(poem::error::NotFoundError.into());
            }
            path = root.join(INDEX);
        }
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let (req, mut body) = req.split();
        let static_req = StaticFileRequest::from_request(&req, &mut body).await?;
        let mut resp =
            static_req.create_response(&path, true, false).map_err(|_| poem::error::NotFoundError)?.into_response();
        let cache = if is_hashed(&name) { CACHE_IMMUTABLE } else { CACHE_REVALIDATE };
        resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
        Ok(resp)
    }
}

async fn is_file(path: &Path) -> bool {
    tokio::fs::metadata(path).await.is_ok_and(|m| m.is_file())
}

fn respond(req: &Request, name: &str, mime: &str, etag: &str, data: Vec<u8>) -> Response {
    let cache = if is_hashed(name) { CACHE_IMMUTABLE } else { CACHE_REVALIDATE };
    let builder = Response::builder().header(header::ETAG, etag).header(header::CACHE_CONTROL, cache);
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if matches {
        return builder.status(StatusCode::NOT_MODIFIED).finish();
    }
    let builder = builder.content_type(mime);
    if req.method() == Method::HEAD {
        return builder.header(header::CONTENT_LENGTH, data.len()).finish();
    }
    builder.body(data)
}

/// A relative path without `..`, `.` or root components; `dir/` and `` become `…/index.html`.
fn clean_path(raw: &str) -> Option<String> {
    let decoded = percent_decode(raw)?;
    let mut parts = Vec::new();
    for comp in Path::new(&decoded).components() {
        match comp {
            Component::Normal(p) => parts.push(p.to_str()?.to_owned()),
            Component::RootDir => {}
            Component::CurDir | Component::ParentDir | Component::Prefix(_) => return None,
        }
    }
    if decoded.ends_with('/') || parts.is_empty() {
        parts.push(INDEX.to_owned());
    }
    Some(parts.join("/"))
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hexs = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hexs, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    let text = String::from_utf8(out).ok()?;
    (!text.contains('\0') && !text.contains('\\')).then_some(text)
}

/// SPA routes have no extension in their last segment.
fn spa_fallback(path: &str) -> Option<()> {
    let last = path.rsplit('/').next().unwrap_or(path);
    (!last.contains('.')).then_some(())
}

/// `app-3f9a2b1c.js`, `index.BzA3x9_c.css`: a build hash of 8+ characters before the extension.
fn is_hashed(name: &str) -> bool {
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    let hash = stem.rsplit(['.', '-']).next().unwrap_or("");
    stem.len() > hash.len()
        && hash.len() >= 8
        && hash.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && hash.chars().any(|c| c.is_ascii_digit())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_confined() {
        assert_eq!(clean_path("/").as_deref(), Some("index.html"));
        assert_eq!(clean_path("/a/b.js").as_deref(), Some("a/b.js"));
        assert_eq!(clean_path("/a/").as_deref(), Some("a/index.html"));
        assert_eq!(clean_path("/../etc/passwd"), None);
        assert_eq!(clean_path("/a/%2e%2e/%2e%2e/etc"), None);
        assert_eq!(clean_path("/a%00b"), None);
        assert_eq!(clean_path("/%zz"), None);
    }

    #[test]
    fn hashed_names_and_spa_routes() {
        assert!(is_hashed("index-BzA3x9_c.js"));
        assert!(is_hashed("app.3f9a2b1c.css"));
        assert!(!is_hashed("index.html"));
        assert!(!is_hashed("favicon.ico"));
        assert!(!is_hashed("collections.js"));
        assert!(spa_fallback("collections/posts").is_some());
        assert!(spa_fallback("missing.js").is_none());
    }
}
