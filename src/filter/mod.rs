//! PocketBase's filter and API-rule language compiled to SQL with bound parameters only.
//!
//! - [`parser`] turns text into an expression tree;
//! - [`resolve`] turns identifiers (`author.name`, `tags:each`, `@request.auth.id`,
//!   `@collection.x.y`) into SQL operands, adding the joins they need;
//! - [`build`] turns comparisons into SQL with PocketBase's null/empty, LIKE and
//!   multi-value (all vs. any) semantics;
//! - [`sort`] compiles `sort` lists.
//!
//! Values never enter the SQL text: every literal becomes a numbered parameter (`?N`).

mod build;
pub mod grants;
pub mod parser;
mod resolve;
mod sort;

use std::collections::BTreeMap;

use serde_json::Value;

use crate::schema::{Collection, Schema};
use crate::sql::SqlBuilder;

pub use parser::ParseError;
pub use resolve::Compiled;
pub use sort::SortError;

/// What `@request.*` resolves to.
#[derive(Debug, Clone, Default)]
pub struct RequestInfo {
    /// `default`, `expand`, `realtime`, `protectedFile`, `oauth2`, `otp`, `password`, `batch`.
    pub context: String,
    pub method: String,
    /// Header names in snake_case, lower case.
    pub headers: BTreeMap<String, String>,
    pub query: BTreeMap<String, String>,
    pub body: serde_json::Map<String, Value>,
    pub auth: Option<AuthInfo>,
}

/// The authenticated record, as rules see it.
#[derive(Debug, Clone)]
pub struct AuthInfo {
    pub collection_id: String,
    pub collection_name: String,
    pub id: String,
    pub superuser: bool,
    /// An API key's grants: a superuser for these record actions only.
    pub key: Option<std::sync::Arc<grants::ApiKey>>,
}

impl RequestInfo {
    /// Croft itself reading as a superuser (internal reads, checking rules on save).
    pub fn superuser() -> Self {
        let auth = AuthInfo {
            collection_id: String::new(),
            collection_name: String::new(),
            id: String::new(),
            superuser: true,
            key: None,
        };
        Self { auth: Some(auth), ..Self::default() }
    }

    pub fn is_superuser(&self) -> bool {
        self.auth.as_ref().is_some_and(|a| a.superuser)
    }

    /// Whether the caller's API key (if it is one) grants `action` on the collection.
    pub fn key_allows(&self, name: &str, id: &str, action: &str) -> bool {
        match self.auth.as_ref().and_then(|a| a.key.as_ref()) {
            Some(key) => key.allows(name, id, action),
            None => true,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FilterError {
    #[error("invalid filter: {0}")]
    Parse(#[from] ParseError),
    #[error("invalid filter: {0}")]
    Resolve(String),
    /// Client filters may not use `@request.*` or `@collection.*` unless the caller is a superuser.
    #[error("only superusers can filter by @request or @collection fields")]
    Forbidden,
}

/// A compiled filter and sort for one collection.
#[derive(Debug, Clone)]
pub struct Query {
    /// A boolean SQL expression, `None` without a filter.
    pub where_sql: Option<String>,
    pub order_by: Vec<String>,
    /// `LEFT JOIN …` clauses to put after the base table.
    pub joins: String,
    /// The joins can multiply rows: select DISTINCT and count DISTINCT ids.
    pub distinct: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error(transparent)]
    Filter(#[from] FilterError),
    #[error(transparent)]
    Sort(#[from] SortError),
}

/// Compiles a client `filter` and `sort` for `collection` (table alias `alias`). Client input
/// may not use `@request.`/`@collection.` unless the caller is a superuser.
#[allow(clippy::too_many_arguments)]
pub fn compile_query(
    sql: &mut SqlBuilder,
    schema: &Schema,
    collection: &Collection,
    alias: &str,
    filter: Option<&str>,
    sort: Option<&str>,
    request: &RequestInfo,
) -> Result<Query, QueryError> {
    let mentions_request = |s: &str| s.contains("@request.") || s.contains("@collection.");
    // API keys are superusers of their scopes only: no reaching into other collections.
    let trusted = request.is_superuser() && request.auth.as_ref().is_none_or(|a| a.key.is_none());
    if !trusted && [filter, sort].into_iter().flatten().any(mentions_request) {
        return Err(FilterError::Forbidden.into());
    }
    let mut ctx = resolve::Context::new(sql, schema, collection, alias, request);
    let where_sql = match filter.filter(|f| !f.is_empty()) {
        Some(f) => Some(build::expr(&mut ctx, &parser::parse(f).map_err(FilterError::from)?)?),
        None => None,
    };
    let order_by = match sort {
        Some(s) => sort::compile(&mut ctx, s)?,
        None => Vec::new(),
    };
    let compiled = ctx.finish(String::new());
    Ok(Query { where_sql, order_by, joins: compiled.joins, distinct: compiled.distinct })
}

/// Compiles a rule (no `@request` restriction) into a boolean SQL expression plus its joins.
pub fn compile(
    sql: &mut SqlBuilder,
    schema: &Schema,
    collection: &Collection,
    alias: &str,
    rule: &str,
    request: &RequestInfo,
) -> Result<Compiled, FilterError> {
    let expr = parser::parse(rule)?;
    let mut ctx = resolve::Context::new(sql, schema, collection, alias, request);
    let where_sql = build::expr(&mut ctx, &expr)?;
    Ok(ctx.finish(where_sql))
}

/// `EXISTS (SELECT 1 FROM <collection> r … WHERE r.id = <outer_id> AND (<rule>))`, or `1`/`0`
/// for the empty and the locked (`null`) rule. Superusers pass every rule.
pub fn rule_check(
    sql: &mut SqlBuilder,
    schema: &Schema,
    collection: &Collection,
    outer_id: &str,
    rule: Option<&str>,
    request: &RequestInfo,
) -> Result<String, FilterError> {
    let (always, never) = (sql.dialect.bool_literal(true), sql.dialect.bool_literal(false));
    if request.is_superuser() {
        return Ok(always.to_owned());
    }
    let Some(rule) = rule else { return Ok(never.to_owned()) };
    if rule.trim().is_empty() {
        return Ok(always.to_owned());
    }
    let alias = sql.alias("rule");
    let compiled = compile(sql, schema, collection, &alias, rule, request)?;
    Ok(format!(
        "EXISTS (SELECT 1 FROM {} {alias} {} WHERE {} = {outer_id} AND ({}))",
        sql.dialect.ident(&collection.name),
        compiled.joins,
        sql.column(&alias, "id"),
        compiled.where_sql
    ))
}

#[cfg(test)]
mod tests;
