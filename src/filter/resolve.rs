//! Identifiers to SQL operands: fields, relation paths, back-relations, JSON paths, modifiers,
//! `@request.*`, `@collection.*`, macros and functions.

use std::collections::HashSet;

use chrono::{Datelike, Duration, NaiveTime, TimeZone, Timelike, Utc};
use serde_json::Value;

use super::parser::Operand as Ast;
use super::{FilterError, RequestInfo};
use crate::schema::{Collection, Field, FieldKind, Schema};
use crate::sql::{SqlBuilder, SqlValue, dialect::ELEMENT, ident};

/// The column of the value lists that multi-valued comparisons iterate over.
pub const MULTI_VALUE: &str = "multiMatchValue";

/// Most relation hops in one path.
const MAX_HOPS: usize = 6;

/// What kind of operand an SQL fragment is, for PocketBase's null/empty rules.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// A column or computed expression.
    Expr,
    /// `NULL` (also a missing `@request.*` value).
    Null,
    /// `1`/`0` from `true`/`false`.
    Bool,
    /// A bound value; `empty` for `''`.
    Param { empty: bool },
}

/// A resolved operand.
#[derive(Debug, Clone)]
pub struct Operand {
    pub sql: String,
    pub kind: Kind,
    /// Compare with `IS` instead of the COALESCE fallback (JSON values).
    pub no_coalesce: bool,
    /// For multi-valued operands: a subquery yielding every value as `multiMatchValue`.
    pub multi: Option<String>,
    /// Wraps the finished comparison (the email-visibility restriction).
    pub wrap: Option<String>,
}

impl Operand {
    fn expr(sql: String) -> Self {
        Self { sql, kind: Kind::Expr, no_coalesce: false, multi: None, wrap: None }
    }

    /// A computed SQL value.
    pub fn computed(sql: String) -> Self {
        Self::expr(sql)
    }

    /// `1`/`0`, which PocketBase treats as known non-empty values.
    pub fn constant(sql: &str) -> Self {
        Self { kind: Kind::Bool, ..Self::expr(sql.to_owned()) }
    }

    fn null() -> Self {
        Self { kind: Kind::Null, ..Self::expr("NULL".into()) }
    }

    /// `true`/`false`, which PocketBase treats as known non-empty values.
    fn boolean(sql: &SqlBuilder, value: bool) -> Self {
        Self { kind: Kind::Bool, ..Self::expr(sql.dialect.bool_literal(value).to_owned()) }
    }

    fn param(sql: &mut SqlBuilder, value: SqlValue) -> Self {
        let empty = matches!(&value, SqlValue::Text(s) if s.is_empty()) || value == SqlValue::Null;
        Self { kind: Kind::Param { empty }, ..Self::expr(sql.param(value)) }
    }
}

pub struct Context<'a> {
    pub sql: &'a mut SqlBuilder,
    pub schema: &'a Schema,
    pub base: &'a Collection,
    pub alias: String,
    pub request: &'a RequestInfo,
    joins: Vec<String>,
    joined: HashSet<String>,
    pub distinct: bool,
    /// A field of some row was referenced: the expression is not a constant.
    columns: bool,
}

/// The SQL of a compiled filter.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub where_sql: String,
    /// `LEFT JOIN …` clauses to put after the base table.
    pub joins: String,
    /// The joins can multiply rows: select DISTINCT and count DISTINCT ids.
    pub distinct: bool,
    /// Only values, no row: the result is the same for every record (e.g. `@request.auth.id != ''`).
    pub constant: bool,
}

/// Where a path walk starts and how its joins are named.
struct Walk<'s> {
    joins: &'s mut Vec<String>,
    joined: Option<&'s mut HashSet<String>>,
}

struct Walked<'c> {
    sql: String,
    field: Option<&'c Field>,
    collection: &'c Collection,
    alias: String,
    multi: bool,
    json: bool,
}

