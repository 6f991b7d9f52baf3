//! `sort=-created,title,@random`: comma-separated fields, `-` for descending.

use super::FilterError;
use super::parser::Operand as Ast;
use super::resolve::Context;

/// Most sort fields (PocketBase's limit).
pub const MAX_FIELDS: usize = 8;
const MAX_NAME: usize = 255;

#[derive(Debug, thiserror::Error)]
pub enum SortError {
    #[error("invalid sort: {0}")]
    Invalid(String),
    #[error(transparent)]
    Filter(#[from] FilterError),
}

/// The ORDER BY terms for `sort` (joins go into `ctx`).
pub fn compile(ctx: &mut Context<'_>, sort: &str) -> Result<Vec<String>, SortError> {
    let mut terms = Vec::new();
    for raw in sort.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if terms.len() == MAX_FIELDS {
            return Err(SortError::Invalid(format!("at most {MAX_FIELDS} sort fields")));
        }
        let (name, dir) = match raw.strip_prefix('-') {
            Some(n) => (n, "DESC"),
            None => (raw.strip_prefix('+').unwrap_or(raw), "ASC"),
        };
        if name.is_empty() || name.len() > MAX_NAME {
            return Err(SortError::Invalid(format!("invalid sort field {raw:?}")));
        }
        let sql = match name {
            "@random" => ctx.sql.dialect.random().to_owned(),
            "@rowid" if ctx.base.kind == crate::schema::CollectionKind::View => {
                return Err(SortError::Invalid("views have no @rowid".into()));
            }
            "@rowid" => ctx.sql.dialect.rowid(&ctx.alias),
            _ => {
                if !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '@')) {
                    return Err(SortError::Invalid(format!("invalid sort field {raw:?}")));
                }
                let op = ctx.resolve(&Ast::Ident(name.to_owned()))?;
                if !matches!(op.kind, super::resolve::Kind::Expr) {
                    return Err(SortError::Invalid(format!("cannot sort by {name}")));
                }
                op.sql
            }
        };
        terms.push(format!("{sql} {dir}"));
    }
    Ok(terms)
}
