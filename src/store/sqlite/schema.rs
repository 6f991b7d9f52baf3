//! Collections as real tables: `_collections` rows plus DDL, each change in one transaction.

use anyhow::{Context, anyhow};
use async_trait::async_trait;
use rusqlite::{Connection, Transaction, params};

use super::{SqliteStore, ident};
use crate::schema::{Collection, CollectionKind, Field, FieldKind};
use crate::store::{CollectionStore, SchemaChange, StoreError, StoreResult};

const SELECT: &str = "SELECT id, system, type, name, fields, indexes, listRule, viewRule, createRule, updateRule,
    deleteRule, options, created, updated FROM _collections ORDER BY rowid";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Result<Collection, String>> {
    let name: String = r.get(3)?;
    let json = |i: usize| -> rusqlite::Result<String> { r.get(i) };
    let kind: String = r.get(2)?;
    let parsed = (|| -> Result<Collection, serde_json::Error> {
        Ok(Collection {
            id: r.get(0).unwrap_or_default(),
            system: r.get(1).unwrap_or_default(),
            kind: serde_json::from_value(serde_json::Value::String(kind))?,
            name: name.clone(),
            fields: serde_json::from_str(&json(4).unwrap_or_default())?,
            indexes: serde_json::from_str(&json(5).unwrap_or_default())?,
            rules: crate::schema::Rules {
                list_rule: r.get(6).unwrap_or_default(),
                view_rule: r.get(7).unwrap_or_default(),
                create_rule: r.get(8).unwrap_or_default(),
                update_rule: r.get(9).unwrap_or_default(),
                delete_rule: r.get(10).unwrap_or_default(),
            },
            options: serde_json::from_str(&json(11).unwrap_or_default())?,
            created: r.get(12).unwrap_or_default(),
            updated: r.get(13).unwrap_or_default(),
        })
    })();
    Ok(parsed.map_err(|e| format!("collection {name} is stored in an unreadable form: {e}")))
}

/// The column definition of a field, as PocketBase declares it.
pub fn column_def(f: &Field) -> String {
    let name = ident(&f.name);
    if f.name == "id" {
        return format!("{name} TEXT PRIMARY KEY DEFAULT ('r'||lower(hex(randomblob(7)))) NOT NULL");
    }
    let def = match &f.kind {
        _ if f.is_multiple() => "JSON DEFAULT '[]' NOT NULL",
        FieldKind::Number(_) => "NUMERIC DEFAULT 0 NOT NULL",
        FieldKind::Bool(_) => "BOOLEAN DEFAULT FALSE NOT NULL",
        FieldKind::Json(_) => "JSON DEFAULT NULL",
        FieldKind::GeoPoint(_) => "JSON DEFAULT '{\"lon\":0,\"lat\":0}' NOT NULL",
        _ => "TEXT DEFAULT '' NOT NULL",
    };
    format!("{name} {def}")
}

fn insert_row(tx: &Transaction<'_>, c: &Collection) -> rusqlite::Result<usize> {
    tx.execute(
        "INSERT INTO _collections (id, system, type, name, fields, indexes, listRule, viewRule, createRule,
            updateRule, deleteRule, options, created, updated)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13)",
        params![
            c.id,
            c.system,
            c.kind.as_str(),
            c.name,
            to_json(&c.fields),
            to_json(&c.indexes),
            c.rules.list_rule,
            c.rules.view_rule,
            c.rules.create_rule,
            c.rules.update_rule,
            c.rules.delete_rule,
            to_json(&c.options),
            c.created,
        ],
    )
}

fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

fn create_table(tx: &Transaction<'_>, c: &Collection) -> rusqlite::Result<()> {
    if c.kind == CollectionKind::View {
        let query = c.view_query().unwrap_or_default();
        return tx.execute_batch(&format!("CREATE VIEW {} AS {query}", ident(&c.name)));
    }
    let columns: Vec<String> = c.fields.iter().map(column_def).collect();
    tx.execute_batch(&format!("CREATE TABLE {} ({})", ident(&c.name), columns.join(", ")))
}

fn create_indexes(tx: &Transaction<'_>, c: &Collection) -> rusqlite::Result<()> {
    for index in &c.indexes {
        tx.execute_batch(index)?;
    }
    Ok(())
}