impl<'a> Context<'a> {
    pub fn new(
        sql: &'a mut SqlBuilder,
        schema: &'a Schema,
        base: &'a Collection,
        alias: &str,
        request: &'a RequestInfo,
    ) -> Self {
        Self {
            sql,
            schema,
            base,
            alias: alias.to_owned(),
            request,
            joins: Vec::new(),
            joined: HashSet::new(),
            distinct: false,
            columns: false,
        }
    }

    pub fn finish(self, where_sql: String) -> Compiled {
        let constant = !self.columns && self.joins.is_empty();
        Compiled { where_sql, joins: self.joins.join(" "), distinct: self.distinct, constant }
    }

    pub fn resolve(&mut self, ast: &Ast) -> Result<Operand, FilterError> {
        match ast {
            Ast::Text(s) => Ok(Operand::param(self.sql, SqlValue::Text(s.clone()))),
            Ast::Number(n) => {
                let v: f64 = n.parse().map_err(|_| FilterError::Resolve(format!("invalid number {n}")))?;
                Ok(Operand::param(self.sql, SqlValue::Real(v)))
            }
            Ast::Func { name, args } => self.function(name, args),
            Ast::Ident(name) => self.identifier(name),
        }
    }

    fn identifier(&mut self, name: &str) -> Result<Operand, FilterError> {
        if let Some(rest) = name.strip_prefix("@request.") {
            return self.request_field(rest);
        }
        if let Some(rest) = name.strip_prefix("@collection.") {
            return self.collection_join(rest);
        }
        if name.starts_with('@') {
            return self.macro_value(name);
        }
        let head = name.split(['.', ':']).next().unwrap_or(name);
        if self.base.field(head).is_none() && !is_back_relation(head) {
            match name.to_ascii_lowercase().as_str() {
                "null" => return Ok(Operand::null()),
                "true" => return Ok(Operand::boolean(self.sql, true)),
                "false" => return Ok(Operand::boolean(self.sql, false)),
                _ => {}
            }
        }
        let (path, modifier) = split_modifier(name)?;
        let base = self.base;
        let alias = self.alias.clone();
        self.field_path(base, &alias, &path, modifier, Correlation::Base)
    }

    /// Resolves `path` from `(collection, alias)` in the main query, and builds the
    /// multi-match subquery when the path is multi-valued.
    fn field_path(
        &mut self,
        collection: &'a Collection,
        alias: &str,
        path: &[&str],
        modifier: Option<&str>,
        correlation: Correlation,
    ) -> Result<Operand, FilterError> {
        self.columns = true;
        let mut joins = std::mem::take(&mut self.joins);
        let mut joined = std::mem::take(&mut self.joined);
        let walked = walk(
            self.sql,
            self.schema,
            self.request,
            collection,
            alias,
            path,
            modifier,
            Walk { joins: &mut joins, joined: Some(&mut joined) },
        );
        self.joins = joins;
        self.joined = joined;
        let walked = walked?;
        let mut op = self.finish_field(&walked, modifier)?;
        if walked.multi {
            self.distinct = true;
            op.multi = Some(self.multi_subquery(collection, alias, path, modifier, correlation)?);
        }
        Ok(op)
    }

    fn multi_subquery(
        &mut self,
        collection: &'a Collection,
        outer_alias: &str,
        path: &[&str],
        modifier: Option<&str>,
        correlation: Correlation,
    ) -> Result<String, FilterError> {
        let sub = self.sql.alias("mm");
        let mut joins = Vec::new();
        let walked = walk(
            self.sql,
            self.schema,
            self.request,
            collection,
            &sub,
            path,
            modifier,
            Walk { joins: &mut joins, joined: None },
        )?;
        let value = self.finish_field(&walked, modifier)?.sql;
        let cond = match correlation {
            Correlation::Base => format!("WHERE {sub}.\"id\" = {outer_alias}.\"id\""),
            Correlation::Auth(id) => format!("WHERE {sub}.\"id\" = {}", self.sql.param(SqlValue::Text(id))),
            Correlation::None => String::new(),
        };
        Ok(format!(
            "SELECT {value} AS {} FROM {} {sub} {} {cond}",
            ident(MULTI_VALUE),
            ident(&collection.name),
            joins.join(" ")
        ))
    }

