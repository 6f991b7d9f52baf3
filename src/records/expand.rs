//! `expand=author,comments_via_post.user`: related records inlined under `expand`, each
//! related collection's viewRule applied (with `@request.context = "expand"`), 6 levels deep.
//! Paths that cannot be resolved are skipped silently, as in PocketBase.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Map, Value};

use super::Records;
use super::{MAIN, RecordError, columns, export, fetch_rows};
use crate::filter::{RequestInfo, rule_check};
use crate::schema::{Collection, FieldKind, Schema};
use crate::sql::{SqlBuilder, SqlQuery, SqlValue, ident};

const MAX_DEPTH: usize = 6;

/// Most records one request may inline, counting every copy: a record expanded under 30 list
/// items counts 30 times, with everything expanded inside it. Beyond it the request is refused
/// (400) before the answer is built, so memory stays bounded whatever the data.
pub const MAX_EXPANDED: usize = 10_000;

/// Records the request may still inline.
struct Budget(AtomicUsize);

impl Budget {
    /// Takes `n` records from the budget, or refuses the request.
    fn take(&self, n: usize) -> Result<(), RecordError> {
        let taken = self.0.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| left.checked_sub(n));
        taken.map(|_| ()).map_err(|_| {
            RecordError::bad(
                &format!(
                    "The expand would inline more than {MAX_EXPANDED} records. Expand fewer relations or levels, or ask for fewer records (perPage)."
                ),
                crate::error::FieldErrors::default(),
            )
        })
    }
}

/// A record and everything expanded inside it, in records.
fn weight(record: &Value) -> usize {
    let nested = record.get("expand").and_then(Value::as_object).map_or(0, |e| {
        e.values()
            .map(|v| match v {
                Value::Array(list) => list.iter().map(weight).sum(),
                one => weight(one),
            })
            .sum()
    });
    1 + nested
}

/// The expand paths as a tree: `a.b,a.c,d` -> {a: {b, c}, d}.
#[derive(Debug, Default)]
struct Tree(BTreeMap<String, Tree>);

fn parse(expand: &str) -> Tree {
    let mut root = Tree::default();
    for path in expand.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let mut node = &mut root;
        for seg in path.split('.').take(MAX_DEPTH) {
            node = node.0.entry(seg.to_owned()).or_default();
        }
    }
    root
}

pub async fn apply(
    state: &Records,
    schema: &Schema,
    coll: &Collection,
    items: &mut [Value],
    expand: &str,
    req: &RequestInfo,
) -> Result<(), RecordError> {
    let mut req = req.clone();
    req.context = "expand".into();
    // Paths are cut to their first MAX_DEPTH levels; one that does not resolve all the way
    // is dropped whole, as PocketBase does.
    let valid: Vec<String> = expand
        .split(',')
        .map(|p| p.trim().split('.').take(MAX_DEPTH).collect::<Vec<_>>().join("."))
        .filter(|p| resolves(schema, coll, p))
        .collect();
    if valid.is_empty() {
        return Ok(());
    }
    for item in items.iter_mut() {
        if let Some(obj) = item.as_object_mut() {
            obj.entry("expand").or_insert_with(|| Value::Object(Map::new()));
        }
    }
    let budget = Budget(AtomicUsize::new(MAX_EXPANDED));
    apply_tree(state, schema, coll, items, &parse(&valid.join(",")), &req, &budget, 0).await
}

/// Whether every segment of `path` is a relation or back-relation from the previous collection.
fn resolves(schema: &Schema, coll: &Collection, path: &str) -> bool {
    let segments: Vec<&str> = path.split('.').collect();
    if path.is_empty() || segments.len() > MAX_DEPTH {
        return false;
    }
    let mut current = coll;
    for seg in segments {
        let next = match current.field(seg).map(|f| &f.kind) {
            Some(FieldKind::Relation(o)) => schema.by_id(&o.collection_id),
            Some(_) => None,
            None => seg.split_once("_via_").and_then(|(other, via)| {
                let target = schema.get(other)?;
                match &target.field(via)?.kind {
                    FieldKind::Relation(o) if o.collection_id == current.id => Some(target),
                    _ => None,
                }
            }),
        };
        match next {
            Some(n) => current = n,
            None => return false,
        }
    }
    true
}

#[allow(clippy::too_many_arguments)]
fn apply_tree<'a>(
    state: &'a Records,
    schema: &'a Schema,
    coll: &'a Collection,
    items: &'a mut [Value],
    tree: &'a Tree,
    req: &'a RequestInfo,
    budget: &'a Budget,
    depth: usize,
) -> futures_util::future::BoxFuture<'a, Result<(), RecordError>> {
    Box::pin(async move {
        if depth >= MAX_DEPTH || items.is_empty() {
            return Ok(());
        }
        for (name, children) in &tree.0 {
            if let Some(field) = coll.field(name) {
                let FieldKind::Relation(o) = &field.kind else { continue };
                if field.hidden && !req.is_superuser() {
                    continue;
                }
                let Some(target) = schema.by_id(&o.collection_id) else { continue };
                if !req.key_allows(&target.name, &target.id, "view") {
                    continue;
                }
                let to = Target { coll: target, name, multiple: field.is_multiple() };
                expand_relation(state, schema, &to, items, children, req, budget, depth).await?;
            } else if let Some((other, via)) = name.split_once("_via_") {
                expand_back(state, schema, coll, items, name, (other, via), children, req, budget, depth).await?;
            }
        }
        Ok(())
    })
}

