//! What deleting a record does to the records that reference it: cascade (recursively),
//! refuse (a required reference), or unset the reference.

use serde_json::json;

use super::RecordError;
use crate::filter::ident;
use crate::schema::{Collection, CollectionKind, FieldKind, Schema};
use crate::store::{RecordStore, SqlQuery, SqlValue, Statement};

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
            return Err(RecordError::bad("Too many records would be deleted in cascade.", json!({})));
        }
        for other in schema.all().iter().filter(|c| c.kind != CollectionKind::View) {
            for field in &other.fields {
                let FieldKind::Relation(o) = &field.kind else { continue };
                if o.collection_id != coll.id {
                    continue;
                }
                let (table, col) = (ident(&other.name), ident(&field.name));
                let matches = if field.is_multiple() {
                    format!("EXISTS (SELECT 1 FROM {} WHERE `value` = ?1)", db.dialect().json_elements(&col))
                } else {
                    format!("{col} = ?1")
                };
                let params = vec![SqlValue::Text(id.to_owned())];
                if o.cascade_delete {
                    let q = SqlQuery { sql: format!("SELECT `id` FROM {table} WHERE {matches}"), params };
                    for row in db.query(q).await? {
                        let Some(SqlValue::Text(child)) = row.into_iter().next() else { continue };
                        if visited.iter().any(|(c, i)| c == &other.id && i == &child) {
                            continue;
                        }
                        visited.push((other.id.clone(), child.clone()));
                        out.extend(cleanup(db, schema, other, &child, visited).await?);
                        if super::files::has_files(other) {
                            let folder = format!("{}/{child}", other.id);
                            out.extend(crate::files::cleanup::queue(&[folder], std::time::Duration::ZERO));
                        }
                        out.push(Statement {
                            query: SqlQuery {
                                sql: format!("DELETE FROM {table} WHERE `id` = ?1"),
                                params: vec![SqlValue::Text(child)],
                            },
                            must_affect: false,
                        });
                    }
                    continue;
                }
                if o.required {
                    let q = SqlQuery { sql: format!("SELECT 1 FROM {table} WHERE {matches} LIMIT 1"), params };
                    if !db.query(q).await?.is_empty() {
                        return Err(RecordError::bad(
                            "The record cannot be deleted because it is part of a required reference in another record.",
                            json!({}),
                        ));
                    }
                    continue;
                }
                let set = if field.is_multiple() {
                    format!("{col} = (SELECT json_group_array(`value`) FROM json_each({col}) WHERE `value` != ?1)")
                } else {
                    format!("{col} = ''")
                };
                out.push(Statement {
                    query: SqlQuery { sql: format!("UPDATE {table} SET {set} WHERE {matches}"), params },
                    must_affect: false,
                });
            }
        }
        Ok(out)
    })
}
