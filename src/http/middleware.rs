//! Cross-cutting request handling: request ids and access logs, PocketBase-shaped errors,
//! body limits, gzip, panics.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use futures_util::StreamExt;
use poem::http::{HeaderName, HeaderValue, StatusCode, header};
use poem::web::{Compress, CompressionAlgo};
use poem::{Body, Endpoint, IntoResponse, Request, Response};

use super::error;
use super::openapi::RouteTable;
use crate::app::AppState;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A POST, PUT or PATCH without a body is an empty JSON object, as PocketBase reads it (with or
/// without a Content-Type): handlers then answer with their own validation errors, not 415.
pub async fn empty_body_is_json<E: Endpoint>(ep: Arc<E>, mut req: Request) -> poem::Result<Response> {
    use poem::http::Method;
    let writes = matches!(*req.method(), Method::POST | Method::PUT | Method::PATCH);
    if writes && has_no_body(&req) {
        let json = req.content_type().is_none_or(|ct| ct.split(';').next().is_some_and(|m| m.trim().ends_with("json")));
        if json {
            let headers = req.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            headers.insert(header::CONTENT_LENGTH, HeaderValue::from_static("2"));
            req.set_body(Body::from_string("{}".to_owned()));
        }
    }
    ep.call(req).await.map(IntoResponse::into_response)
}

/// No `Transfer-Encoding`, and a `Content-Length` that is absent or zero.
fn has_no_body(req: &Request) -> bool {
    let length = req.header(header::CONTENT_LENGTH).map(str::trim);
    !req.headers().contains_key(header::TRANSFER_ENCODING) && length.is_none_or(|l| l == "0")
}

/// Who a request authenticated as, filled in by the token check (for the request log).
#[derive(Clone, Default)]
pub struct AuthSlot(Arc<std::sync::OnceLock<(String, String)>>);

impl AuthSlot {
    /// Records the authenticated record's collection name and id.
    pub fn set(req: &Request, collection: &str, id: &str) {
        if let Some(slot) = req.extensions().get::<Self>() {
            let _ = slot.0.set((collection.to_owned(), id.to_owned()));
        }
    }
}

/// Per request: `X-Request-Id` (the caller's, when it is sane), metrics by route template, a
/// request log entry (PocketBase's `_logs`) and a trace line.
pub async fn observe<E: Endpoint>(ep: Arc<E>, mut req: Request, routes: Arc<RouteTable>) -> poem::Result<Response> {
    let id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map_or_else(|| crate::ids::random_from(b"abcdefghijklmnopqrstuvwxyz0123456789", 20), str::to_owned);
    let value = HeaderValue::from_str(&id).unwrap_or_else(|_| HeaderValue::from_static("invalid"));
    req.headers_mut().insert(REQUEST_ID, value.clone());
    let state = req.data::<AppState>().cloned();
    // The settings are cached: reading them per request costs a lock, not a query.
    let settings = match &state {
        Some(state) => state.settings.shared().await.ok(),
        None => None,
    };
    // Facts are only gathered while logging is on.
    let facts = settings.as_ref().filter(|s| s.logs.max_days > 0).map(|s| request_facts(&req, s));
    let slot = facts.is_some().then(AuthSlot::default);
    if let Some(slot) = &slot {
        req.extensions_mut().insert(slot.clone());
    }
    let (method, path) = (req.method().clone(), req.uri().path().to_owned());
    crate::telemetry::http_in_flight(1.0);
    let started = Instant::now();
    let mut resp = match ep.call(req).await {
        Ok(resp) => resp.into_response(),
        Err(err) => err.into_response(),
    };
    let elapsed = started.elapsed();
    crate::telemetry::http_in_flight(-1.0);
    resp.headers_mut().insert(REQUEST_ID, value);
    let status = resp.status().as_u16();
    crate::telemetry::http_request(routes.template(&path), method.as_str(), status, elapsed);
    let ms = elapsed.as_secs_f64() * 1000.0;
    if resp.status().is_server_error() {
        tracing::warn!(request_id = %id, %method, %path, status, ms, "request");
    } else {
        tracing::debug!(request_id = %id, %method, %path, status, ms, "request");
    }
    if let (Some(state), Some(settings), Some(mut facts)) = (state, settings, facts) {
        facts.status = status;
        facts.exec_time_ms = ms;
        facts.auth = slot.and_then(|s| s.0.get().cloned());
        resp = log_request(&state, &settings.logs, &path, facts, resp).await;
    }
    Ok(resp)
}

/// Queues the request's log entry (reading an error answer's message first).
async fn log_request(
    state: &AppState,
    settings: &crate::settings::Logs,
    path: &str,
    mut facts: crate::logs::RequestFacts,
    mut resp: Response,
) -> Response {
    // PocketBase leaves successful reads of the logs out of the logs.
    let reads_logs = facts.status < 400 && (path == "/api/logs" || path.starts_with("/api/logs/"));
    if reads_logs || !crate::logs::Logs::wants(settings, facts.status) {
        return resp;
    }
    if facts.status >= 400 {
        resp = with_error_details(resp, &mut facts).await;
    }
    state.logs.request(settings, facts);
    resp
}

/// What the request log keeps of a request, before it is answered.
fn request_facts(req: &Request, settings: &crate::settings::Settings) -> crate::logs::RequestFacts {
    let header = |name: header::HeaderName| req.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("");
    let cut = |s: &str, n: usize| s.chars().take(n).collect::<String>();
    crate::logs::RequestFacts {
        method: req.method().as_str().to_owned(),
        url: cut(req.uri().path_and_query().map_or_else(|| req.uri().path(), |pq| pq.as_str()), 3000),
        referer: cut(header(header::REFERER), 2000),
        user_agent: cut(header(header::USER_AGENT), 2000),
        user_ip: super::limits::client_ip(req, &settings.trusted_proxy),
        remote_ip: req.remote_addr().as_socket_addr().map(|a| a.ip().to_string()).unwrap_or_default(),
        ..crate::logs::RequestFacts::default()
    }
}

/// Reads an error answer's message and data into the log facts (error bodies are small JSON)
/// and gives the answer back unchanged.
async fn with_error_details(resp: Response, facts: &mut crate::logs::RequestFacts) -> Response {
    let json = resp.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    let small = resp
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
        .is_none_or(|n| n <= 64 << 10);
    if !json || !small || resp.headers().contains_key(header::CONTENT_ENCODING) {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let Ok(bytes) = body.into_bytes().await else { return Response::from_parts(parts, Body::empty()) };
    if let Ok(serde_json::Value::Object(err)) = serde_json::from_slice::<serde_json::Value>(&bytes) {
        facts.error = err.get("message").and_then(|m| m.as_str()).unwrap_or_default().to_owned();
        facts.details = err.get("data").filter(|d| d.as_object().is_some_and(|o| !o.is_empty())).cloned();
    }
    Response::from_parts(parts, Body::from_bytes(bytes))
}

/// Turns every error from below into PocketBase's shape (with `Allow` on 405).
pub fn errors<E: Endpoint + 'static>(ep: E, routes: Arc<RouteTable>) -> impl Endpoint<Output = Response> {
    poem::endpoint::EndpointExt::around(ep, move |ep, req| {
        let routes = routes.clone();
        async move {
            let path = req.uri().path().to_owned();
            Ok(match ep.call(req).await {
                Ok(resp) => resp.into_response(),
                Err(err) => {
                    let allow = (err.status() == StatusCode::METHOD_NOT_ALLOWED).then(|| routes.allow(&path)).flatten();
                    error::to_response(err, allow)
                }
            })
        }
    })
}

/// Refuses bodies over `limit` bytes: by `Content-Length` up front, and while streaming for
/// chunked bodies (the reader then fails and the answer is 413, not 400).
pub async fn body_limit<E: Endpoint>(ep: Arc<E>, mut req: Request, limit: u64) -> poem::Result<Response> {
    let declared =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(poem::Error::from_status(StatusCode::PAYLOAD_TOO_LARGE));
    }
    let exceeded = Arc::new(AtomicBool::new(false));
    if declared.is_none() {
        let flag = exceeded.clone();
        let mut seen = 0u64;
        let stream = req.take_body().into_bytes_stream().map(move |chunk| {
            let chunk = chunk?;
            seen += chunk.len() as u64;
            if seen > limit {
                flag.store(true, Ordering::Relaxed);
                return Err(std::io::Error::other("request body too large"));
            }
            Ok(chunk)
        });
        req.set_body(Body::from_bytes_stream(stream));
    }
    let result = ep.call(req).await.map(IntoResponse::into_response);
    if exceeded.load(Ordering::Relaxed) {
        return Err(poem::Error::from_status(StatusCode::PAYLOAD_TOO_LARGE));
    }
    result
}

