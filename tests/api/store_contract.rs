//! The store contract: one suite written against `dyn Store` only (SQL through the store's own
//! dialect, system tables through `store::system`), so a second backend runs it unchanged.
//! SQLite runs it always; a PostgreSQL store will run it when `TEST_POSTGRES_URL` is set.

use std::sync::Arc;

use chrono::{Duration, Utc};
use croft::schema::{Collection, Schema, validate_collection};
use croft::sql::{SqlBuilder, SqlQuery, SqlValue, Statement, ident};
use croft::store::model::{ApiKeyRow, AuthOrigin, JobRun, Mfa, NewAuthRecord, Otp, Trigger};
use croft::store::{SchemaChange, Store, StoreError, system};
use serde_json::json;

/// Every contract check, in order, against one store.
pub async fn suite(store: Arc<dyn Store>) {
    let store = store.as_ref();
    let notes = collections(store).await;
    records(store, &notes).await;
    transactions(store, &notes).await;
    auth_records(store).await;
    system_tables(store, &notes).await;
    jobs(store).await;
    admin(store).await;
}

#[tokio::test]
async fn sqlite_meets_the_store_contract() {
    let dir = tempfile::tempdir().expect("tempdir");
    suite(croft::store::open(dir.path()).await.expect("open")).await;
}

fn sql(store: &dyn Store) -> SqlBuilder {
    SqlBuilder::new(store.dialect())
}

fn text(v: &str) -> SqlValue {
    SqlValue::Text(v.to_owned())
}

/// Creates `notes` (a unique `slug`), renames a field, lists, truncates; returns the collection.
async fn collections(store: &dyn Store) -> Collection {
    let mut notes: Collection = serde_json::from_value(json!({
        "name": "notes",
        "fields": [{"name": "slug", "type": "text"}, {"name": "n", "type": "number"}],
        "indexes": ["CREATE UNIQUE INDEX idx_notes_slug ON notes (slug)"],
    }))
    .expect("collection");
    let schema = Schema::new(store.load_collections().await.expect("load"));
    validate_collection(&mut notes, None, &schema).expect("valid");
    store.apply_changes(vec![SchemaChange::Create(notes.clone())]).await.expect("create");
    let loaded = store.load_collections().await.expect("load");
    let stored = loaded.iter().find(|c| c.name == "notes").expect("stored");
    assert_eq!(stored.id, notes.id);
    assert!(stored.fields.iter().any(|f| f.name == "slug"), "{:?}", stored.fields);
    let columns = store.query_columns(&format!("SELECT * FROM {}", ident("notes"))).await.expect("columns");
    assert!(columns.contains(&"slug".to_owned()) && columns.contains(&"id".to_owned()), "{columns:?}");
    assert!(store.query_columns("SELECT nope FROM nowhere").await.is_err(), "an invalid SELECT is an error");
    // A failing change leaves nothing behind: the whole list is one transaction.
    let mut broken = notes.clone();
    broken.id = "pbc_broken".into();
    broken.name = "broken".into();
    broken.indexes = vec!["CREATE INDEX idx_broken ON broken (missing_column)".into()];
    let mut fine = notes.clone();
    fine.id = "pbc_fine".into();
    fine.name = "fine".into();
    fine.indexes.clear();
    let failed = store.apply_changes(vec![SchemaChange::Create(fine), SchemaChange::Create(broken)]).await;
    assert!(failed.is_err());
    let names: Vec<String> = store.load_collections().await.expect("load").into_iter().map(|c| c.name).collect();
    assert!(!names.contains(&"fine".to_owned()), "rolled back: {names:?}");
    notes
}

fn insert(store: &dyn Store, id: &str, slug: &str) -> Statement {
    let mut b = sql(store);
    let (i, s) = (b.param(text(id)), b.param(text(slug)));
    let q = format!("INSERT INTO {} ({}, {}) VALUES ({i}, {s})", ident("notes"), ident("id"), ident("slug"));
    Statement::new(SqlQuery { sql: q, params: b.params })
}

async fn slugs(store: &dyn Store) -> Vec<String> {
    let q = format!("SELECT {} FROM {} ORDER BY {}", ident("slug"), ident("notes"), ident("slug"));
    let rows = store.query(SqlQuery { sql: q, params: vec![] }).await.expect("query");
    rows.into_iter()
        .map(|r| match r.first() {
            Some(SqlValue::Text(s)) => s.clone(),
            other => panic!("a text column reads as text: {other:?}"),
        })
        .collect()
}

