//! What the dashboard and the frontends share: confined request paths, SPA routes, and the
//! cache policy of content-hashed names.

use std::path::{Component, Path};

pub const INDEX: &str = "index.html";
pub const CACHE_IMMUTABLE: &str = "public, max-age=31536000, immutable";
pub const CACHE_REVALIDATE: &str = "no-cache";

/// `Cache-Control` for a file name: a year for content-hashed names, revalidation for the rest
/// (HTML entry points above all, whose names never change).
pub fn cache_control(name: &str) -> &'static str {
    if is_hashed(name) { CACHE_IMMUTABLE } else { CACHE_REVALIDATE }
}

/// A relative path without `..`, `.` or root components; `dir/` and `` become `…/index.html`.
pub fn clean_path(raw: &str) -> Option<String> {
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

/// SPA routes have no extension in their last segment (`/users/42`, `/users/`); a missing
/// `app.js` is a broken link, not a route.
pub fn is_route(path: &str) -> bool {
    let last = path.rsplit('/').next().unwrap_or(path);
    !last.contains('.')
}

/// `app-3f9a2b1c.js`, `index.BzA3x9_c.css`: a build hash of 8+ characters before the extension.
pub fn is_hashed(name: &str) -> bool {
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    let hash = stem.rsplit(['.', '-']).next().unwrap_or("");
    stem.len() > hash.len()
        && hash.len() >= 8
        && hash.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && hash.chars().any(|c| c.is_ascii_digit())
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_confined() {
        assert_eq!(clean_path("/").as_deref(), Some("index.html"));
        assert_eq!(clean_path("").as_deref(), Some("index.html"));
        assert_eq!(clean_path("/a/b.js").as_deref(), Some("a/b.js"));
        assert_eq!(clean_path("/a/").as_deref(), Some("a/index.html"));
        assert_eq!(clean_path("/../etc/passwd"), None);
        assert_eq!(clean_path("/a/%2e%2e/%2e%2e/etc"), None);
        assert_eq!(clean_path("/a%00b"), None);
        assert_eq!(clean_path("/a%5c..%5cb"), None);
        assert_eq!(clean_path("/%zz"), None);
    }

    #[test]
    fn hashed_names_and_spa_routes() {
        assert!(is_hashed("index-BzA3x9_c.js"));
        assert!(is_hashed("app.3f9a2b1c.css"));
        assert!(!is_hashed("index.html"));
        assert!(!is_hashed("index.de.html"));
        assert!(!is_hashed("favicon.ico"));
        assert!(!is_hashed("collections.js"));
        assert_eq!(cache_control("app.3f9a2b1c.css"), CACHE_IMMUTABLE);
        assert_eq!(cache_control("index.html"), CACHE_REVALIDATE);
        assert!(is_route("collections/posts"));
        assert!(is_route("/users/"));
        assert!(!is_route("missing.js"));
    }
}
