//! Records of user collections: list, view, create, update, delete with PocketBase's rules,
//! validation, record shape and expand.

pub mod batch;
mod cascade;
pub mod cleanup;
mod count_cache;
pub mod download;
pub mod events;
mod expand;
pub mod files;
pub mod values;
mod write;

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::error::FieldErrors;
use crate::files::Files;
use crate::filter::{self, RequestInfo};
use crate::realtime::{Broker, Hub};
use crate::schema::Registry;
use crate::schema::{Collection, CollectionKind, Schema};
use crate::settings::SettingsService;
use crate::sql::{Row, SqlBuilder, SqlQuery, SqlValue, dialect::ELEMENT, ident};
use crate::store::{RecordStore, Store, StoreError};

pub use batch::{BatchAction, BatchError, BatchOp, BatchOutcome};
pub use count_cache::CountCache;
pub use expand::apply as expand_records;
pub use write::{Input, Pending, Plan, WriteKind, create, delete, plan_create, plan_delete, plan_update, update};

/// The records service: the handles record operations use, and nothing more.
#[derive(Clone)]
pub struct Records {
    pub store: Arc<dyn Store>,
    pub schema: Arc<Registry>,
    pub files: Arc<Files>,
    /// List counts, valid until the next write.
    pub counts: Arc<CountCache>,
    /// Connected realtime clients (this replica's).
    pub realtime: Arc<Hub>,
    /// Committed changes on their way to subscribers.
    pub broker: Arc<dyn Broker>,
    pub settings: Arc<SettingsService>,
}

impl Records {
    /// Reloads the schema from the store (after a change).
    pub async fn reload_schema(&self) -> anyhow::Result<()> {
        self.schema.replace(self.store.load_collections().await?);
        Ok(())
    }
}

/// The alias of the main table in record queries.
pub const MAIN: &str = "\"__r\"";

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("missing collection context")]
    CollectionNotFound,
    #[error("the record was not found")]
    NotFound,
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{message}")]
    BadRequest { message: String, data: FieldErrors },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<StoreError> for RecordError {
    fn from(e: StoreError) -> Self {
        Self::Internal(anyhow::Error::new(e))
    }
}

impl RecordError {
    fn bad(message: &str, data: FieldErrors) -> Self {
        Self::BadRequest { message: message.to_owned(), data }
    }
}

impl From<filter::QueryError> for RecordError {
    fn from(e: filter::QueryError) -> Self {
        match e {
            filter::QueryError::Filter(filter::FilterError::Forbidden) => Self::Forbidden(ONLY_SUPERUSERS),
            // PocketBase's data is empty; the reason is kept under the parameter that caused it.
            sort @ filter::QueryError::Sort(_) => Self::bad(
                "Something went wrong while processing your request.",
                FieldErrors::single("sort", "validation_invalid_sort", sort.to_string()),
            ),
            other => Self::bad(
                "Something went wrong while processing your request.",
                FieldErrors::single("filter", "validation_invalid_filter", other.to_string()),
            ),
        }
    }
}

impl From<filter::FilterError> for RecordError {
    fn from(e: filter::FilterError) -> Self {
        filter::QueryError::from(e).into()
    }
}

pub const ONLY_SUPERUSERS: &str = "Only superusers can perform this action.";

/// A `null` rule locks the action to superusers (403 for everybody else).
pub fn unlocked(rule: Option<&String>, req: &RequestInfo) -> Result<(), RecordError> {
    if rule.is_none() && !req.is_superuser() { Err(RecordError::Forbidden(ONLY_SUPERUSERS)) } else { Ok(()) }
}

/// The collection by id or name; views are read-only, `_superusers` is special.
pub fn collection(schema: &Schema, key: &str) -> Result<Arc<Collection>, RecordError> {
    schema.get(key).cloned().ok_or(RecordError::CollectionNotFound)
}

/// The collection, if the caller's API key (when it is one) grants `action` on it.
pub fn granted(schema: &Schema, key: &str, action: &str, req: &RequestInfo) -> Result<Arc<Collection>, RecordError> {
    let coll = collection(schema, key)?;
    if !req.key_allows(&coll.name, &coll.id, action) {
        return Err(RecordError::Forbidden("The API key does not allow this action on this collection."));
    }
    Ok(coll)
}