    /// Applies hidden-field, email-visibility and JSON handling to a walked path.
    fn finish_field(&mut self, w: &Walked<'_>, modifier: Option<&str>) -> Result<Operand, FilterError> {
        let superuser = self.request.is_superuser();
        if let Some(f) = w.field
            && f.hidden
            && !superuser
        {
            return Err(FilterError::Resolve(format!("the field {} cannot be filtered", f.name)));
        }
        let mut op = Operand::expr(w.sql.clone());
        op.no_coalesce = w.json && modifier.is_none();
        if let Some(f) = w.field
            && w.collection.is_auth()
            && f.name == "email"
            && !superuser
        {
            let visible = self.sql.column(&w.alias, "emailVisibility");
            op.wrap = Some(format!("{visible} = {}", self.sql.dialect.bool_literal(true)));
        }
        Ok(op)
    }

    fn request_field(&mut self, rest: &str) -> Result<Operand, FilterError> {
        let (path, modifier) = split_modifier(rest)?;
        let Some((&head, tail)) = path.split_first() else {
            return Err(FilterError::Resolve("incomplete @request field".into()));
        };
        match (head, tail) {
            ("context", []) => Ok(Operand::param(self.sql, SqlValue::Text(self.request.context.clone()))),
            ("method", []) => Ok(Operand::param(self.sql, SqlValue::Text(self.request.method.clone()))),
            ("headers", [key]) => Ok(self.text_or_null(self.request.headers.get(*key).cloned())),
            ("query", [key]) => Ok(self.text_or_null(self.request.query.get(*key).cloned())),
            ("body", [key, ..]) => self.body_field(key, &tail[1..], modifier),
            ("auth", [key, rest @ ..]) => self.auth_field(key, rest, modifier),
            _ => Err(FilterError::Resolve(format!("unknown field @request.{rest}"))),
        }
    }

    fn text_or_null(&mut self, value: Option<String>) -> Operand {
        value.map_or_else(Operand::null, |v| Operand::param(self.sql, SqlValue::Text(v)))
    }

    fn body_field(&mut self, key: &str, sub: &[&str], modifier: Option<&str>) -> Result<Operand, FilterError> {
        let value = self.request.body.get(key);
        if modifier == Some("isset") {
            let set = value.is_some();
            return Ok(Operand::boolean(self.sql, set));
        }
        let mut value = value.cloned().unwrap_or(Value::Null);
        for s in sub {
            value = match (&value, s.parse::<usize>()) {
                (Value::Array(items), Ok(i)) => items.get(i).cloned().unwrap_or(Value::Null),
                (Value::Object(map), _) => map.get(*s).cloned().unwrap_or(Value::Null),
                _ => Value::Null,
            };
        }
        match (modifier, &value) {
            (Some("length"), Value::Array(items)) => Ok(Operand::param(self.sql, SqlValue::Int(items.len() as i64))),
            (Some("length"), _) => Ok(Operand::param(self.sql, SqlValue::Int(i64::from(!value.is_null())))),
            (Some("each"), Value::Array(_)) => {
                let json = self.sql.param(SqlValue::Text(value.to_string()));
                let je = self.sql.alias("je");
                let join = self.sql.dialect.join_always(&self.sql.dialect.json_elements(&json, &je));
                self.joins.push(join);
                self.distinct = true;
                let sub = self.sql.alias("je");
                let json2 = self.sql.param(SqlValue::Text(value.to_string()));
                let mut op = Operand::expr(self.sql.column(&je, ELEMENT));
                let elements = self.sql.dialect.json_elements(&json2, &sub);
                let value = self.sql.column(&sub, ELEMENT);
                op.multi = Some(format!("SELECT {value} AS {} FROM {elements}", ident(MULTI_VALUE)));
                Ok(op)
            }
            (m, v) => {
                let op = json_to_operand(self.sql, v);
                Ok(if m == Some("lower") { Operand { sql: self.sql.dialect.lower(&op.sql), ..op } } else { op })
            }
        }
    }

