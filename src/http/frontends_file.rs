//! One file of a frontend, from disk: a precompressed sibling (`app.js.br`, `app.js.gz`) when
//! the client accepts it, strong ETags (one per encoding) and Last-Modified answered with 304,
//! and the cache policy of its name. Ranges, `If-Match` and `If-Unmodified-Since` are left to
//! poem's [`StaticFileRequest`].

use std::path::{Path, PathBuf};

use poem::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use poem::web::StaticFileRequest;
use poem::web::headers::{ETag, HeaderMapExt, IfModifiedSince, IfNoneMatch, LastModified};
use poem::{FromRequest, IntoResponse, Request, Response};

use super::negotiate::encoding_weight;
use super::static_files::cache_control;

/// Precompressed siblings as (file suffix, coding), preferred in this order when weights tie.
const SIBLINGS: &[(&str, &str)] = &[("br", "br"), ("gz", "gzip")];

/// Headers a 304 repeats from the 200 it stands for.
const KEPT_ON_304: &[HeaderName] = &[header::ETAG, header::LAST_MODIFIED, header::CACHE_CONTROL, header::VARY];

/// Answers `req` with the file at `path`, which exists.
pub async fn send(mut req: Request, path: &Path) -> poem::Result<Response> {
    let chosen = representation(&req, path).await;
    // NOTE: 304s are decided here rather than by poem, so that they carry the ETag, the cache
    // policy and Vary of the answer they stand for.
    let conditions = take_headers(&mut req, &[header::IF_NONE_MATCH, header::IF_MODIFIED_SINCE]);
    let statics = StaticFileRequest::from_request_without_body(&req).await?;
    let mut resp = statics.create_response(&chosen.path, true, false)?.into_response();
    let headers = resp.headers_mut();
    headers.insert(header::CONTENT_TYPE, content_type(path));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache_control(&file_name(path))));
    if let Some(coding) = chosen.coding {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
    }
    if chosen.has_siblings {
        headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    if is_fresh(&conditions, resp.headers()) {
        return Ok(not_modified(&resp));
    }
    Ok(resp)
}

pub async fn is_file(path: &Path) -> bool {
    tokio::fs::metadata(path).await.is_ok_and(|m| m.is_file())
}

pub fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

/// The file to send for `path`: itself or a precompressed sibling.
struct Representation {
    path: PathBuf,
    coding: Option<&'static str>,
    /// Whether any sibling exists, so the answer depends on `Accept-Encoding`.
    has_siblings: bool,
}

async fn representation(req: &Request, path: &Path) -> Representation {
    let accept = req.header(header::ACCEPT_ENCODING);
    let mut best: Option<(f32, PathBuf, &'static str)> = None;
    let mut has_siblings = false;
    for (suffix, coding) in SIBLINGS {
        let mut sibling = path.as_os_str().to_owned();
        sibling.push(format!(".{suffix}"));
        let sibling = PathBuf::from(sibling);
        if !is_file(&sibling).await {
            continue;
        }
        has_siblings = true;
        let weight = encoding_weight(accept, coding);
        if weight > 0.0 && best.as_ref().is_none_or(|(w, _, _)| weight > *w) {
            best = Some((weight, sibling, coding));
        }
    }
    match best {
        Some((_, sibling, coding)) => Representation { path: sibling, coding: Some(coding), has_siblings },
        None => Representation { path: path.to_owned(), coding: None, has_siblings },
    }
}

/// Removes the `names` headers from `req` and returns them.
fn take_headers(req: &mut Request, names: &[HeaderName]) -> HeaderMap {
    let mut taken = HeaderMap::new();
    for name in names {
        for value in req.headers().get_all(name) {
            taken.append(name.clone(), value.clone());
        }
        req.headers_mut().remove(name);
    }
    taken
}

/// `If-None-Match` (weak comparison, as RFC 9110 asks) or else `If-Modified-Since` says the
/// client's copy is current.
fn is_fresh(conditions: &HeaderMap, answer: &HeaderMap) -> bool {
    if let Some(tags) = conditions.typed_get::<IfNoneMatch>() {
        return answer.typed_get::<ETag>().is_some_and(|etag| !tags.precondition_passes(&etag));
    }
    match (conditions.typed_get::<IfModifiedSince>(), answer.typed_get::<LastModified>()) {
        (Some(since), Some(modified)) => !since.is_modified(modified.into()),
        _ => false,
    }
}

fn not_modified(full: &Response) -> Response {
    let mut resp = Response::builder().status(StatusCode::NOT_MODIFIED).finish();
    for name in KEPT_ON_304 {
        for value in full.headers().get_all(name) {
            resp.headers_mut().append(name.clone(), value.clone());
        }
    }
    resp
}

/// The type of the original file (not of its `.br`), text in UTF-8.
fn content_type(path: &Path) -> HeaderValue {
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let text = mime.type_() == "text" || mime.subtype() == "javascript";
    let value =
        if text && mime.get_param("charset").is_none() { format!("{mime}; charset=utf-8") } else { mime.to_string() };
    HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static("application/octet-stream"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_the_original_name() {
        assert_eq!(content_type(Path::new("a/app.js")), "text/javascript; charset=utf-8");
        assert_eq!(content_type(Path::new("index.html")), "text/html; charset=utf-8");
        assert_eq!(content_type(Path::new("logo.png")), "image/png");
        assert_eq!(content_type(Path::new("LICENSE")), "application/octet-stream");
    }

    #[test]
    fn if_none_match_wins_over_if_modified_since() {
        let mut answer = HeaderMap::new();
        answer.insert(header::ETAG, HeaderValue::from_static("\"a\""));
        answer.insert(header::LAST_MODIFIED, HeaderValue::from_static("Sun, 06 Nov 1994 08:49:37 GMT"));
        let conditions = |pairs: &[(HeaderName, &'static str)]| {
            let mut map = HeaderMap::new();
            for (name, value) in pairs {
                map.insert(name.clone(), HeaderValue::from_static(value));
            }
            map
        };
        let later = "Mon, 07 Nov 1994 08:49:37 GMT";
        let earlier = "Sat, 05 Nov 1994 08:49:37 GMT";
        assert!(is_fresh(&conditions(&[(header::IF_NONE_MATCH, "W/\"a\"")]), &answer));
        assert!(is_fresh(&conditions(&[(header::IF_NONE_MATCH, "*")]), &answer));
        assert!(!is_fresh(
            &conditions(&[(header::IF_NONE_MATCH, "\"b\""), (header::IF_MODIFIED_SINCE, later)]),
            &answer
        ));
        assert!(is_fresh(&conditions(&[(header::IF_MODIFIED_SINCE, later)]), &answer));
        assert!(!is_fresh(&conditions(&[(header::IF_MODIFIED_SINCE, earlier)]), &answer));
        assert!(!is_fresh(&HeaderMap::new(), &answer));
    }
}