/// List parameters as PocketBase reads them.
#[derive(Debug, Clone, Default)]
pub struct ListParams {
    pub page: i64,
    pub per_page: i64,
    pub sort: Option<String>,
    pub filter: Option<String>,
    pub skip_total: bool,
    pub expand: Option<String>,
}

pub struct ListResult {
    pub page: i64,
    pub per_page: i64,
    pub total_items: i64,
    pub total_pages: i64,
    pub items: Vec<Value>,
}

/// `SELECT` list of every field, in field order.
pub fn columns(c: &Collection, alias: &str) -> String {
    c.fields.iter().map(|f| format!("{alias}.{}", ident(&f.name))).collect::<Vec<_>>().join(", ")
}

/// Whether the relation or file `column` holds one of the values of `list` (placeholders,
/// comma-separated): the column itself, or any element of its JSON array when `multiple`.
pub(crate) fn holds(sql: &mut SqlBuilder, column: &str, list: &str, multiple: bool) -> String {
    if !multiple {
        return format!("{column} IN ({list})");
    }
    let el = sql.alias("el");
    let elements = sql.dialect.json_elements(column, &el);
    format!("EXISTS (SELECT 1 FROM {elements} WHERE {} IN ({list}))", sql.column(&el, ELEMENT))
}

pub async fn list(state: &Records, key: &str, p: ListParams, req: &RequestInfo) -> Result<ListResult, RecordError> {
    let _schema = state.schema.reading().await;
    let schema = state.schema.snapshot();
    let coll = granted(&schema, key, "list", req)?;
    unlocked(coll.rules.list_rule.as_ref(), req)?;
    let page = p.page.max(1);
    let per_page = if p.per_page <= 0 { 30 } else { p.per_page.min(1000) };
    let mut sql = SqlBuilder::new(state.store.dialect());
    let q = filter::compile_query(&mut sql, &schema, &coll, MAIN, p.filter.as_deref(), p.sort.as_deref(), req)?;
    let rule =
        filter::rule_check(&mut sql, &schema, &coll, &format!("{MAIN}.\"id\""), coll.rules.list_rule.as_deref(), req)?;
    // A bare `WHERE 1` would keep SQLite from its fast whole-table count.
    let always = sql.dialect.bool_literal(true);
    let conditions: Vec<String> = std::iter::once(rule).chain(q.where_sql.clone()).filter(|c| c != always).collect();
    let where_clause =
        if conditions.is_empty() { String::new() } else { format!(" WHERE {}", conditions.join(" AND ")) };
    let from = format!("FROM {} {MAIN} {}{where_clause}", ident(&coll.name), q.joins);
    // Insertion order unless sorted; views have no row ids and keep SQLite's order.
    let order = match (q.order_by.is_empty(), coll.kind == crate::schema::CollectionKind::View) {
        (false, _) => format!(" ORDER BY {}", q.order_by.join(", ")),
        (true, false) => format!(" ORDER BY {}", sql.dialect.rowid(MAIN)),
        (true, true) => String::new(),
    };
    let distinct = if q.distinct { "DISTINCT " } else { "" };
    let limit = sql.param(SqlValue::Int(per_page));
    let offset = sql.param(SqlValue::Int((page - 1).saturating_mul(per_page)));
    let select = format!("SELECT {distinct}{} {from}{order} LIMIT {limit} OFFSET {offset}", columns(&coll, MAIN));
    let params = sql.params.clone();
    let rows = state.store.query(SqlQuery { sql: select, params: params.clone() }).await?;
    let (total_items, total_pages) = if p.skip_total {
        (-1, -1)
    } else {
        // Joins that can repeat rows need DISTINCT; a plain table counts faster without it.
        let counted = if q.distinct { format!("COUNT(DISTINCT {MAIN}.\"id\")") } else { "COUNT(*)".to_owned() };
        let count_sql = format!("SELECT {counted} {from}");
        // The LIMIT/OFFSET parameters are the last two; the count query doesn't use them.
        let count_params = params[..params.len() - 2].to_vec();
        let n = count(state, SqlQuery { sql: count_sql, params: count_params }).await?;
        (n, (n + per_page - 1) / per_page)
    };
    let mut items: Vec<Value> = rows.iter().map(|r| export(&coll, r, req)).collect();
    if let Some(expand) = p.expand.as_deref() {
        expand::apply(state, &schema, &coll, &mut items, expand, req).await?;
    }
    Ok(ListResult { page, per_page, total_items, total_pages, items })
}

