//! What deleting a record does to the records that reference it: cascade (recursively),
//! refuse (a required reference), or unset the reference.

use super::RecordError;
use crate::schema::{Collection, CollectionKind, FieldKind, Schema};
use crate::sql::{SqlBuilder, SqlQuery, SqlValue, Statement, dialect::ELEMENT, ident, statements};
use crate::store::RecordStore;

/// What deleting `id` does to records that reference it: cascade (recursively, each cascaded
/// record cleaning up after itself), refuse (a required reference), or unset.
pub(super) async fn reference_cleanup(
    db: &dyn RecordStore,
    schema: &Schema,
    coll: &Collection,
    id: &str,
) -> Result<Vec<Statement>, RecordError> {
    let mut visited = vec![(coll.id.clone(), id.to_owned())];
    cleanup(db, schema, coll, id, &mut visited).await
}

fn cleanup<'a>(
    db: &'a dyn RecordStore,
    schema: &'a Schema,
    coll: &'a Collection,
    id: &'a str,
    visited: &'a mut Vec<(String, String)>,
) -> futures_util::future::BoxFuture<'a, Result<Vec<Statement>, RecordError>> {
    Box::pin(async move {
        let mut out = Vec::new();
        if visited.len() > 10_000 {
            return Err(RecordError::bad(
                "Too many records would be deleted in cascade.",
                crate::error::FieldErrors::default(),
            ));
        }
        for other in schema.all().iter().filter(|c| c.kind != CollectionKind::View) {
            for field in &other.fields {
                let FieldKind::Relation(o) = &field.kind else { continue };
                if o.collection_id != coll.id {
                    continue;
                }
                let (table, col) = (ident(&other.name), ident(&field.name));
                let mut sql = SqlBuilder::new(db.dialect());
                let target = sql.param(SqlValue::Text(id.to_owned()));
                let matches = super::holds(&mut sql, &col, &target, field.is_multiple());
                if o.cascade_delete {
                    let q = SqlQuery { sql: format!("SELECT \"id\" FROM {table} WHERE {matches}"), params: sql.params };
                    for row in db.query(q).await? {
                        let Some(SqlValue::Text(child)) = row.into_iter().next() else { continue };
                        if visited.iter().any(|(c, i)| c == &other.id && i == &child) {
                            continue;
                        }
                        visited.push((other.id.clone(), child.clone()));
                        out.extend(cleanup(db, schema, other, &child, visited).await?);
                        if super::files::has_files(other) {
                            let folder = format!("{}/{child}", other.id);
                            out.extend(super::cleanup::queue(db, &[folder], std::time::Duration::ZERO));
                        }
                        out.push(statements::delete(db.dialect(), &other.name, &[("id", child.into())]));
                    }
                    continue;
                }
                if o.required {
                    let q =
                        SqlQuery { sql: format!("SELECT 1 FROM {table} WHERE {matches} LIMIT 1"), params: sql.params };
                    if !db.query(q).await?.is_empty() {
                        return Err(RecordError::bad(
                            "The record cannot be deleted because it is part of a required reference in another record.",
                            crate::error::FieldErrors::default(),
                        ));
                    }
                    continue;
                }
                let set = if field.is_multiple() {
                    let el = sql.alias("el");
                    let (elements, value) = (sql.dialect.json_array_elements(&col, &el), sql.column(&el, ELEMENT));
                    format!(
                        "{col} = (SELECT {} FROM {elements} WHERE {value} != {target})",
                        sql.dialect.json_array_agg(&value)
                    )
                } else {
                    format!("{col} = ''")
                };
                let update = format!("UPDATE {table} SET {set} WHERE {matches}");
                out.push(Statement::new(SqlQuery { sql: update, params: sql.params }));
            }
        }
        Ok(out)
    })
}