/// Gzips JSON, text and script responses of 1 KiB or more when the client accepts it (`q` above
/// 0); never event streams, byte ranges, 304s or answers that already have a Content-Encoding
/// (precompressed files). A strong ETag becomes weak: the gzipped bytes are not the file's.
pub async fn gzip<E: Endpoint>(ep: Arc<E>, req: Request) -> poem::Result<Response> {
    let accepts = super::negotiate::encoding_weight(req.header(header::ACCEPT_ENCODING), "gzip") > 0.0;
    let is_head = req.method() == poem::http::Method::HEAD;
    let mut resp = ep.call(req).await?.into_response();
    if is_event_stream(&resp) {
        // Proxies must neither buffer nor cache the realtime stream.
        resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        resp.headers_mut().insert(HeaderName::from_static("x-accel-buffering"), HeaderValue::from_static("no"));
        return Ok(resp);
    }
    if !accepts || is_head || !compressible(&resp) {
        return Ok(resp);
    }
    // Compressible answers are built in memory: small ones go out as they are (with a
    // Content-Length), where gzip would cost both sides more than it saves.
    let (parts, body) = resp.into_parts();
    let bytes = body
        .into_bytes()
        .await
        .map_err(|e| poem::Error::from_string(e.to_string(), StatusCode::INTERNAL_SERVER_ERROR))?;
    if bytes.len() < COMPRESS_MIN {
        return Ok(Response::from_parts(parts, Body::from_bytes(bytes)));
    }
    let resp = Response::from_parts(parts, Body::from_bytes(bytes));
    let mut resp = Compress::new(resp, CompressionAlgo::GZIP).into_response();
    let headers = resp.headers_mut();
    let varies = headers
        .get_all(header::VARY)
        .iter()
        .any(|v| v.to_str().is_ok_and(|v| v.split(',').any(|n| n.trim().eq_ignore_ascii_case("accept-encoding"))));
    if !varies {
        headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    let strong = headers.get(header::ETAG).filter(|e| e.as_bytes().starts_with(b"\""));
    if let Some(weak) = strong.and_then(|e| HeaderValue::from_bytes(&[b"W/", e.as_bytes()].concat()).ok()) {
        headers.insert(header::ETAG, weak);
    }
    Ok(resp)
}

/// Bodies smaller than this are sent uncompressed.
const COMPRESS_MIN: usize = 1024;

fn is_event_stream(resp: &Response) -> bool {
    resp.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/event-stream"))
}

fn compressible(resp: &Response) -> bool {
    let partial = matches!(resp.status(), StatusCode::NOT_MODIFIED | StatusCode::PARTIAL_CONTENT);
    if partial || resp.headers().contains_key(header::CONTENT_ENCODING) {
        return false;
    }
    let Some(ct) = resp.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let ct = ct.split(';').next().unwrap_or("").trim();
    ct != "text/event-stream"
        && (ct.starts_with("text/")
            || ct.ends_with("json")
            || ct.ends_with("javascript")
            || ct.ends_with("xml")
            || ct == "image/svg+xml"
            || ct == "application/wasm")
}

/// A panicking handler answers 500 in PocketBase's shape; the process keeps serving.
pub fn panic_response(_: Box<dyn std::any::Any + Send>) -> Response {
    tracing::error!("a request handler panicked");
    error::response(StatusCode::INTERNAL_SERVER_ERROR, error::MSG_INTERNAL, serde_json::json!({}))
}

#[cfg(test)]
mod tests {
    use poem::middleware::CatchPanic;
    use poem::{EndpointExt, handler};

    use super::*;

    #[handler]
    #[allow(clippy::unused_async)]
    async fn boom() -> &'static str {
        panic!("handler bug")
    }

    #[tokio::test]
    async fn a_panicking_handler_answers_500_and_the_server_lives_on() {
        let ep = poem::Route::new().at("/", poem::get(boom)).with(CatchPanic::new().with_handler(panic_response));
        for _ in 0..2 {
            let resp = ep.call(Request::builder().uri_str("/").finish()).await.expect("caught");
            assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
            let body: serde_json::Value = resp.into_body().into_json().await.expect("json");
            assert_eq!(body["status"], 500);
            assert_eq!(body["message"], error::MSG_INTERNAL);
        }
    }

    #[test]
    fn only_text_like_bodies_are_compressed() {
        let of = |ct: &str| Response::builder().content_type(ct).finish();
        assert!(compressible(&of("application/json")));
        assert!(compressible(&of("text/html; charset=utf-8")));
        assert!(!compressible(&of("text/event-stream")));
        assert!(!compressible(&of("image/png")));
        let encoded = Response::builder().content_type("text/html").header(header::CONTENT_ENCODING, "br").finish();
        assert!(!compressible(&encoded));
        let range = Response::builder().status(StatusCode::PARTIAL_CONTENT).content_type("text/html").finish();
        assert!(!compressible(&range));
    }

    #[tokio::test]
    async fn gzip_weakens_etags_and_respects_q0() {
        let page = "<p>hello</p>".repeat(200);
        let ep = poem::Route::new().at(
            "/",
            poem::get(poem::endpoint::make_sync(move |_| {
                Response::builder().content_type("text/html").header(header::ETAG, "\"abc\"").body(page.clone())
            })),
        );
        let ep = ep.around(gzip);
        let call = |accept: &'static str| {
            let req = Request::builder().uri_str("/").header(header::ACCEPT_ENCODING, accept).finish();
            ep.call(req)
        };
        let gzipped = call("gzip, br").await.expect("answer");
        assert_eq!(gzipped.headers()[header::CONTENT_ENCODING], "gzip");
        assert_eq!(gzipped.headers()[header::ETAG], "W/\"abc\"");
        let plain = call("gzip;q=0, br").await.expect("answer");
        assert!(!plain.headers().contains_key(header::CONTENT_ENCODING));
        assert_eq!(plain.headers()[header::ETAG], "\"abc\"");
    }
}
