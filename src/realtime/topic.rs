//! Subscription topics: `posts/*`, `posts/RECORD_ID`, legacy `posts`, custom `@oauth2`, each
//! with an optional `?options={"query": {…}, "headers": {…}}` suffix.

use std::collections::BTreeMap;

use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub struct Subscription {
    /// The topic exactly as subscribed: it is the SSE event name of every message for it.
    pub raw: String,
    /// Collection id or name, or the custom topic (`@oauth2`).
    pub target: String,
    /// `Some(id)` for a single record; `None` for the whole collection.
    pub record: Option<String>,
    pub query: BTreeMap<String, String>,
    /// Header names snake_cased for `@request.headers.*`.
    pub headers: BTreeMap<String, String>,
}

impl Subscription {
    pub fn parse(raw: &str) -> Self {
        let (path, suffix) = raw.split_once('?').unwrap_or((raw, ""));
        let options = crate::query_string::pairs(suffix)
            .into_iter()
            .find(|(k, _)| k == "options")
            .and_then(|(_, v)| serde_json::from_str::<Value>(&v).ok())
            .unwrap_or(Value::Null);
        let strings = |v: &Value| -> BTreeMap<String, String> {
            v.as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
                        .collect()
                })
                .unwrap_or_default()
        };
        let headers = strings(&options["headers"])
            .into_iter()
            .map(|(k, v)| (k.to_ascii_lowercase().replace('-', "_"), v))
            .collect();
        let (target, record) = match path.split_once('/') {
            Some((c, "*")) => (c.to_owned(), None),
            Some((c, id)) => (c.to_owned(), Some(id.to_owned())),
            None => (path.to_owned(), None),
        };
        Self { raw: raw.to_owned(), target, record, query: strings(&options["query"]), headers }
    }

    /// Whether a change of `record_id` in the collection `(id, name)` concerns this topic.
    pub fn matches(&self, collection_id: &str, collection_name: &str, record_id: &str) -> bool {
        (self.target == collection_id || self.target.eq_ignore_ascii_case(collection_name))
            && self.record.as_deref().is_none_or(|r| r == record_id)
    }
}

#[cfg(test)]
mod tests {
    use super::Subscription;

    #[test]
    fn parses_topics_and_options() {
        let s = Subscription::parse(
            "posts/*?options=%7B%22query%22%3A%7B%22fields%22%3A%22id%2Ctitle%22%7D%2C%22headers%22%3A%7B%22X-Token%22%3A%22a%22%7D%7D",
        );
        assert_eq!((s.target.as_str(), s.record.as_deref()), ("posts", None));
        assert_eq!(s.query.get("fields").map(String::as_str), Some("id,title"));
        assert_eq!(s.headers.get("x_token").map(String::as_str), Some("a"));
        assert!(s.matches("pbc_1", "posts", "abc"));
        let one = Subscription::parse("posts/abc");
        assert!(one.matches("pbc_1", "POSTS", "abc") && !one.matches("pbc_1", "posts", "xyz"));
        let legacy = Subscription::parse("pbc_1");
        assert!(legacy.matches("pbc_1", "posts", "abc"));
        assert!(!Subscription::parse("@oauth2").matches("pbc_1", "posts", "abc"));
    }
}
