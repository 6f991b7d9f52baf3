//! Collects bound parameters and fresh table aliases while one statement is built.

use super::{Dialect, SqlValue};

#[derive(Debug)]
pub struct SqlBuilder {
    pub params: Vec<SqlValue>,
    pub dialect: &'static dyn Dialect,
    next_alias: usize,
}

impl SqlBuilder {
    pub fn new(dialect: &'static dyn Dialect) -> Self {
        Self { params: Vec::new(), dialect, next_alias: 0 }
    }

    /// Adds a bound parameter and returns its placeholder.
    pub fn param(&mut self, value: SqlValue) -> String {
        self.params.push(value);
        self.dialect.placeholder(self.params.len())
    }

    /// The bound value behind a placeholder this builder returned.
    pub fn param_mut(&mut self, placeholder: &str) -> Option<&mut SqlValue> {
        let n = self.dialect.placeholder_index(placeholder)?;
        self.params.get_mut(n.checked_sub(1)?)
    }

    /// A fresh quoted alias, `"__<prefix><n>"`.
    pub fn alias(&mut self, prefix: &str) -> String {
        self.next_alias += 1;
        self.dialect.ident(&format!("__{prefix}{}", self.next_alias))
    }

    /// `<qualifier>.<quoted column>`.
    pub fn column(&self, qualifier: &str, column: &str) -> String {
        format!("{qualifier}.{}", self.dialect.ident(column))
    }
}