/// Writes, reads, unique conflicts normalised, preconditions, point lookups, typed values.
async fn records(store: &dyn Store, notes: &Collection) {
    let counts = store.execute(vec![insert(store, "a00000000000001", "alpha")]).await.expect("insert");
    assert_eq!(counts, vec![1]);
    let generation = store.write_generation();
    store.execute(vec![insert(store, "a00000000000002", "beta")]).await.expect("insert");
    assert!(store.write_generation() > generation, "a commit moves the write generation");
    assert_eq!(slugs(store).await, ["alpha", "beta"]);

    let err = store.execute(vec![insert(store, "a00000000000003", "alpha")]).await.expect_err("duplicate slug");
    match &err {
        StoreError::Conflict { table, columns } => {
            assert_eq!((table.as_str(), columns.as_slice()), ("notes", &["slug".to_owned()][..]));
        }
        other => panic!("a unique violation is a Conflict, not {other:?}"),
    }
    assert!(err.is_conflict_on("slug"));
    let err = store.execute(vec![insert(store, "a00000000000001", "gamma")]).await.expect_err("duplicate id");
    assert!(err.is_conflict_on("id"), "{err:?}");

    // A statement that must affect a row and does not rolls back the whole list.
    let mut b = sql(store);
    let missing = b.param(text("nope"));
    let q = format!("UPDATE {} SET {} = 1 WHERE {} = {missing}", ident("notes"), ident("n"), ident("id"));
    let guard = Statement::new(SqlQuery { sql: q, params: b.params }).must_affect();
    let err = store.execute(vec![insert(store, "a00000000000004", "delta"), guard]).await.expect_err("precondition");
    assert!(matches!(err, StoreError::Precondition(1)), "{err:?}");
    assert_eq!(slugs(store).await, ["alpha", "beta"], "the insert before it was rolled back");

    let mut b = sql(store);
    let id = b.param(text("a00000000000002"));
    let q =
        format!("SELECT {}, {} FROM {} WHERE {} = {id}", ident("slug"), ident("n"), ident(&notes.name), ident("id"));
    let rows = store.lookup(SqlQuery { sql: q, params: b.params }).await.expect("lookup");
    assert_eq!(rows, vec![vec![text("beta"), SqlValue::Int(0)]], "numbers default to 0 and read as integers");

    let mut b = sql(store);
    let (one, two) = (b.param(SqlValue::Int(1)), b.param(SqlValue::Int(2)));
    assert!(store.evaluate(SqlQuery { sql: format!("{one} < {two}"), params: b.params.clone() }).await.expect("eval"));
    assert!(!store.evaluate(SqlQuery { sql: format!("{one} > {two}"), params: b.params }).await.expect("eval"));
}

/// Reads inside a transaction see its writes; dropping it rolls back; commit keeps them.
async fn transactions(store: &dyn Store, notes: &Collection) {
    let tx = store.begin().await.expect("begin");
    tx.execute(vec![insert(store, "t00000000000001", "in-tx")]).await.expect("insert");
    let q = format!("SELECT COUNT(*) FROM {}", ident(&notes.name));
    let seen = tx.query(SqlQuery { sql: q.clone(), params: vec![] }).await.expect("count");
    assert_eq!(seen, vec![vec![SqlValue::Int(3)]], "the transaction sees its own insert");
    drop(tx);
    assert_eq!(slugs(store).await, ["alpha", "beta"], "dropped without commit: rolled back");
    let tx = store.begin().await.expect("begin");
    tx.execute(vec![insert(store, "t00000000000002", "committed")]).await.expect("insert");
    tx.commit().await.expect("commit");
    assert_eq!(slugs(store).await, ["alpha", "beta", "committed"]);
    let notes_now = store.load_collections().await.expect("load");
    let stored = notes_now.iter().find(|c| c.id == notes.id).expect("notes");
    store.truncate_collection(stored).await.expect("truncate");
    assert!(slugs(store).await.is_empty());
}

