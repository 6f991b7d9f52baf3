//! Auth records: the standard columns every auth collection table has.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, Row, params};

use super::{SqliteStore, ident};
use crate::store::model::{AuthCollection, AuthRecord, NewAuthRecord};
use crate::store::{AuthStore, StoreResult};

const RECORD_COLUMNS: &str = "id, email, emailVisibility, verified, password, tokenKey, created, updated";

/// The columns to read: a collection made through the API may have no `created`/`updated`.
fn read_columns(coll: &AuthCollection) -> String {
    let date = |name: &str| if coll.date_fields.iter().any(|f| f == name) { ident(name) } else { "''".to_owned() };
    format!("id, email, emailVisibility, verified, password, tokenKey, {}, {}", date("created"), date("updated"))
}

fn record_from_row(row: &Row<'_>) -> rusqlite::Result<AuthRecord> {
    Ok(AuthRecord {
        id: row.get(0)?,
        email: row.get(1)?,
        email_visibility: row.get(2)?,
        verified: row.get(3)?,
        password_hash: row.get(4)?,
        token_key: row.get(5)?,
        created: row.get(6)?,
        updated: row.get(7)?,
    })
}

#[async_trait]
impl AuthStore for SqliteStore {
    async fn auth_record_by(&self, coll: &AuthCollection, field: &str, value: &str) -> StoreResult<Option<AuthRecord>> {
        let collate = if field == "email" { " COLLATE NOCASE" } else { "" };
        let sql = format!(
            "SELECT {} FROM {} WHERE {} = ?1{collate} LIMIT 1",
            read_columns(coll),
            ident(&coll.name),
            ident(field)
        );
        self.data.lookup(|c| c.prepare_cached(&sql)?.query_row([value], record_from_row).optional())
    }

    async fn auth_record(&self, coll: &AuthCollection, id: &str) -> StoreResult<Option<AuthRecord>> {
        self.auth_record_by(coll, "id", id).await
    }

    async fn count_auth_records(&self, coll: &AuthCollection) -> StoreResult<u64> {
        let sql = format!("SELECT COUNT(*) FROM {}", ident(&coll.name));
        let n = self.data.read(move |c| c.query_row(&sql, [], |r| r.get::<_, i64>(0))).await?;
        Ok(u64::try_from(n).unwrap_or_default())
    }

    async fn insert_auth_record(&self, coll: &AuthCollection, new: NewAuthRecord) -> StoreResult<AuthRecord> {
        let table = ident(&coll.name);
        let insert = format!(
            "INSERT INTO {table} ({RECORD_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7) RETURNING {RECORD_COLUMNS}"
        );
        let now = crate::dates::now();
        self.data
            .write(move |c| {
                c.query_row(
                    &insert,
                    params![
                        new.id,
                        new.email,
                        new.email_visibility,
                        new.verified,
                        new.password_hash,
                        new.token_key,
                        now
                    ],
                    record_from_row,
                )
            })
            .await
    }

    async fn set_password(&self, coll: &AuthCollection, id: &str, hash: &str, token_key: &str) -> StoreResult<bool> {
        let sql = format!("UPDATE {} SET password = ?1, tokenKey = ?2, updated = ?3 WHERE id = ?4", ident(&coll.name));
        let args = (hash.to_owned(), token_key.to_owned(), crate::dates::now(), id.to_owned());
        let n = self.data.write(move |c| c.execute(&sql, params![args.0, args.1, args.2, args.3])).await?;
        Ok(n > 0)
    }

    async fn delete_auth_record(&self, coll: &AuthCollection, id: &str) -> StoreResult<bool> {
        let sql = format!("DELETE FROM {} WHERE id = ?1", ident(&coll.name));
        let id = id.to_owned();
        Ok(self.data.write(move |c| c.execute(&sql, [id])).await? > 0)
    }
}

impl SqliteStore {}