    fn auth_field(&mut self, key: &str, rest: &[&str], modifier: Option<&str>) -> Result<Operand, FilterError> {
        let Some(auth) = self.request.auth.clone() else { return Ok(Operand::null()) };
        match (key, rest) {
            ("id", []) if modifier.is_none() => return Ok(Operand::param(self.sql, SqlValue::Text(auth.id))),
            ("collectionId", []) => return Ok(Operand::param(self.sql, SqlValue::Text(auth.collection_id))),
            ("collectionName", []) => return Ok(Operand::param(self.sql, SqlValue::Text(auth.collection_name))),
            _ => {}
        }
        let Some(coll) = self.schema.by_id(&auth.collection_id) else { return Ok(Operand::null()) };
        if coll.field(key).is_none() {
            // PocketBase resolves unknown @request.auth fields to NULL.
            return Ok(Operand::null());
        }
        let alias = ident("__auth");
        if self.joined.insert(alias.clone()) {
            let id = self.sql.param(SqlValue::Text(auth.id.clone()));
            self.joins.push(format!("LEFT JOIN {} {alias} ON {alias}.\"id\" = {id}", ident(&coll.name)));
        }
        let mut path = vec![key];
        path.extend_from_slice(rest);
        let coll: &'a Collection = coll;
        self.field_path(coll, &alias, &path, modifier, Correlation::Auth(auth.id))
    }

    fn collection_join(&mut self, rest: &str) -> Result<Operand, FilterError> {
        self.columns = true;
        let Some((head, remainder)) = rest.split_once('.') else {
            return Err(FilterError::Resolve(format!("@collection.{rest} names no field")));
        };
        let (fields, modifier) = split_modifier(remainder)?;
        let fields = fields.as_slice();
        let (name, join_alias) = head.split_once(':').map_or((head, head), |(n, a)| (n, a));
        let coll = self
            .schema
            .get(name)
            .ok_or_else(|| FilterError::Resolve(format!("unknown collection {name} in @collection.{rest}")))?;
        if fields.is_empty() {
            return Err(FilterError::Resolve(format!("@collection.{rest} names no field")));
        }
        let alias = ident(&format!("__collection_{join_alias}"));
        if self.joined.insert(alias.clone()) {
            self.joins.push(self.sql.dialect.join_always(&format!("{} {alias}", ident(&coll.name))));
        }
        self.distinct = true;
        let coll: &'a Collection = coll;
        let walked = {
            let mut joins = std::mem::take(&mut self.joins);
            let mut joined = std::mem::take(&mut self.joined);
            let w = walk(
                self.sql,
                self.schema,
                self.request,
                coll,
                &alias,
                fields,
                modifier,
                Walk { joins: &mut joins, joined: Some(&mut joined) },
            );
            self.joins = joins;
            self.joined = joined;
            w?
        };
        let mut op = self.finish_field(&walked, modifier)?;
        op.multi = Some(self.multi_subquery(coll, &alias, fields, modifier, Correlation::None)?);
        Ok(op)
    }

