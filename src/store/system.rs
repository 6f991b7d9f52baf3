//! Croft's system tables (`_otps`, `_mfas`, `_externalAuths`, `_authOrigins`, `_apiKeys`,
//! `_blobQueue`) as typed functions. Their SQL is built here, through the store's dialect, so
//! it is the same for every backend; nothing above the store names these tables or columns.
//! The blob-queue statements are factories: they join a record write's transaction.

use super::model::{ApiKeyRow, AuthOrigin, ExternalAuth, Mfa, Otp, QueuedBlob};
use super::{RecordStore, StoreResult};
use crate::sql::{Row, SqlBuilder, SqlQuery, SqlValue, Statement, ident, statements};

const OTPS: &str = "_otps";
const MFAS: &str = "_mfas";
const EXTERNAL_AUTHS: &str = "_externalAuths";
const AUTH_ORIGINS: &str = "_authOrigins";
const API_KEYS: &str = "_apiKeys";
const BLOB_QUEUE: &str = "_blobQueue";

fn text(v: &str) -> SqlValue {
    SqlValue::from(v)
}

fn insert(db: &dyn RecordStore, table: &str, row: &[(&str, SqlValue)]) -> Statement {
    statements::insert(db.dialect(), table, row)
}

/// `SELECT cols FROM table WHERE filter [tail]`.
async fn select(
    db: &dyn RecordStore,
    table: &str,
    columns: &[&str],
    filter: &[(&str, SqlValue)],
    tail: &str,
) -> StoreResult<Vec<Row>> {
    let mut sql = SqlBuilder::new(db.dialect());
    let list: Vec<String> = columns.iter().map(|c| ident(c)).collect();
    let mut text = format!("SELECT {} FROM {}", list.join(", "), ident(table));
    if !filter.is_empty() {
        text = format!("{text} WHERE {}", sql.equals(filter));
    }
    db.query(SqlQuery { sql: format!("{text}{tail}"), params: sql.params }).await
}

/// Runs one statement; the number of rows it changed.
async fn run(db: &dyn RecordStore, statement: Statement) -> StoreResult<usize> {
    Ok(db.execute(vec![statement]).await?.first().copied().unwrap_or(0))
}

fn texts<const N: usize>(row: &Row) -> Option<[String; N]> {
    let mut out: [String; N] = std::array::from_fn(|_| String::new());
    for (slot, value) in out.iter_mut().zip(row) {
        match value {
            SqlValue::Text(s) => *slot = s.clone(),
            SqlValue::Null => {}
            _ => return None,
        }
    }
    (row.len() >= N).then_some(out)
}

pub async fn insert_otp(db: &dyn RecordStore, o: &Otp) -> StoreResult<()> {
    let row = [
        ("id", text(&o.id)),
        ("collectionRef", text(&o.collection_id)),
        ("recordRef", text(&o.record_id)),
        ("password", text(&o.password_hash)),
        ("sentTo", text(&o.sent_to)),
        ("created", text(&o.created)),
        ("updated", text(&o.created)),
    ];
    run(db, insert(db, OTPS, &row).must_affect()).await.map(drop)
}

pub async fn otp(db: &dyn RecordStore, id: &str) -> StoreResult<Option<Otp>> {
    let columns = ["id", "collectionRef", "recordRef", "password", "sentTo", "created"];
    let rows = select(db, OTPS, &columns, &[("id", text(id))], "").await?;
    Ok(rows.first().and_then(texts::<6>).map(|[id, collection_id, record_id, password_hash, sent_to, created]| Otp {
        id,
        collection_id,
        record_id,
        password_hash,
        sent_to,
        created,
    }))
}

/// Ids of the record's codes created after `since`, newest first.
pub async fn recent_otps(
    db: &dyn RecordStore,
    collection_id: &str,
    record_id: &str,
    since: &str,
) -> StoreResult<Vec<String>> {
    let mut sql = SqlBuilder::new(db.dialect());
    let own = sql.equals(&[("collectionRef", text(collection_id)), ("recordRef", text(record_id))]);
    let since = sql.param(text(since));
    let (id, created) = (ident("id"), ident("created"));
    let q = format!("SELECT {id} FROM {} WHERE {own} AND {created} > {since} ORDER BY {created} DESC", ident(OTPS));
    let rows = db.query(SqlQuery { sql: q, params: sql.params }).await?;
    Ok(rows.iter().filter_map(texts::<1>).map(|[id]| id).collect())
}

pub async fn delete_otp(db: &dyn RecordStore, id: &str) -> StoreResult<()> {
    run(db, statements::delete(db.dialect(), OTPS, &[("id", text(id))])).await.map(drop)
}

pub async fn insert_mfa(db: &dyn RecordStore, m: &Mfa) -> StoreResult<()> {
    let row = [
        ("id", text(&m.id)),
        ("collectionRef", text(&m.collection_id)),
        ("recordRef", text(&m.record_id)),
        ("method", text(&m.method)),
        ("created", text(&m.created)),
        ("updated", text(&m.created)),
    ];
    run(db, insert(db, MFAS, &row).must_affect()).await.map(drop)
}