fn drop_indexes(tx: &Transaction<'_>, table: &str) -> rusqlite::Result<()> {
    let names: Vec<String> = tx
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?1 AND sql IS NOT NULL")?
        .query_map([table], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for name in names {
        tx.execute_batch(&format!("DROP INDEX {}", ident(&name)))?;
    }
    Ok(())
}

/// Alters the table from `old` to `new`: renames, dropped, renamed, added and re-shaped columns.
fn alter_table(tx: &Transaction<'_>, old: &Collection, new: &Collection) -> Result<(), StoreError> {
    drop_indexes(tx, &old.name).map_err(StoreError::from)?;
    if old.name != new.name {
        tx.execute_batch(&format!("ALTER TABLE {} RENAME TO {}", ident(&old.name), ident(&new.name)))?;
    }
    let table = ident(&new.name);
    for f in &old.fields {
        if !new.fields.iter().any(|n| n.id == f.id) {
            tx.execute_batch(&format!("ALTER TABLE {table} DROP COLUMN {}", ident(&f.name)))?;
        }
    }
    for f in &new.fields {
        match old.fields.iter().find(|o| o.id == f.id) {
            None => tx.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {}", column_def(f)))?,
            Some(o) => {
                if o.type_name() != f.type_name() {
                    return Err(StoreError::Other(anyhow!(
                        "the type of field {} cannot change from {} to {}",
                        o.name,
                        o.type_name(),
                        f.type_name()
                    )));
                }
                if o.name != f.name {
                    tx.execute_batch(&format!(
                        "ALTER TABLE {table} RENAME COLUMN {} TO {}",
                        ident(&o.name),
                        ident(&f.name)
                    ))?;
                }
                reshape(tx, &table, o, f)?;
            }
        }
    }
    Ok(())
}

/// Converts stored values when a select/relation/file field switches between single and multiple.
fn reshape(tx: &Transaction<'_>, table: &str, old: &Field, new: &Field) -> rusqlite::Result<()> {
    let col = ident(&new.name);
    match (old.is_multiple(), new.is_multiple()) {
        (false, true) => tx.execute_batch(&format!(
            "UPDATE {table} SET {col} = CASE WHEN {col} = '' OR {col} IS NULL THEN '[]' ELSE json_array({col}) END"
        )),
        (true, false) => tx.execute_batch(&format!(
            "UPDATE {table} SET {col} = CASE WHEN json_valid({col}) AND json_array_length({col}) > 0
                THEN json_extract({col}, '$[#-1]') ELSE '' END"
        )),
        _ => Ok(()),
    }
}

fn apply(tx: &Transaction<'_>, change: &SchemaChange) -> Result<(), StoreError> {
    match change {
        SchemaChange::Create(c) => {
            insert_row(tx, c)?;
            create_table(tx, c)?;
            create_indexes(tx, c)?;
        }
        SchemaChange::Update(old, new) => {
            if new.kind == CollectionKind::View {
                tx.execute_batch(&format!("DROP VIEW IF EXISTS {}", ident(&old.name)))?;
                create_table(tx, new)?;
            } else {
                alter_table(tx, old, new)?;
                create_indexes(tx, new)?;
            }
            tx.execute("DELETE FROM _collections WHERE id = ?1", [&old.id])?;
            insert_row(tx, new)?;
        }
        SchemaChange::Delete(c) => {
            let what = if c.kind == CollectionKind::View { "VIEW" } else { "TABLE" };
            tx.execute_batch(&format!("DROP {what} IF EXISTS {}", ident(&c.name)))?;
            tx.execute("DELETE FROM _collections WHERE id = ?1", [&c.id])?;
            queue_blob_folder(tx, &c.id)?;
        }
    }
    Ok(())
}

/// The collection's blob folder goes with its records (see `files::cleanup`).
fn queue_blob_folder(tx: &rusqlite::Transaction<'_>, collection_id: &str) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO _blobQueue (key, notBefore) VALUES (?1, strftime('%Y-%m-%d %H:%M:%fZ'))
         ON CONFLICT(key) DO UPDATE SET notBefore = excluded.notBefore, attempts = 0",
        [collection_id],
    )?;
    Ok(())
}

#[async_trait]
impl CollectionStore for SqliteStore {
    async fn load_collections(&self) -> StoreResult<Vec<Collection>> {
        let rows = self
            .data
            .read(|c: &Connection| c.prepare(SELECT)?.query_map([], from_row)?.collect::<rusqlite::Result<Vec<_>>>())
            .await?;
        rows.into_iter().map(|r| r.map_err(|e| StoreError::Other(anyhow!(e)))).collect()
    }

    async fn apply_changes(&self, changes: Vec<SchemaChange>) -> StoreResult<()> {
        self.apply_in_tx(changes).await
    }

    async fn query_columns(&self, select: &str) -> StoreResult<Vec<String>> {
        let sql = format!("SELECT * FROM ({select}) LIMIT 0");
        self.data
            .read(move |c| {
                let stmt = c.prepare(&sql)?;
                Ok(stmt.column_names().into_iter().map(str::to_owned).collect())
            })
            .await
    }

    async fn truncate_collection(&self, c: &Collection) -> StoreResult<()> {
        let table = ident(&c.name);
        let id = c.id.clone();
        self.data
            .write_tx(move |tx| {
                tx.execute_batch(&format!("DELETE FROM {table}")).context("truncate").map_err(StoreError::Other)?;
                queue_blob_folder(tx, &id).map_err(|e| StoreError::Other(anyhow!(e)))
            })
            .await
    }
}

impl SqliteStore {
    async fn apply_in_tx(&self, changes: Vec<SchemaChange>) -> StoreResult<()> {
        self.data
            .write_tx(move |tx| {
                for change in &changes {
                    apply(tx, change)?;
                }
                Ok(())
            })
            .await
    }
}