    fn macro_value(&mut self, name: &str) -> Result<Operand, FilterError> {
        let now = Utc::now();
        let day_start = now.date_naive().and_time(NaiveTime::MIN).and_utc();
        let date = |t: chrono::DateTime<Utc>| SqlValue::Text(crate::dates::format(t));
        let month_start = Utc.with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0).single().unwrap_or(now);
        let next_month = if now.month() == 12 {
            Utc.with_ymd_and_hms(now.year() + 1, 1, 1, 0, 0, 0)
        } else {
            Utc.with_ymd_and_hms(now.year(), now.month() + 1, 1, 0, 0, 0)
        }
        .single()
        .unwrap_or(now);
        let year_start = Utc.with_ymd_and_hms(now.year(), 1, 1, 0, 0, 0).single().unwrap_or(now);
        let year_end = Utc.with_ymd_and_hms(now.year() + 1, 1, 1, 0, 0, 0).single().unwrap_or(now);
        let end = |t: chrono::DateTime<Utc>| t - Duration::nanoseconds(1);
        let value = match name {
            "@now" => date(now),
            "@yesterday" => date(now - Duration::days(1)),
            "@tomorrow" => date(now + Duration::days(1)),
            "@todayStart" => date(day_start),
            "@todayEnd" => date(end(day_start + Duration::days(1))),
            "@monthStart" => date(month_start),
            "@monthEnd" => date(end(next_month)),
            "@yearStart" => date(year_start),
            "@yearEnd" => date(end(year_end)),
            "@second" => SqlValue::Int(i64::from(now.second())),
            "@minute" => SqlValue::Int(i64::from(now.minute())),
            "@hour" => SqlValue::Int(i64::from(now.hour())),
            "@day" => SqlValue::Int(i64::from(now.day())),
            "@month" => SqlValue::Int(i64::from(now.month())),
            "@weekday" => SqlValue::Int(i64::from(now.weekday().num_days_from_sunday())),
            "@year" => SqlValue::Int(i64::from(now.year())),
            _ => return Err(FilterError::Resolve(format!("unknown macro {name}"))),
        };
        Ok(Operand::param(self.sql, value))
    }

    fn function(&mut self, name: &str, args: &[Ast]) -> Result<Operand, FilterError> {
        let resolved = args.iter().map(|a| self.resolve(a)).collect::<Result<Vec<_>, _>>()?;
        if resolved.iter().any(|a| a.multi.is_some()) {
            return Err(FilterError::Resolve(format!("{name}() does not take multi-valued arguments")));
        }
        let sql: Vec<String> = resolved.into_iter().map(|a| a.sql).collect();
        match (name, sql.as_slice()) {
            ("geoDistance", [lon_a, lat_a, lon_b, lat_b]) => {
                Ok(Operand::expr(self.sql.dialect.geo_distance(lon_a, lat_a, lon_b, lat_b)))
            }
            ("geoDistance", _) => Err(FilterError::Resolve("geoDistance() takes 4 arguments".into())),
            ("strftime", args) if !args.is_empty() && args.len() <= 10 => {
                Ok(Operand::expr(self.sql.dialect.strftime(args)))
            }
            ("strftime", _) => Err(FilterError::Resolve("strftime() takes 1 to 10 arguments".into())),
            _ => Err(FilterError::Resolve(format!("unknown function {name}()"))),
        }
    }
}

#[derive(Clone)]
enum Correlation {
    /// The subquery row is the main row.
    Base,
    /// The subquery starts at the authenticated record.
    Auth(String),
    /// Uncorrelated (`@collection` joins).
    None,
}

fn is_back_relation(segment: &str) -> bool {
    segment.contains("_via_")
}

fn split_modifier(name: &str) -> Result<(Vec<&str>, Option<&str>), FilterError> {
    let (path, modifier) = match name.rsplit_once(':') {
        Some((p, m)) if matches!(m, "each" | "length" | "lower" | "isset" | "changed") && !p.contains(':') => {
            (p, Some(m))
        }
        Some((p, _)) if !p.contains(':') => {
            return Err(FilterError::Resolve(format!("unknown modifier in {name}")));
        }
        _ => (name, None),
    };
    Ok((path.split('.').collect(), modifier))
}

fn json_to_operand(sql: &mut SqlBuilder, v: &Value) -> Operand {
    match v {
        Value::Null => Operand::null(),
        Value::Bool(b) => Operand::boolean(sql, *b),
        Value::Number(n) => {
            Operand::param(sql, n.as_i64().map_or_else(|| SqlValue::Real(n.as_f64().unwrap_or(0.0)), SqlValue::Int))
        }
        Value::String(s) => Operand::param(sql, SqlValue::Text(s.clone())),
        other => Operand::param(sql, SqlValue::Text(other.to_string())),
    }
}

