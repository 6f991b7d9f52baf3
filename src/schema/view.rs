//! View collections: the fields of a `SELECT` are inferred as PocketBase does. A column that is
//! `alias.field` (or a bare field) of a collection in the FROM/JOIN clauses clones that field,
//! `count(…)` is an integer number, anything else is JSON. The query must return an `id` column.

use crate::error::FieldErrors;

use super::{Field, FieldKind, JsonOptions, NumberOptions, Schema, TextOptions};

/// Fields for a view whose query returns `columns`, or PocketBase-shaped validation errors.
pub fn infer_fields(query: &str, columns: &[String], schema: &Schema) -> Result<Vec<Field>, FieldErrors> {
    if !columns.iter().any(|c| c == "id") {
        let mut errors =
            FieldErrors::single("fields", "validation_missing_primary_key", "Missing or invalid \"id\" PK field.");
        errors.add(
            "viewQuery",
            "validation_invalid_view_query",
            "Invalid query - missing required id column (you can use `(ROW_NUMBER() OVER()) as id` if you don't have one).",
        );
        return Err(errors);
    }
    let sources = sources(query);
    let items = select_items(query);
    Ok(columns
        .iter()
        .map(|name| {
            let expr = items.iter().find(|(_, alias)| alias == name).map(|(e, _)| e.as_str()).unwrap_or(name);
            infer(name, expr, &sources, schema)
        })
        .collect())
}

fn infer(name: &str, expr: &str, sources: &[(String, String)], schema: &Schema) -> Field {
    if name == "id" {
        let mut id = Field::new(
            "id",
            FieldKind::Text(TextOptions {
                required: true,
                pattern: "^[a-z0-9]+$".into(),
                primary_key: true,
                ..TextOptions::default()
            }),
        )
        .system();
        id.id = "text3208210256".into();
        return id;
    }
    let lower = expr.trim().to_ascii_lowercase();
    if lower.starts_with("count(") {
        return Field::new(name, FieldKind::Number(NumberOptions { only_int: true, ..NumberOptions::default() }));
    }
    let (table, column) = match expr.trim().split_once('.') {
        Some((t, c)) => (Some(t.trim_matches(['`', '"', '[', ']'])), c.trim_matches(['`', '"', '[', ']'])),
        None => (None, expr.trim().trim_matches(['`', '"', '[', ']'])),
    };
    let source_field = sources
        .iter()
        .filter(|(alias, _)| table.is_none_or(|t| t.eq_ignore_ascii_case(alias)))
        .filter_map(|(_, collection)| schema.get(collection))
        .find_map(|c| c.field(column).cloned());
    match source_field {
        Some(mut f) => {
            f.id = format!(
                "_clone_{}",
                crate::ids::random_from(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 4)
            );
            f.name = name.to_owned();
            f.system = false;
            if let FieldKind::Text(o) = &mut f.kind {
                o.primary_key = false;
                o.required = false;
                o.autogenerate_pattern = String::new();
            }
            f
        }
        None => Field::new(name, FieldKind::Json(JsonOptions { max_size: 1, ..JsonOptions::default() })),
    }
}

/// `(alias, collection)` for every `FROM x [AS] a` and `JOIN x [AS] a`.
fn sources(query: &str) -> Vec<(String, String)> {
    let words: Vec<&str> = query.split_whitespace().collect();
    let mut out = Vec::new();
    for (i, w) in words.iter().enumerate() {
        if !(w.eq_ignore_ascii_case("from") || w.eq_ignore_ascii_case("join")) {
            continue;
        }
        let Some(table) = words.get(i + 1).map(|t| t.trim_matches(['`', '"', '[', ']', '(', ')', ',']).to_owned())
        else {
            continue;
        };
        let mut alias_at = i + 2;
        if words.get(alias_at).is_some_and(|a| a.eq_ignore_ascii_case("as")) {
            alias_at += 1;
        }
        let keywords =
            ["on", "where", "left", "inner", "join", "group", "order", "limit", "cross", "outer", "right", "union"];
        let alias = words
            .get(alias_at)
            .map(|a| a.trim_matches(['`', '"', ',', ')']))
            .filter(|a| !a.is_empty() && !keywords.contains(&a.to_ascii_lowercase().as_str()))
            .unwrap_or(&table)
            .to_owned();
        out.push((alias, table));
    }
    out
}

/// `(expression, output name)` of each top-level item between SELECT and FROM.
fn select_items(query: &str) -> Vec<(String, String)> {
    let lower = query.to_ascii_lowercase();
    let Some(start) = lower.find("select") else { return Vec::new() };
    let body = &query[start + 6..];
    let mut items = Vec::new();
    let (mut depth, mut from) = (0i32, 0usize);
    let bytes = body.as_bytes();
    let mut end = body.len();
    for (i, c) in body.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                items.push(body[from..i].to_owned());
                from = i + 1;
            }
            _ if depth == 0
                && body[i..].len() >= 6
                && body[i..i + 5].eq_ignore_ascii_case(" from")
                && bytes.get(i + 5).is_some_and(u8::is_ascii_whitespace) =>
            {
                end = i;
                break;
            }
            _ => {}
        }
    }
    items.push(body[from..end].to_owned());
    items
        .into_iter()
        .map(|item| {
            let item = item.trim();
            let lower = item.to_ascii_lowercase();
            if let Some(pos) = lower.rfind(" as ") {
                return (item[..pos].trim().to_owned(), item[pos + 4..].trim().trim_matches(['`', '"']).to_owned());
            }
            let name = item.rsplit('.').next().unwrap_or(item).trim_matches(['`', '"']).to_owned();
            (item.to_owned(), name)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_select_items_and_sources() {
        let q = "SELECT p.id, p.title, count(*) as cnt, (p.views * 2) AS dbl, u.name as uname FROM posts p LEFT JOIN users AS u ON u.id = p.author GROUP BY p.id";
        let items = select_items(q);
        assert_eq!(items[0], ("p.id".to_owned(), "id".to_owned()));
        assert_eq!(items[2], ("count(*)".to_owned(), "cnt".to_owned()));
        assert_eq!(items[3].1, "dbl");
        assert_eq!(items[4], ("u.name".to_owned(), "uname".to_owned()));
        assert_eq!(sources(q), vec![("p".to_owned(), "posts".to_owned()), ("u".to_owned(), "users".to_owned())]);
    }

    #[test]
    fn requires_an_id_column() {
        let err =
            infer_fields("SELECT title FROM posts", &["title".to_owned()], &Schema::default()).expect_err("no id");
        assert_eq!(err.get("fields").expect("fields").code, "validation_missing_primary_key");
    }
}