/// Auth records of the built-in `users` collection, with its email lookup case-insensitive.
async fn auth_records(store: &dyn Store) {
    let schema = Schema::new(store.load_collections().await.expect("load"));
    let users = schema.auth_collection("users").expect("users is an auth collection").clone();
    assert!(schema.auth_collection("USERS").is_some(), "names are case-insensitive");
    assert!(schema.auth_collection("notes").is_none(), "a base collection is no auth collection");
    let new = NewAuthRecord {
        id: "u00000000000001".into(),
        email: "Ada@Example.com".into(),
        email_visibility: false,
        verified: true,
        password_hash: "hash-1".into(),
        token_key: "key-1".into(),
    };
    let created = store.insert_auth_record(&users, new.clone()).await.expect("insert");
    assert_eq!((created.id.as_str(), created.email.as_str()), ("u00000000000001", "Ada@Example.com"));
    assert!(!created.created.is_empty() || !users.date_fields.contains(&"created".to_owned()));
    let by_email = store.auth_record_by(&users, "email", "ada@example.com").await.expect("by email");
    assert_eq!(by_email.map(|r| r.id), Some(created.id.clone()));
    let err = store.insert_auth_record(&users, NewAuthRecord { id: "u00000000000002".into(), ..new }).await;
    assert!(err.expect_err("same email").is_conflict_on("email"));
    assert_eq!(store.count_auth_records(&users).await.expect("count"), 1);
    assert!(store.set_password(&users, &created.id, "hash-2", "key-2").await.expect("set"));
    let fresh = store.auth_record(&users, &created.id).await.expect("read").expect("exists");
    assert_eq!((fresh.password_hash.as_str(), fresh.token_key.as_str()), ("hash-2", "key-2"));
    assert!(!store.set_password(&users, "missing", "h", "k").await.expect("set"));
    assert!(store.delete_auth_record(&users, &created.id).await.expect("delete"));
    assert!(!store.delete_auth_record(&users, &created.id).await.expect("delete again"));
    assert!(store.auth_record(&users, &created.id).await.expect("read").is_none());
}

/// `_otps`, `_mfas`, `_externalAuths`, `_authOrigins`, `_apiKeys`, `_blobQueue`.
async fn system_tables(store: &dyn Store, notes: &Collection) {
    let now = croft::dates::now();
    let otp = Otp {
        id: "o00000000000001".into(),
        collection_id: "c1".into(),
        record_id: "r1".into(),
        password_hash: "h".into(),
        sent_to: "a@example.com".into(),
        created: now.clone(),
    };
    system::insert_otp(store, &otp).await.expect("otp");
    assert_eq!(system::otp(store, &otp.id).await.expect("read").map(|o| o.sent_to), Some(otp.sent_to.clone()));
    let long_ago = croft::dates::format(Utc::now() - Duration::hours(1));
    assert_eq!(system::recent_otps(store, "c1", "r1", &long_ago).await.expect("recent"), std::slice::from_ref(&otp.id));
    assert!(system::recent_otps(store, "c1", "r2", &long_ago).await.expect("recent").is_empty());
    system::delete_otp(store, &otp.id).await.expect("delete");
    assert!(system::otp(store, &otp.id).await.expect("read").is_none());

    let mfa = Mfa {
        id: "m00000000000001".into(),
        collection_id: "c1".into(),
        record_id: "r1".into(),
        method: "password".into(),
        created: now.clone(),
    };
    system::insert_mfa(store, &mfa).await.expect("mfa");
    assert_eq!(system::mfa(store, &mfa.id).await.expect("read").map(|m| m.method), Some("password".into()));
    system::delete_mfa(store, &mfa.id).await.expect("delete");
    assert!(system::mfa(store, &mfa.id).await.expect("read").is_none());

    let link = croft::store::model::ExternalAuth {
        id: "e00000000000001".into(),
        collection_id: "c1".into(),
        record_id: "r1".into(),
        provider: "oidc".into(),
        provider_id: "sub-1".into(),
        created: now.clone(),
    };
    system::insert_external_auth(store, &link).await.expect("link");
    assert_eq!(system::external_auth_record(store, "c1", "oidc", "sub-1").await.expect("read"), Some("r1".into()));
    assert!(system::external_auth_record(store, "c1", "oidc", "sub-2").await.expect("read").is_none());

    let origin = AuthOrigin {
        id: "g1".into(),
        collection_id: "c1".into(),
        record_id: "r1".into(),
        fingerprint: "f1".into(),
        when: now,
    };
    system::touch_auth_origin(store, &origin, false).await.expect("add");
    // The same device again (a new id): the unique (collection, record, fingerprint) keeps one row.
    system::touch_auth_origin(store, &AuthOrigin { id: "g2".into(), ..origin.clone() }, false).await.expect("again");
    system::touch_auth_origin(store, &origin, true).await.expect("refresh");
    assert_eq!(system::auth_origins(store, "c1", "r1").await.expect("origins"), ["f1"]);

    let key = ApiKeyRow {
        id: "k1".into(),
        name: "ci".into(),
        hash: "digest".into(),
        scopes_json: "[]".into(),
        expires: String::new(),
        created: croft::dates::now(),
    };
    system::insert_api_key(store, &key).await.expect("key");
    assert_eq!(system::api_key_by_id(store, "k1").await.expect("read").map(|k| k.hash), Some("digest".into()));
    assert_eq!(system::api_keys(store).await.expect("list").len(), 1);
    assert!(system::delete_api_key(store, "k1").await.expect("delete"));
    assert!(!system::delete_api_key(store, "k1").await.expect("delete again"));

    blob_queue(store, notes).await;
}