/// Walks `path` from `(collection, alias)`, adding LEFT JOINs for relations and
/// back-relations, and returns the final SQL value.
#[allow(clippy::too_many_arguments)]
fn walk<'c>(
    sql: &mut SqlBuilder,
    schema: &'c Schema,
    request: &RequestInfo,
    collection: &'c Collection,
    alias: &str,
    path: &[&str],
    modifier: Option<&str>,
    mut out: Walk<'_>,
) -> Result<Walked<'c>, FilterError> {
    let mut coll = collection;
    let mut alias = alias.to_owned();
    let mut multi = false;
    let unknown = |name: &str, c: &Collection| FilterError::Resolve(format!("unknown field {name} in {}", c.name));
    for (i, seg) in path.iter().enumerate() {
        let last = i + 1 == path.len();
        if i > MAX_HOPS {
            return Err(FilterError::Resolve("too many relation hops".into()));
        }
        if let Some(field) = coll.field(seg) {
            if last {
                return Ok(last_field(sql, coll, &alias, field, modifier, multi, &mut out));
            }
            match &field.kind {
                FieldKind::Json(_) | FieldKind::GeoPoint(_) => {
                    let json_path = json_path(&path[i + 1..]);
                    let p = sql.param(SqlValue::Text(json_path));
                    return Ok(Walked {
                        sql: sql.dialect.json_extract(&format!("{alias}.{}", ident(&field.name)), &p),
                        field: Some(field),
                        collection: coll,
                        alias,
                        multi,
                        json: true,
                    });
                }
                FieldKind::Relation(o) => {
                    let target = schema.by_id(&o.collection_id).ok_or_else(|| unknown(seg, coll))?;
                    if field.hidden && !request.is_superuser() {
                        return Err(FilterError::Resolve(format!("the field {seg} cannot be filtered")));
                    }
                    // `rel.id` is the relation column itself: no join, no listRule (as PocketBase).
                    if i + 2 == path.len() && path[i + 1] == "id" && modifier.is_none() {
                        let column = format!("{alias}.{}", ident(seg));
                        if !field.is_multiple() {
                            return Ok(Walked {
                                sql: column,
                                field: target.field("id"),
                                collection: target,
                                alias,
                                multi,
                                json: false,
                            });
                        }
                        let je = join_alias(sql, &alias, &format!("{seg}_je"), out.joined.is_some());
                        push_join(&mut out, &je, sql.dialect.join_always(&sql.dialect.json_elements(&column, &je)));
                        return Ok(Walked {
                            sql: format!("{je}.\"value\""),
                            field: target.field("id"),
                            collection: target,
                            alias,
                            multi: true,
                            json: false,
                        });
                    }
                    let next = join_alias(sql, &alias, seg, out.joined.is_some());
                    if field.is_multiple() {
                        multi = true;
                        let je = join_alias(sql, &alias, &format!("{seg}_je"), out.joined.is_some());
                        push_join(
                            &mut out,
                            &je,
                            sql.dialect.join_always(&sql.dialect.json_elements(&sql.column(&alias, seg), &je)),
                        );
                        let on = format!("{next}.\"id\" = {je}.\"value\"");
                        join_with_rule(sql, schema, request, &mut out, target, &next, &on)?;
                    } else {
                        let on = format!("{next}.\"id\" = {alias}.{}", ident(seg));
                        join_with_rule(sql, schema, request, &mut out, target, &next, &on)?;
                    }
                    coll = target;
                    alias = next;
                }
                _ => return Err(unknown(&path[..=i].join("."), coll)),
            }
        } else if let Some((other, via)) = seg.split_once("_via_") {
            let target = schema.get(other).ok_or_else(|| unknown(seg, coll))?;
            let field = target.field(via).ok_or_else(|| unknown(seg, coll))?;
            let FieldKind::Relation(o) = &field.kind else { return Err(unknown(seg, coll)) };
            if o.collection_id != coll.id {
                return Err(unknown(seg, coll));
            }
            multi = true;
            let next = join_alias(sql, &alias, seg, out.joined.is_some());
            let on = if field.is_multiple() {
                let el = sql.alias("via");
                let elements = sql.dialect.json_elements(&sql.column(&next, via), &el);
                format!("EXISTS (SELECT 1 FROM {elements} WHERE {} = {alias}.\"id\")", sql.column(&el, ELEMENT))
            } else {
                format!("{next}.{} = {alias}.\"id\"", ident(via))
            };
            join_with_rule(sql, schema, request, &mut out, target, &next, &on)?;
            if last {
                if modifier.is_some() {
                    return Err(FilterError::Resolve(format!("modifiers cannot be applied to {seg}")));
                }
                return Ok(Walked {
                    sql: format!("{next}.\"id\""),
                    field: target.field("id"),
                    collection: target,
                    alias: next,
                    multi,
                    json: false,
                });
            }
            coll = target;
            alias = next;
        } else {
            return Err(unknown(&path[..=i].join("."), coll));
        }
    }
    Err(FilterError::Resolve("empty field path".into()))
}

