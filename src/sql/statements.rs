//! Plain statements on one table, built through a dialect: the CRUD that record writes and
//! Croft's system tables share. Values are always bound, names always quoted.

use super::{Dialect, SqlBuilder, SqlQuery, SqlValue, Statement};

impl SqlBuilder {
    /// `"a" = ?1 AND "b" = ?2 …` for the column/value pairs of `filter`.
    pub fn equals<C: AsRef<str>>(&mut self, filter: &[(C, SqlValue)]) -> String {
        let parts: Vec<String> = filter
            .iter()
            .map(|(c, v)| format!("{} = {}", self.dialect.ident(c.as_ref()), self.param(v.clone())))
            .collect();
        parts.join(" AND ")
    }

    fn statement(self, sql: String) -> Statement {
        Statement::new(SqlQuery { sql, params: self.params })
    }
}

/// `INSERT INTO table (columns…) VALUES (…)`.
pub fn insert<C: AsRef<str>>(dialect: &'static dyn Dialect, table: &str, row: &[(C, SqlValue)]) -> Statement {
    let mut sql = SqlBuilder::new(dialect);
    let columns: Vec<String> = row.iter().map(|(c, _)| dialect.ident(c.as_ref())).collect();
    let values: Vec<String> = row.iter().map(|(_, v)| sql.param(v.clone())).collect();
    let text = format!("INSERT INTO {} ({}) VALUES ({})", dialect.ident(table), columns.join(", "), values.join(", "));
    sql.statement(text)
}

/// `UPDATE table SET column = value, … WHERE filter`.
pub fn update<C: AsRef<str>>(
    dialect: &'static dyn Dialect,
    table: &str,
    sets: &[(C, SqlValue)],
    filter: &[(&str, SqlValue)],
) -> Statement {
    let mut sql = SqlBuilder::new(dialect);
    let sets: Vec<String> =
        sets.iter().map(|(c, v)| format!("{} = {}", dialect.ident(c.as_ref()), sql.param(v.clone()))).collect();
    let which = sql.equals(filter);
    let text = format!("UPDATE {} SET {} WHERE {which}", dialect.ident(table), sets.join(", "));
    sql.statement(text)
}

/// `DELETE FROM table WHERE filter`.
pub fn delete(dialect: &'static dyn Dialect, table: &str, filter: &[(&str, SqlValue)]) -> Statement {
    let mut sql = SqlBuilder::new(dialect);
    let which = sql.equals(filter);
    sql.statement(format!("DELETE FROM {} WHERE {which}", dialect.ident(table)))
}
