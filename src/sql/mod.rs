//! SQL as data: values, queries, statements and rows, the [`Dialect`] that spells what differs
//! between databases, and the [`SqlBuilder`] that collects bound parameters while a statement
//! is built. Code above the store writes SQL only through these: identifiers through
//! [`Dialect::ident`] (or [`ident`], the double-quoted form both SQLite and PostgreSQL
//! accept), values through [`SqlBuilder::param`], never as text.

mod builder;
pub mod dialect;
pub mod statements;

pub use builder::SqlBuilder;
pub use dialect::{Dialect, POSTGRES, Postgres, SQLITE, Sqlite};

/// A value bound to, or read from, an SQL statement.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
}

impl From<&str> for SqlValue {
    fn from(s: &str) -> Self {
        Self::Text(s.to_owned())
    }
}

impl From<String> for SqlValue {
    fn from(s: String) -> Self {
        Self::Text(s)
    }
}

impl From<i64> for SqlValue {
    fn from(n: i64) -> Self {
        Self::Int(n)
    }
}

/// SQL text with placeholders in the dialect's spelling and their values, in order.
#[derive(Debug, Clone, Default)]
pub struct SqlQuery {
    pub sql: String,
    pub params: Vec<SqlValue>,
}

pub type Row = Vec<SqlValue>;

/// One statement of a write transaction.
#[derive(Debug, Clone)]
pub struct Statement {
    pub query: SqlQuery,
    /// Roll the transaction back with a precondition failure if no row was affected.
    pub must_affect: bool,
}

impl Statement {
    pub fn new(query: SqlQuery) -> Self {
        Self { query, must_affect: false }
    }

    /// The same statement, which must affect at least one row.
    pub fn must_affect(self) -> Self {
        Self { must_affect: true, ..self }
    }
}

/// An identifier in double quotes (inner quotes doubled): the SQL standard's form, which
/// every supported dialect accepts. [`Dialect::ident`] defaults to it.
pub fn ident(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    out.push('"');
    for c in name.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests;