fn last_field<'c>(
    sql: &mut SqlBuilder,
    coll: &'c Collection,
    alias: &str,
    field: &'c Field,
    modifier: Option<&str>,
    mut multi: bool,
    out: &mut Walk<'_>,
) -> Walked<'c> {
    let column = format!("{alias}.{}", ident(&field.name));
    let sql_text = match modifier {
        Some("each") if field.is_multiple() => {
            let je = join_alias(sql, alias, &format!("{}_each", field.name), out.joined.is_some());
            push_join(out, &je, sql.dialect.join_always(&sql.dialect.json_elements(&column, &je)));
            multi = true;
            format!("{je}.\"value\"")
        }
        Some("length") if field.is_multiple() => sql.dialect.json_array_length(&column),
        Some("lower") => sql.dialect.lower(&column),
        _ => column,
    };
    let json = field.is_json() && !matches!(modifier, Some("each" | "length"));
    Walked { sql: sql_text, field: Some(field), collection: coll, alias: alias.to_owned(), multi, json }
}

/// Deterministic aliases in the main query (so repeated paths share a join); fresh ones in subqueries.
fn join_alias(sql: &mut SqlBuilder, from: &str, seg: &str, shared: bool) -> String {
    if shared { ident(&format!("{}_{seg}", from.trim_matches('"'))) } else { sql.alias("mmj") }
}

/// Adds a join unless the main query has it already; `true` when added.
fn push_join(out: &mut Walk<'_>, alias: &str, join: String) -> bool {
    if let Some(joined) = out.joined.as_deref_mut()
        && !joined.insert(alias.to_owned())
    {
        return false;
    }
    out.joins.push(join);
    true
}

/// Joins a related collection; for non-superusers its listRule becomes part of the join
/// condition, so records the caller may not list behave as if absent.
fn join_with_rule(
    sql: &mut SqlBuilder,
    schema: &Schema,
    request: &RequestInfo,
    out: &mut Walk<'_>,
    target: &Collection,
    alias: &str,
    on: &str,
) -> Result<(), FilterError> {
    if out.joined.as_deref().is_some_and(|j| j.contains(alias)) {
        return Ok(());
    }
    let check =
        super::rule_check(sql, schema, target, &format!("{alias}.\"id\""), target.rules.list_rule.as_deref(), request)?;
    let rule = if check == sql.dialect.bool_literal(true) { String::new() } else { format!(" AND {check}") };
    push_join(out, alias, format!("LEFT JOIN {} {alias} ON {on}{rule}", ident(&target.name)));
    Ok(())
}

fn json_path(segments: &[&str]) -> String {
    let mut p = String::from("$");
    for s in segments {
        if s.chars().all(|c| c.is_ascii_digit()) {
            p.push_str(&format!("[{s}]"));
        } else {
            p.push_str(&format!(".\"{s}\""));
        }
    }
    p
}
