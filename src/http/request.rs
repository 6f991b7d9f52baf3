//! `@request.*` for rules: built from the HTTP request and the caller's auth.

use std::collections::BTreeMap;

use poem::Request;

use crate::auth::Principal;
use crate::filter::RequestInfo;

pub fn request_info(req: &Request, principal: Option<&Principal>) -> RequestInfo {
    let headers = req
        .headers()
        .iter()
        .filter_map(|(k, v)| v.to_str().ok().map(|v| (header_key(k.as_str()), v.to_owned())))
        .collect();
    let query: BTreeMap<String, String> =
        req.uri().query().map(|q| url_pairs(q).into_iter().collect()).unwrap_or_default();
    RequestInfo {
        context: "default".into(),
        method: req.method().as_str().to_owned(),
        headers,
        query,
        body: serde_json::Map::new(),
        auth: principal.map(Principal::auth_info),
    }
}

/// A header name as rules see it: `@request.headers.x_token` for `X-Token`.
pub fn header_key(name: &str) -> String {
    name.to_ascii_lowercase().replace('-', "_")
}

pub use crate::query_string::pairs as url_pairs;

#[cfg(test)]
mod tests {
    #[test]
    fn decodes_query_pairs() {
        let pairs = crate::query_string::pairs("filter=title%20~%20%27a%27&x=1+2&bad=%zz&end=%4");
        assert_eq!(pairs[0], ("filter".into(), "title ~ 'a'".into()));
        assert_eq!(pairs[1].1, "1 2");
        assert_eq!(pairs[2].1, "%zz");
        assert_eq!(pairs[3].1, "%4");
    }
}