fn ids_of(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) if !s.is_empty() => vec![s.clone()],
        Value::Array(a) => a.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect(),
        _ => Vec::new(),
    }
}

/// A relation field being expanded and the collection it points to.
struct Target<'a> {
    coll: &'a Collection,
    name: &'a str,
    multiple: bool,
}

#[allow(clippy::too_many_arguments)]
async fn expand_relation(
    state: &Records,
    schema: &Schema,
    to: &Target<'_>,
    items: &mut [Value],
    children: &Tree,
    req: &RequestInfo,
    budget: &Budget,
    depth: usize,
) -> Result<(), RecordError> {
    let (target, name, multiple) = (to.coll, to.name, to.multiple);
    let mut ids: Vec<String> = items.iter().flat_map(|i| ids_of(&i[name])).collect();
    ids.sort();
    ids.dedup();
    if target.rules.view_rule.is_none() && !req.is_superuser() {
        return Ok(());
    }
    let rows = fetch_rows(state.store.as_ref(), schema, target, &ids, target.rules.view_rule.as_deref(), req).await?;
    let mut related: Vec<Value> = rows.iter().map(|r| export(target, r, req)).collect();
    apply_tree(state, schema, target, &mut related, children, req, budget, depth + 1).await?;
    let by_id: BTreeMap<String, (usize, Value)> = related
        .into_iter()
        .filter_map(|r| r["id"].as_str().map(|id| (id.to_owned(), (weight(&r), r.clone()))))
        .collect();
    // Count the copies before making them.
    let copies: usize =
        items.iter().flat_map(|i| ids_of(&i[name])).filter_map(|id| by_id.get(&id).map(|(w, _)| *w)).sum();
    budget.take(copies)?;
    let by_id: BTreeMap<String, Value> = by_id.into_iter().map(|(id, (_, r))| (id, r)).collect();
    for item in items.iter_mut() {
        let found: Vec<Value> = ids_of(&item[name]).iter().filter_map(|id| by_id.get(id).cloned()).collect();
        if found.is_empty() {
            continue;
        }
        let value = if multiple { Value::Array(found) } else { found.into_iter().next().unwrap_or(Value::Null) };
        attach(item, name, value);
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn expand_back(
    state: &Records,
    schema: &Schema,
    coll: &Collection,
    items: &mut [Value],
    name: &str,
    (other, via): (&str, &str),
    children: &Tree,
    req: &RequestInfo,
    budget: &Budget,
    depth: usize,
) -> Result<(), RecordError> {
    let Some(target) = schema.get(other) else { return Ok(()) };
    if !req.key_allows(&target.name, &target.id, "view") {
        return Ok(());
    }
    let Some(field) = target.field(via) else { return Ok(()) };
    let FieldKind::Relation(o) = &field.kind else { return Ok(()) };
    if o.collection_id != coll.id || (target.rules.view_rule.is_none() && !req.is_superuser()) {
        return Ok(());
    }
    let parent_ids: Vec<String> = items.iter().filter_map(|i| i["id"].as_str().map(str::to_owned)).collect();
    let mut sql = SqlBuilder::new(state.store.dialect());
    let list = parent_ids.iter().map(|id| sql.param(SqlValue::Text(id.clone()))).collect::<Vec<_>>().join(", ");
    let col = format!("{MAIN}.{}", ident(via));
    let matches = super::holds(&mut sql, &col, &list, field.is_multiple());
    let check =
        rule_check(&mut sql, schema, target, &format!("{MAIN}.\"id\""), target.rules.view_rule.as_deref(), req)?;
    let q = format!(
        "SELECT {} FROM {} {MAIN} WHERE {matches} AND {check} LIMIT 1000",
        columns(target, MAIN),
        ident(&target.name)
    );
    let rows = state.store.query(SqlQuery { sql: q, params: sql.params }).await?;
    let mut related: Vec<Value> = rows.iter().map(|r| export(target, r, req)).collect();
    apply_tree(state, schema, target, &mut related, children, req, budget, depth + 1).await?;
    let unique = target.has_unique_index_on(via);
    let weights: Vec<usize> = related.iter().map(weight).collect();
    let copies: usize = items
        .iter()
        .filter_map(|i| i["id"].as_str())
        .map(|id| {
            related
                .iter()
                .zip(&weights)
                .filter(|(r, _)| ids_of(&r[via]).iter().any(|x| x == id))
                .map(|(_, w)| *w)
                .sum::<usize>()
        })
        .sum();
    budget.take(copies)?;
    for item in items.iter_mut() {
        let Some(id) = item["id"].as_str().map(str::to_owned) else { continue };
        let found: Vec<Value> = related.iter().filter(|r| ids_of(&r[via]).contains(&id)).cloned().collect();
        if found.is_empty() {
            continue;
        }
        let value = if unique && !field.is_multiple() {
            found.into_iter().next().unwrap_or(Value::Null)
        } else {
            Value::Array(found)
        };
        attach(item, name, value);
    }
    Ok(())
}

fn attach(item: &mut Value, name: &str, value: Value) {
    // Nested levels get their `expand` object only when something was found.
    let Some(obj) = item.as_object_mut() else { return };
    let expand = obj.entry("expand").or_insert_with(|| Value::Object(Map::new()));
    if let Some(e) = expand.as_object_mut() {
        e.insert(name.to_owned(), value);
    }
}
