//! The duties of the reverse proxy in front of an API: answering ACME HTTP-01 challenges,
//! redirecting HTTP to HTTPS and between `www.` and the apex domain, HSTS, and keeping the
//! dashboard and superuser API off the public listeners when `--admin-http` is given.

use std::sync::Arc;

use poem::http::{HeaderValue, Method, StatusCode, header};
use poem::web::Data;
use poem::{Endpoint, IntoResponse, Request, Response, handler};

use super::error;
use crate::app::AppState;
use crate::config::Config;

/// What a listener serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listener {
    /// The only listener: everything.
    All,
    /// A public listener while `--admin-http` serves the admin surface elsewhere.
    Public,
    /// The `--admin-http` listener: everything.
    Admin,
}

const CHALLENGE_PREFIX: &str = "/.well-known/acme-challenge/";
const HSTS: &str = "max-age=31536000";

/// `GET /.well-known/acme-challenge/{token}`: the key authorization of a pending HTTP-01
/// challenge.
#[handler]
pub fn acme_challenge(req: &Request, Data(state): Data<&AppState>) -> Response {
    let token = req.uri().path().strip_prefix(CHALLENGE_PREFIX).unwrap_or_default();
    match state.tls.as_ref().and_then(|t| t.challenge(token)) {
        Some(answer) => Response::builder().content_type("application/octet-stream").body(answer),
        None => not_found(),
    }
}

fn not_found() -> Response {
    error::response(StatusCode::NOT_FOUND, "The requested resource wasn't found.", serde_json::json!({}))
}

/// The request's host name, lowercase, without a port.
fn host(req: &Request) -> Option<String> {
    let raw = req.uri().host().map(str::to_owned).or_else(|| req.header(header::HOST).map(str::to_owned))?;
    let name = if raw.starts_with('[') {
        raw.split_inclusive(']').next().unwrap_or(&raw).to_owned()
    } else {
        raw.split(':').next().unwrap_or(&raw).to_owned()
    };
    Some(name.to_ascii_lowercase())
}

/// Where to send a request for `host`: `www.` added or dropped as configured, and a host
/// outside the configured domains replaced by the first of them.
fn canonical_host(config: &Config, host: Option<String>) -> String {
    let domains = &config.tls.domains;
    let host = match host {
        Some(h) if domains.is_empty() || domains.contains(&h) => h,
        _ => domains.first().cloned().unwrap_or_default(),
    };
    match config.tls.www_redirect.as_str() {
        "apex" => host.strip_prefix("www.").map(str::to_owned).unwrap_or(host),
        "www" if !host.starts_with("www.") && !host.is_empty() => format!("www.{host}"),
        _ => host,
    }
}

fn redirect(req: &Request, host: &str, https_port: u16) -> Response {
    let port = if https_port == 443 { String::new() } else { format!(":{https_port}") };
    let path = req.uri().path_and_query().map_or("/", |p| p.as_str());
    // 308 keeps the method and body of non-GET requests.
    let status = if matches!(*req.method(), Method::GET | Method::HEAD) {
        StatusCode::MOVED_PERMANENTLY
    } else {
        StatusCode::PERMANENT_REDIRECT
    };
    Response::builder().status(status).header(header::LOCATION, format!("https://{host}{port}{path}")).finish()
}

/// The plain HTTP listener while TLS is on: ACME challenges and health probes (load balancers
/// and `croft healthcheck` probe over plain HTTP) are answered,
/// everything else is redirected to HTTPS.
pub async fn to_https<E: Endpoint>(
    ep: Arc<E>,
    req: Request,
    config: Arc<Config>,
    https_port: u16,
) -> poem::Result<Response> {
    let path = req.uri().path();
    if path.starts_with(CHALLENGE_PREFIX) || path == "/api/health" || path == "/api/ready" {
        return ep.call(req).await.map(IntoResponse::into_response);
    }
    let host = canonical_host(&config, host(&req));
    if host.is_empty() {
        return Ok(error::response(StatusCode::BAD_REQUEST, "The request has no Host header.", serde_json::json!({})));
    }
    Ok(redirect(&req, &host, https_port))
}

