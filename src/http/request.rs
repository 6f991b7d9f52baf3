//! `@request.*` for rules: built from the HTTP request and the caller's auth.

use std::collections::BTreeMap;

use poem::Request;

use crate::auth::Principal;
use crate::filter::{AuthInfo, RequestInfo};

pub fn request_info(req: &Request, principal: Option<&Principal>) -> RequestInfo {
    let headers = req
        .headers()
        .iter()
        .filter_map(|(k, v)| v.to_str().ok().map(|v| (k.as_str().to_ascii_lowercase().replace('-', "_"), v.to_owned())))
        .collect();
    let query: BTreeMap<String, String> =
        req.uri().query().map(|q| url_pairs(q).into_iter().collect()).unwrap_or_default();
    RequestInfo {
        context: "default".into(),
        method: req.method().as_str().to_owned(),
        headers,
        query,
        body: serde_json::Map::new(),
        auth: principal.map(auth_info),
    }
}

pub fn auth_info(p: &Principal) -> AuthInfo {
    AuthInfo {
        collection_id: p.collection.id.clone(),
        collection_name: p.collection.name.clone(),
        id: p.record.id.clone(),
        superuser: p.is_superuser(),
    }
}

/// Decodes `a=1&b=x%20y` (the last value of a repeated key wins).
pub fn url_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'+', _) => out.push(b' '),
            (b'%', Some(b)) => {
                out.push(b);
                i += 2;
            }
            (b, _) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn decodes_query_pairs() {
        let pairs = super::url_pairs("filter=title%20~%20%27a%27&x=1+2&bad=%zz&end=%4");
        assert_eq!(pairs[0], ("filter".into(), "title ~ 'a'".into()));
        assert_eq!(pairs[1].1, "1 2");
        assert_eq!(pairs[2].1, "%zz");
        assert_eq!(pairs[3].1, "%4");
    }
}
