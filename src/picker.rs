//! PocketBase's `fields` picker: `id,title:excerpt(20,true),expand.author.name`, `*` for all
//! keys of a level; list envelopes are picked item by item. Used for HTTP responses and
//! realtime messages alike.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

#[derive(Debug, Default)]
struct Node {
    all: bool,
    children: BTreeMap<String, Node>,
    excerpt: Option<(usize, bool)>,
}

/// Applies a `fields` spec to a response value.
pub fn apply(value: &mut Value, spec: &str) {
    let tree = parse(spec);
    let is_list = value.get("items").is_some_and(Value::is_array) && value.get("page").is_some();
    if is_list {
        if let Some(Value::Array(items)) = value.get_mut("items") {
            for item in items.iter_mut() {
                *item = pick(item, &tree);
            }
        }
    } else {
        *value = pick(value, &tree);
    }
}

fn split_top(spec: &str) -> Vec<&str> {
    let (mut out, mut depth, mut start) = (Vec::new(), 0i32, 0);
    for (i, c) in spec.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&spec[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&spec[start..]);
    out.into_iter().map(str::trim).filter(|s| !s.is_empty()).collect()
}

fn parse(spec: &str) -> Node {
    let mut root = Node::default();
    for entry in split_top(spec) {
        let (path, excerpt) = match entry.split_once(":excerpt(") {
            Some((p, args)) => (p, parse_excerpt(args.trim_end_matches(')'))),
            None => (entry, None),
        };
        let mut node = &mut root;
        for seg in path.split('.') {
            if seg == "*" {
                node.all = true;
                break;
            }
            node = node.children.entry(seg.to_owned()).or_default();
        }
        if excerpt.is_some() {
            node.excerpt = excerpt;
        }
    }
    root
}

fn parse_excerpt(args: &str) -> Option<(usize, bool)> {
    let mut parts = args.split(',').map(str::trim);
    let max = parts.next()?.parse().ok()?;
    let ellipsis = matches!(parts.next(), Some("true" | "1" | "t" | "TRUE" | "True"));
    Some((max, ellipsis))
}

fn pick(value: &Value, node: &Node) -> Value {
    if let Some((max, ellipsis)) = node.excerpt {
        return excerpt(value, max, ellipsis);
    }
    if node.children.is_empty() && !node.all {
        return value.clone();
    }
    match value {
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                match node.children.get(k) {
                    Some(child) => {
                        out.insert(k.clone(), pick(v, child));
                    }
                    None if node.all => {
                        out.insert(k.clone(), v.clone());
                    }
                    None => {}
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(|i| pick(i, node)).collect()),
        other => other.clone(),
    }
}

/// Plain text of at most `max` characters (HTML tags removed).
fn excerpt(value: &Value, max: usize, ellipsis: bool) -> Value {
    let Some(text) = value.as_str() else { return value.clone() };
    let mut plain = String::new();
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                plain.push(' ');
            }
            _ if !in_tag => plain.push(c),
            _ => {}
        }
    }
    let plain = plain.split_whitespace().collect::<Vec<_>>().join(" ");
    if plain.chars().count() <= max {
        return Value::String(plain);
    }
    let mut cut: String = plain.chars().take(max).collect();
    cut = cut.trim_end().to_owned();
    if ellipsis {
        cut.push_str("...");
    }
    Value::String(cut)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::apply;

    #[test]
    fn picks_nested_fields_and_excerpts() {
        let mut v =
            json!({"id": "1", "title": "Hello world", "views": 3, "expand": {"author": {"name": "Alice", "age": 5}}});
        apply(&mut v, "id,expand.author.name,title:excerpt(5,true)");
        assert_eq!(v, json!({"id": "1", "title": "Hello...", "expand": {"author": {"name": "Alice"}}}));
    }

    #[test]
    fn picks_list_items_and_wildcards() {
        let mut v =
            json!({"page": 1, "perPage": 30, "items": [{"id": "1", "a": 1, "expand": {"x": {"y": 1, "z": 2}}}]});
        apply(&mut v, "*,expand.x.y");
        assert_eq!(v["items"][0], json!({"id": "1", "a": 1, "expand": {"x": {"y": 1}}}));
        assert_eq!(v["page"], 1);
        let mut html = json!({"body": "<p>Some <b>bold</b> text</p>"});
        apply(&mut html, "body:excerpt(100)");
        assert_eq!(html["body"], "Some bold text");
    }
}