/// Counts are the expensive half of a list; they are cached until the next write anywhere
/// (the store's write generation moves), so repeated pages of an unchanged list count once.
async fn count(state: &Records, q: SqlQuery) -> Result<i64, RecordError> {
    let key = format!("{}\u{0}{:?}", q.sql, q.params);
    let generation = state.store.write_generation();
    state
        .counts
        .get_or_compute(&key, generation, || async {
            Ok(match state.store.query(q).await?.first().and_then(|r| r.first()) {
                Some(SqlValue::Int(n)) => *n,
                _ => 0,
            })
        })
        .await
}

pub async fn view(
    state: &Records,
    key: &str,
    id: &str,
    expand: Option<&str>,
    req: &RequestInfo,
) -> Result<Value, RecordError> {
    let _schema = state.schema.reading().await;
    let schema = state.schema.snapshot();
    let coll = granted(&schema, key, "view", req)?;
    unlocked(coll.rules.view_rule.as_ref(), req)?;
    let mut record = fetch_visible(state.store.as_ref(), &schema, &coll, id, coll.rules.view_rule.as_deref(), req)
        .await?
        .ok_or(RecordError::NotFound)?;
    if let Some(expand) = expand {
        expand::apply(state, &schema, &coll, std::slice::from_mut(&mut record), expand, req).await?;
    }
    Ok(record)
}

/// The record `id` if `rule` lets the caller see it.
pub async fn fetch_visible(
    db: &dyn RecordStore,
    schema: &Schema,
    coll: &Collection,
    id: &str,
    rule: Option<&str>,
    req: &RequestInfo,
) -> Result<Option<Value>, RecordError> {
    let rows = fetch_rows(db, schema, coll, &[id.to_owned()], rule, req).await?;
    Ok(rows.first().map(|r| export(coll, r, req)))
}

/// Rows with the given ids that pass `rule`, in table order.
pub async fn fetch_rows(
    db: &dyn RecordStore,
    schema: &Schema,
    coll: &Collection,
    ids: &[String],
    rule: Option<&str>,
    req: &RequestInfo,
) -> Result<Vec<Row>, RecordError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = SqlBuilder::new(db.dialect());
    let list = ids.iter().map(|id| sql.param(SqlValue::Text(id.clone()))).collect::<Vec<_>>().join(", ");
    let check = filter::rule_check(&mut sql, schema, coll, &format!("{MAIN}.\"id\""), rule, req)?;
    let q = format!(
        "SELECT {} FROM {} {MAIN} WHERE {MAIN}.\"id\" IN ({list}) AND {check}",
        columns(coll, MAIN),
        ident(&coll.name)
    );
    let q = SqlQuery { sql: q, params: sql.params };
    // Rows by primary key with no rule to evaluate are a point lookup.
    if check == db.dialect().bool_literal(true) && ids.len() <= 64 {
        Ok(db.lookup(q).await?)
    } else {
        Ok(db.query(q).await?)
    }
}

/// A stored row as PocketBase shows it to this caller.
pub fn export(coll: &Collection, row: &Row, req: &RequestInfo) -> Value {
    let superuser = req.is_superuser();
    let mut out = Map::new();
    out.insert("collectionId".into(), Value::String(coll.id.clone()));
    out.insert("collectionName".into(), Value::String(coll.name.clone()));
    for (field, value) in coll.fields.iter().zip(row) {
        let always_hidden = coll.kind == CollectionKind::Auth && matches!(field.name.as_str(), "password" | "tokenKey");
        if always_hidden || (field.hidden && !superuser) {
            continue;
        }
        out.insert(field.name.clone(), values::to_json(field, value));
    }
    if coll.is_auth() && !superuser {
        let visible = out.get("emailVisibility").and_then(Value::as_bool).unwrap_or(false);
        let owner = req
            .auth
            .as_ref()
            .is_some_and(|a| a.collection_id == coll.id && Some(&Value::String(a.id.clone())) == out.get("id"));
        if !visible && !owner {
            out.remove("email");
        }
    }
    Value::Object(out)
}