/// The HTTPS listener: the `www.` redirect and HSTS.
pub async fn https_extras<E: Endpoint>(ep: Arc<E>, req: Request, config: Arc<Config>) -> poem::Result<Response> {
    if !config.tls.www_redirect.is_empty() {
        let host = host(&req);
        let wanted = canonical_host(&config, host.clone());
        if host.is_some_and(|h| h != wanted) && !req.uri().path().starts_with(CHALLENGE_PREFIX) {
            let port = req.local_addr().as_socket_addr().map_or(443, std::net::SocketAddr::port);
            return Ok(redirect(&req, &wanted, port));
        }
    }
    let mut resp = ep.call(req).await.map(IntoResponse::into_response)?;
    if config.tls.hsts {
        resp.headers_mut().insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS));
    }
    Ok(resp)
}

/// Marks a request that arrived on a public listener while an admin listener exists: such
/// requests may not act as a superuser.
#[derive(Debug, Clone, Copy)]
pub struct PublicListener;

/// A public listener beside `--admin-http`: the dashboard, Swagger UI and the superuser API
/// answer 404, and superuser tokens are refused (see [`PublicListener`]).
pub async fn public_only<E: Endpoint>(ep: Arc<E>, mut req: Request) -> poem::Result<Response> {
    if is_admin_path(req.uri().path()) {
        return Ok(not_found());
    }
    req.extensions_mut().insert(PublicListener);
    ep.call(req).await.map(IntoResponse::into_response)
}

/// The dashboard, Swagger UI, and the routes only a superuser may call (including signing in
/// as one).
fn is_admin_path(path: &str) -> bool {
    let parts: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
    let superusers = |c: &str| c == crate::auth::SUPERUSERS || c == crate::auth::SUPERUSERS_ID;
    match parts.as_slice() {
        ["_", ..] => true,
        ["api", "docs", ..] => true,
        ["api", "settings" | "logs" | "backups" | "crons" | "sql" | "keys", ..] => true,
        ["api", "collections"] => true,
        ["api", "collections", c, ..] if superusers(c) => true,
        ["api", "collections", "import" | "meta", ..] => true,
        ["api", "collections", _] | ["api", "collections", _, "truncate"] => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_paths() {
        for p in [
            "/_/",
            "/_",
            "/api/docs",
            "/api/settings",
            "/api/logs/stats",
            "/api/backups/x.zip",
            "/api/collections",
            "/api/collections/posts",
            "/api/collections/posts/truncate",
            "/api/collections/import",
            "/api/collections/_superusers/auth-with-password",
            "/api/collections/pbc_3142635823/records",
            "/api/crons",
            "/api/sql",
            "/api/keys",
        ] {
            assert!(is_admin_path(p), "{p}");
        }
        for p in [
            "/",
            "/api/health",
            "/api/collections/posts/records",
            "/api/collections/users/auth-with-password",
            "/api/files/posts/1/a.png",
            "/api/realtime",
            "/api/batch",
            "/api/openapi.json",
            "/it/app",
        ] {
            assert!(!is_admin_path(p), "{p}");
        }
    }

    #[test]
    fn canonical_hosts() {
        let mut config = Config::default();
        config.tls.domains = vec!["example.com".into(), "www.example.com".into()];
        assert_eq!(canonical_host(&config, Some("www.example.com".into())), "www.example.com");
        assert_eq!(canonical_host(&config, Some("evil.test".into())), "example.com");
        config.tls.www_redirect = "apex".into();
        assert_eq!(canonical_host(&config, Some("www.example.com".into())), "example.com");
        config.tls.www_redirect = "www".into();
        assert_eq!(canonical_host(&config, Some("example.com".into())), "www.example.com");
        assert_eq!(canonical_host(&config, None), "www.example.com");
    }
}
