//! Rate-limit data: PocketBase's `rateLimits` and `trustedProxy` settings, and the fixed
//! windows that count hits (settings rules, failed sign-ins, OTP attempts, resent mails).
//! `http::limits` applies them to requests. The windows are per process; see the README.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// PocketBase's `rateLimits` settings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct RateLimits {
    pub enabled: bool,
    pub rules: Vec<RateLimitRule>,
    #[serde(rename = "excludedIPs")]
    pub excluded_ips: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct RateLimitRule {
    /// `/api/path/` (a prefix when it ends with `/`), `METHOD /path`, `collection:tag` or `*:tag`
    /// (tags: `list`, `view`, `create`, `update`, `delete`, `auth`, `file`).
    pub label: String,
    pub max_requests: u32,
    /// Seconds.
    pub duration: u64,
    /// `""` (everybody), `@guest` or `@auth`.
    pub audience: String,
}

impl Default for RateLimitRule {
    fn default() -> Self {
        Self { label: String::new(), max_requests: 0, duration: 1, audience: String::new() }
    }
}

impl Default for RateLimits {
    /// PocketBase's defaults (off until enabled).
    fn default() -> Self {
        let rule = |label: &str, max_requests, duration| RateLimitRule {
            label: label.into(),
            max_requests,
            duration,
            audience: String::new(),
        };
        Self {
            enabled: false,
            rules: vec![
                rule("*:auth", 2, 3),
                rule("*:create", 20, 5),
                rule("/api/batch", 3, 1),
                rule("/api/", 300, 10),
            ],
            excluded_ips: Vec::new(),
        }
    }
}

/// PocketBase's `trustedProxy` settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct TrustedProxy {
    pub headers: Vec<String>,
    #[serde(rename = "useLeftmostIP")]
    pub use_leftmost_ip: bool,
}

/// Fixed windows per (rule, client).
#[derive(Default)]
pub struct Limiter(Mutex<HashMap<String, (Instant, u32)>>);

impl Limiter {
    /// Counts a hit; false when `max` hits already happened in the current window.
    pub fn hit(&self, key: &str, max: u32, window: Duration) -> bool {
        let mut all = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        if all.len() > 100_000 {
            all.retain(|_, (start, _)| now.duration_since(*start) < Duration::from_secs(3600));
        }
        let entry = all.entry(key.to_owned()).or_insert((now, 0));
        if now.duration_since(entry.0) >= window {
            *entry = (now, 0);
        }
        if entry.1 >= max {
            return false;
        }
        entry.1 += 1;
        true
    }

    /// Whether `key` is at its limit, without counting.
    pub fn exhausted(&self, key: &str, max: u32, window: Duration) -> bool {
        let all = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        all.get(key).is_some_and(|(start, n)| Instant::now().duration_since(*start) < window && *n >= max)
    }
}

/// Failed sign-ins allowed per client IP and per identity in [`FAILURE_WINDOW`].
pub const MAX_FAILURES: u32 = 10;
pub const FAILURE_WINDOW: Duration = Duration::from_secs(300);