pub async fn mfa(db: &dyn RecordStore, id: &str) -> StoreResult<Option<Mfa>> {
    let columns = ["id", "collectionRef", "recordRef", "method", "created"];
    let rows = select(db, MFAS, &columns, &[("id", text(id))], "").await?;
    Ok(rows.first().and_then(texts::<5>).map(|[id, collection_id, record_id, method, created]| Mfa {
        id,
        collection_id,
        record_id,
        method,
        created,
    }))
}

pub async fn delete_mfa(db: &dyn RecordStore, id: &str) -> StoreResult<()> {
    run(db, statements::delete(db.dialect(), MFAS, &[("id", text(id))])).await.map(drop)
}

/// The id of the record linked to the provider's user, if any.
pub async fn external_auth_record(
    db: &dyn RecordStore,
    collection_id: &str,
    provider: &str,
    provider_id: &str,
) -> StoreResult<Option<String>> {
    let filter =
        [("collectionRef", text(collection_id)), ("provider", text(provider)), ("providerId", text(provider_id))];
    let rows = select(db, EXTERNAL_AUTHS, &["recordRef"], &filter, "").await?;
    Ok(rows.first().and_then(texts::<1>).map(|[id]| id))
}

pub async fn insert_external_auth(db: &dyn RecordStore, e: &ExternalAuth) -> StoreResult<()> {
    let row = [
        ("id", text(&e.id)),
        ("collectionRef", text(&e.collection_id)),
        ("recordRef", text(&e.record_id)),
        ("provider", text(&e.provider)),
        ("providerId", text(&e.provider_id)),
        ("created", text(&e.created)),
        ("updated", text(&e.created)),
    ];
    run(db, insert(db, EXTERNAL_AUTHS, &row).must_affect()).await.map(drop)
}

/// The fingerprints of the devices the record signed in from.
pub async fn auth_origins(db: &dyn RecordStore, collection_id: &str, record_id: &str) -> StoreResult<Vec<String>> {
    let filter = [("collectionRef", text(collection_id)), ("recordRef", text(record_id))];
    let rows = select(db, AUTH_ORIGINS, &["fingerprint"], &filter, "").await?;
    Ok(rows.iter().filter_map(texts::<1>).map(|[f]| f).collect())
}

/// Records a sign-in from `origin`: refreshes a known fingerprint, adds an unknown one.
pub async fn touch_auth_origin(db: &dyn RecordStore, o: &AuthOrigin, known: bool) -> StoreResult<()> {
    let device = [
        ("collectionRef", text(&o.collection_id)),
        ("recordRef", text(&o.record_id)),
        ("fingerprint", text(&o.fingerprint)),
    ];
    let statement = if known {
        statements::update(db.dialect(), AUTH_ORIGINS, &[("updated", text(&o.when))], &device)
    } else {
        // Another sign-in from the same device may have added it meanwhile: keep that row.
        let mut sql = SqlBuilder::new(db.dialect());
        let mut row = vec![("id", text(&o.id))];
        row.extend(device.iter().cloned());
        row.extend([("created", text(&o.when)), ("updated", text(&o.when))]);
        let columns: Vec<&str> = row.iter().map(|(c, _)| *c).collect();
        let values: Vec<String> = row.into_iter().map(|(_, v)| sql.param(v)).collect();
        let unique = ["collectionRef", "recordRef", "fingerprint"];
        let text = db.dialect().upsert(AUTH_ORIGINS, &columns, &values, &unique, &[]);
        Statement::new(SqlQuery { sql: text, params: sql.params })
    };
    run(db, statement).await.map(drop)
}

const API_KEY_COLUMNS: [&str; 6] = ["id", "name", "hash", "scopes", "expires", "created"];

fn api_key(row: &Row) -> Option<ApiKeyRow> {
    let [id, name, hash, scopes_json, expires, created] = texts::<6>(row)?;
    Some(ApiKeyRow { id, name, hash, scopes_json, expires, created })
}

pub async fn insert_api_key(db: &dyn RecordStore, k: &ApiKeyRow) -> StoreResult<()> {
    let values = [&k.id, &k.name, &k.hash, &k.scopes_json, &k.expires, &k.created].map(|v| text(v));
    let row: Vec<(&str, SqlValue)> = API_KEY_COLUMNS.into_iter().zip(values).collect();
    run(db, insert(db, API_KEYS, &row).must_affect()).await.map(drop)
}

/// Every key, oldest first.
pub async fn api_keys(db: &dyn RecordStore) -> StoreResult<Vec<ApiKeyRow>> {
    let tail = format!(" ORDER BY {}", ident("created"));
    Ok(select(db, API_KEYS, &API_KEY_COLUMNS, &[], &tail).await?.iter().filter_map(api_key).collect())
}

