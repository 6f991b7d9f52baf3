//! Rate limits: PocketBase's `rateLimits` settings (rules by path or `collection:tag`, audience,
//! excluded IPs) applied to every request, and an always-on guard against password guessing.
//! The client IP is the socket's, unless `trustedProxy.headers` names headers to trust.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use poem::http::StatusCode;
use poem::{Endpoint, IntoResponse, Request, Response};

use crate::app::AppState;

pub use crate::limits::{FAILURE_WINDOW, Limiter, MAX_FAILURES, RateLimitRule, RateLimits, TrustedProxy};

/// The client's IP: the first trusted proxy header that parses, else the socket peer.
pub fn client_ip(req: &Request, proxy: &TrustedProxy) -> String {
    for name in &proxy.headers {
        if let Some(value) = req.header(name) {
            let mut ips = value.split(',').map(str::trim).filter(|s| s.parse::<IpAddr>().is_ok());
            let ip = if proxy.use_leftmost_ip { ips.next() } else { ips.next_back() };
            if let Some(ip) = ip {
                return ip.to_owned();
            }
        }
    }
    req.remote_addr().as_socket_addr().map(|a| a.ip().to_string()).unwrap_or_default()
}

/// The tag of a record route, for `collection:tag` rules.
fn tag(method: &str, parts: &[&str]) -> Option<&'static str> {
    Some(match (method, parts) {
        ("GET", ["api", "collections", _, "records"]) => "list",
        ("GET", ["api", "collections", _, "records", _]) => "view",
        ("POST", ["api", "collections", _, "records"]) => "create",
        ("PATCH", ["api", "collections", _, "records", _]) => "update",
        ("DELETE", ["api", "collections", _, "records", _]) => "delete",
        ("POST", ["api", "collections", _, a]) if a.starts_with("auth-with-") || *a == "request-otp" => "auth",
        ("GET", ["api", "files", _, _, _]) => "file",
        _ => return None,
    })
}

/// The rule that applies to a request, PocketBase's order: `collection:tag`, `*:tag`,
/// `METHOD /path`, `/path` (longest prefix wins among prefixes).
fn find<'a>(limits: &'a RateLimits, req: &Request, signed_in: bool) -> Option<&'a RateLimitRule> {
    let path = req.uri().path();
    let method = req.method().as_str();
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let audience_ok = |r: &RateLimitRule| match r.audience.as_str() {
        "@guest" => !signed_in,
        "@auth" => signed_in,
        _ => true,
    };
    let mut labels = Vec::new();
    if let (Some(tag), Some(coll)) = (tag(method, &parts), parts.get(2)) {
        labels.push(format!("{coll}:{tag}"));
        labels.push(format!("*:{tag}"));
    }
    labels.push(format!("{method} {path}"));
    labels.push(path.to_owned());
    for label in &labels {
        if let Some(rule) = limits.rules.iter().find(|r| r.label == *label && audience_ok(r)) {
            return Some(rule);
        }
    }
    let prefix_of = |r: &RateLimitRule| {
        let (m, p) = r.label.split_once(' ').map_or((None, r.label.as_str()), |(m, p)| (Some(m), p));
        p.ends_with('/') && path.starts_with(p) && m.is_none_or(|m| m.eq_ignore_ascii_case(method))
    };
    limits.rules.iter().filter(|r| prefix_of(r) && audience_ok(r)).max_by_key(|r| r.label.len())
}

/// The settings' verdict on a request: `Some(rule label)` when it is over a limit.
pub fn check(state: &AppState, settings: &crate::settings::Settings, req: &Request, signed_in: bool) -> bool {
    let limits = &settings.rate_limits;
    if !limits.enabled {
        return true;
    }
    let ip = client_ip(req, &settings.trusted_proxy);
    if limits.excluded_ips.iter().any(|x| ip_in(x, &ip)) {
        return true;
    }
    let Some(rule) = find(limits, req, signed_in) else { return true };
    let key = format!("{}{}|{ip}", rule.label, rule.audience);
    state.limiter.hit(&key, rule.max_requests, Duration::from_secs(rule.duration.max(1)))
}

fn ip_in(item: &str, ip: &str) -> bool {
    let Ok(addr) = ip.parse::<IpAddr>() else { return false };
    match item.split_once('/') {
        Some((net, bits)) => match (net.parse::<IpAddr>(), bits.parse::<u32>()) {
            (Ok(IpAddr::V4(n)), Ok(b)) if b <= 32 => match addr {
                IpAddr::V4(a) => b == 0 || (u32::from(a) >> (32 - b)) == (u32::from(n) >> (32 - b)),
                IpAddr::V6(_) => false,
            },
            (Ok(IpAddr::V6(n)), Ok(b)) if b <= 128 => match addr {
                IpAddr::V6(a) => b == 0 || (u128::from(a) >> (128 - b)) == (u128::from(n) >> (128 - b)),
                IpAddr::V4(_) => false,
            },
            _ => false,
        },
        None => item.parse::<IpAddr>().is_ok_and(|i| i == addr),
    }
}

/// Applies the `rateLimits` settings (429 in PocketBase's shape); superusers are never limited.
pub async fn rate_limit<E: Endpoint>(ep: Arc<E>, req: Request) -> poem::Result<Response> {
    let Some(state) = req.data::<crate::app::AppState>().cloned() else {
        return ep.call(req).await.map(IntoResponse::into_response);
    };
    let settings = state
        .settings
        .shared()
        .await
        .map_err(|e| poem::Error::from_string(e.to_string(), StatusCode::INTERNAL_SERVER_ERROR))?;
    if settings.rate_limits.enabled {
        let token = req
            .header("authorization")
            .map(|t| t.trim_start_matches("Bearer ").trim_start_matches("bearer ").trim().to_owned());
        let principal = match token.filter(|t| !t.is_empty()) {
            Some(t) => crate::auth::authenticate_token(&state.auth, &t).await.ok().flatten(),
            None => None,
        };
        let superuser = principal.as_ref().is_some_and(crate::auth::Principal::is_superuser);
        if !superuser && !check(&state, &settings, &req, principal.is_some()) {
            crate::telemetry::rate_limited();
            return Err(poem::Error::from_status(StatusCode::TOO_MANY_REQUESTS));
        }
    }
    ep.call(req).await.map(IntoResponse::into_response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_and_ip_lists() {
        let l = Limiter::default();
        assert!(l.hit("k", 2, Duration::from_secs(60)) && l.hit("k", 2, Duration::from_secs(60)));
        assert!(!l.hit("k", 2, Duration::from_secs(60)));
        assert!(l.exhausted("k", 2, Duration::from_secs(60)));
        assert!(l.hit("k", 2, Duration::ZERO), "a new window starts over");
        assert!(ip_in("10.0.0.0/8", "10.1.2.3") && !ip_in("10.0.0.0/8", "11.0.0.1"));
        assert!(ip_in("127.0.0.1", "127.0.0.1") && ip_in("::1/128", "::1"));
    }
}
