//! The embedded dashboard at `/_/`: ETags, `no-cache` for the HTML entry point, a year of
//! `immutable` caching for content-hashed file names, HEAD, and SPA fallback to `index.html`
//! for paths without an extension. The team's own sites are in [`super::frontends`].

use poem::http::{Method, StatusCode, header};
use poem::{Request, Response, handler};
use rust_embed::RustEmbed;

use super::static_files::{INDEX, cache_control, clean_path, hex, is_route};

#[derive(RustEmbed)]
#[folder = "assets/dashboard"]
struct Dashboard;

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
        .or_else(|| is_route(&path).then(|| Dashboard::get(INDEX).map(|f| (INDEX.to_owned(), f))).flatten());
    let Some((name, file)) = file else {
        return Err(poem::error::NotFoundError.into());
    };
    let etag = format!("\"{}\"", hex(&file.metadata.sha256_hash()[..16]));
    Ok(respond(req, &name, file.metadata.mimetype(), &etag, file.data.into_owned()))
}

pub fn redirect_to_dashboard() -> Response {
    Response::builder().status(StatusCode::FOUND).header(header::LOCATION, "/_/").finish()
}

fn respond(req: &Request, name: &str, mime: &str, etag: &str, data: Vec<u8>) -> Response {
    let builder = Response::builder().header(header::ETAG, etag).header(header::CACHE_CONTROL, cache_control(name));
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