pub async fn api_key_by_id(db: &dyn RecordStore, id: &str) -> StoreResult<Option<ApiKeyRow>> {
    let mut sql = SqlBuilder::new(db.dialect());
    let list: Vec<String> = API_KEY_COLUMNS.iter().map(|c| ident(c)).collect();
    let which = sql.equals(&[("id", text(id))]);
    let q = format!("SELECT {} FROM {} WHERE {which}", list.join(", "), ident(API_KEYS));
    // A point lookup on every request that carries a key.
    Ok(db.lookup(SqlQuery { sql: q, params: sql.params }).await?.first().and_then(api_key))
}

/// Deletes a key; false when there was none.
pub async fn delete_api_key(db: &dyn RecordStore, id: &str) -> StoreResult<bool> {
    Ok(run(db, statements::delete(db.dialect(), API_KEYS, &[("id", text(id))])).await? > 0)
}

/// Queues `keys` (blobs, or folders of blobs) for deletion at `not_before`; a key already queued
/// gets the new time and its attempts reset.
pub fn queue_blobs(db: &dyn RecordStore, keys: &[String], not_before: &str) -> Option<Statement> {
    if keys.is_empty() {
        return None;
    }
    let mut sql = SqlBuilder::new(db.dialect());
    let when = sql.param(text(not_before));
    let rows: Vec<String> = keys.iter().map(|k| format!("({}, {when})", sql.param(text(k)))).collect();
    let (key, not_before, attempts) = (ident("key"), ident("notBefore"), ident("attempts"));
    let q = format!(
        "INSERT INTO {} ({key}, {not_before}) VALUES {} ON CONFLICT ({key}) DO UPDATE SET {not_before} = excluded.{not_before}, {attempts} = 0",
        ident(BLOB_QUEUE),
        rows.join(", ")
    );
    Some(Statement::new(SqlQuery { sql: q, params: sql.params }))
}

/// Takes `keys` off the queue: their uploads are now referenced by the committing record.
pub fn confirm_blobs(db: &dyn RecordStore, keys: &[String]) -> Option<Statement> {
    if keys.is_empty() {
        return None;
    }
    let mut sql = SqlBuilder::new(db.dialect());
    let list: Vec<String> = keys.iter().map(|k| sql.param(text(k))).collect();
    let q = format!("DELETE FROM {} WHERE {} IN ({})", ident(BLOB_QUEUE), ident("key"), list.join(", "));
    Some(Statement::new(SqlQuery { sql: q, params: sql.params }))
}

/// Queued keys due at `now`, oldest first.
pub async fn due_blobs(db: &dyn RecordStore, now: &str, limit: i64) -> StoreResult<Vec<QueuedBlob>> {
    let mut sql = SqlBuilder::new(db.dialect());
    let (now, limit) = (sql.param(text(now)), sql.param(SqlValue::Int(limit)));
    let (key, not_before, attempts) = (ident("key"), ident("notBefore"), ident("attempts"));
    let q = format!(
        "SELECT {key}, {not_before}, {attempts} FROM {} WHERE {not_before} <= {now} ORDER BY {not_before} LIMIT {limit}",
        ident(BLOB_QUEUE)
    );
    let rows = db.query(SqlQuery { sql: q, params: sql.params }).await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| match row.as_slice() {
            [SqlValue::Text(key), SqlValue::Text(not_before), attempts] => Some(QueuedBlob {
                key: key.clone(),
                not_before: not_before.clone(),
                attempts: if let SqlValue::Int(a) = attempts { *a } else { 0 },
            }),
            _ => None,
        })
        .collect())
}

/// Removes a handled key (unless it was queued again meanwhile).
pub async fn blob_done(db: &dyn RecordStore, b: &QueuedBlob) -> StoreResult<()> {
    run(db, statements::delete(db.dialect(), BLOB_QUEUE, &[("key", text(&b.key)), ("notBefore", text(&b.not_before))]))
        .await
        .map(drop)
}

/// Counts a failed attempt and postpones the key to `retry_at`.
pub async fn blob_retry(db: &dyn RecordStore, b: &QueuedBlob, error: &str, retry_at: &str) -> StoreResult<()> {
    let mut sql = SqlBuilder::new(db.dialect());
    let (error, retry_at) = (sql.param(text(error)), sql.param(text(retry_at)));
    let which = sql.equals(&[("key", text(&b.key)), ("notBefore", text(&b.not_before))]);
    let (attempts, not_before) = (ident("attempts"), ident("notBefore"));
    let q = format!(
        "UPDATE {} SET {attempts} = {attempts} + 1, {} = {error}, {not_before} = {retry_at} WHERE {which}",
        ident(BLOB_QUEUE),
        ident("lastError")
    );
    run(db, Statement::new(SqlQuery { sql: q, params: sql.params })).await.map(drop)
}