async fn blob_queue(store: &dyn Store, notes: &Collection) {
    // Truncating a collection queued its whole folder of files.
    let due = system::due_blobs(store, &croft::dates::now(), 10).await.expect("due");
    assert_eq!(due.iter().map(|b| b.key.as_str()).collect::<Vec<_>>(), [notes.id.as_str()]);
    system::blob_done(store, &due[0]).await.expect("done");
    let keys = vec!["c/r/a.txt".to_owned(), "c/r/b.txt".to_owned()];
    let past = croft::dates::format(Utc::now() - Duration::minutes(1));
    let future = croft::dates::format(Utc::now() + Duration::hours(1));
    let queue = system::queue_blobs(store, &keys, &past).expect("a statement");
    store.execute(vec![queue]).await.expect("queue");
    assert!(system::queue_blobs(store, &[], &past).is_none() && system::confirm_blobs(store, &[]).is_none());
    let now = croft::dates::now();
    let due = system::due_blobs(store, &now, 10).await.expect("due");
    assert_eq!(due.iter().map(|b| b.key.as_str()).collect::<Vec<_>>(), ["c/r/a.txt", "c/r/b.txt"]);
    system::blob_retry(store, &due[0], "boom", &future).await.expect("retry");
    system::blob_done(store, &due[1]).await.expect("done");
    assert!(system::due_blobs(store, &now, 10).await.expect("due").is_empty(), "retried later, done gone");
    // Queuing again resets the time and the attempts; confirming takes it off.
    let again = system::queue_blobs(store, &keys[..1], &past).expect("statement");
    store.execute(vec![again]).await.expect("requeue");
    let due = system::due_blobs(store, &now, 10).await.expect("due");
    assert_eq!((due.len(), due[0].attempts), (1, 0));
    let confirm = system::confirm_blobs(store, &keys).expect("statement");
    store.execute(vec![confirm]).await.expect("confirm");
    assert!(system::due_blobs(store, &now, 10).await.expect("due").is_empty());
}

async fn jobs(store: &dyn Store) {
    let tick = Utc::now();
    assert!(store.claim_job_tick("j", tick).await.expect("claim"));
    assert!(!store.claim_job_tick("j", tick).await.expect("claim"), "a tick is claimed once");
    assert!(store.claim_job_tick("j", tick + Duration::minutes(1)).await.expect("claim"));
    for (i, ok) in [(3, true), (2, false)] {
        let run = JobRun {
            job: "j".into(),
            trigger: Trigger::Manual,
            started: Utc::now() - Duration::days(i),
            duration_ms: 5,
            ok,
            error: if ok { String::new() } else { "failed".into() },
        };
        store.insert_job_run(&run).await.expect("run");
    }
    let runs = store.job_runs(Some("j"), 10).await.expect("runs");
    assert_eq!(runs.iter().map(|r| r.ok).collect::<Vec<_>>(), [false, true], "newest first");
    assert!(store.job_runs(Some("other"), 10).await.expect("runs").is_empty());
    let removed = store.prune_job_history(Utc::now() - Duration::days(1)).await.expect("prune");
    assert!(removed >= 2, "{removed}");
    assert!(store.job_runs(None, 10).await.expect("runs").is_empty());
}

async fn admin(store: &dyn Store) {
    store.ping().await.expect("ping");
    let migrations = store.migrations().await.expect("migrations");
    assert!(!migrations.is_empty() && migrations.iter().all(|m| m.applied_on.is_some()), "{migrations:?}");
    assert_eq!(store.param("contract").await.expect("param"), None);
    store.set_param("contract", "{\"a\":1}").await.expect("set");
    store.set_param("contract", "{\"a\":2}").await.expect("overwrite");
    assert_eq!(store.param("contract").await.expect("param").as_deref(), Some("{\"a\":2}"));
    let read = store.run_sql("SELECT 1 AS one", false, 10).await.expect("console");
    assert_eq!((read.columns[0].name.as_str(), read.rows.len()), ("one", 1));
    assert!(store.run_sql("DELETE FROM _params", false, 10).await.is_err(), "read-only refuses writes");
    store.maintain().await.expect("maintain");
}
