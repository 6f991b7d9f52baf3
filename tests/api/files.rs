//! The blob deletion queue: referenced blobs are never deleted, unreferenced ones are, uploads
//! whose transaction committed leave no queue entry, and cascaded deletes take files along.

use croft::filter::RequestInfo;
use croft::records;
use croft::records::cleanup;
use croft::sql::{SqlQuery, SqlValue};
use serde_json::{Value, json};

use crate::helpers::spawn_app;

fn obj(v: Value) -> serde_json::Map<String, Value> {
    v.as_object().cloned().expect("object")
}

async fn upload(app: &crate::helpers::TestApp, key: &str, body: &'static [u8]) -> croft::files::Upload {
    croft::files::upload::spool(&app.state.files.tmp_dir, key, "note.txt", body, 1 << 20).await.expect("spool")
}

async fn queued(app: &crate::helpers::TestApp) -> i64 {
    let q = SqlQuery { sql: "SELECT COUNT(*) FROM _blobQueue".into(), params: vec![] };
    match app.state.store.query(q).await.expect("count").first().and_then(|r| r.first()) {
        Some(SqlValue::Int(n)) => *n,
        _ => -1,
    }
}

#[tokio::test]
async fn referenced_blobs_survive_the_queue_and_unreferenced_ones_do_not() {
    let app = spawn_app().await;
    let state = &app.state;
    let coll = json!({"name": "notes", "fields": [{"name": "f", "type": "file", "maxSelect": 2}]});
    croft::collections::create(&state.records, serde_json::from_value(coll).expect("collection"))
        .await
        .expect("create");
    let cid = state.schema.snapshot().get("notes").expect("notes").id.clone();
    let su = RequestInfo::superuser();
    let files = vec![upload(&app, "f", b"one").await, upload(&app, "f+", b"two").await];
    let rec = records::create(&state.records, "notes", obj(json!({})), files, &su).await.expect("record");
    let id = rec["id"].as_str().expect("id").to_owned();
    let names: Vec<String> = serde_json::from_value(rec["f"].clone()).expect("names");
    assert_eq!(names.len(), 2);
    assert_eq!(queued(&app).await, 0, "the commit took its uploads off the queue");

    // A key queued by mistake (or by a crash) whose record still references it stays.
    let blobs = state.files.blobs();
    let kept = croft::files::key(&cid, &id, &names[0]);
    let stray = croft::files::key(&cid, &id, "stray_0123456789.txt");
    blobs.put_bytes(&stray, bytes::Bytes::from_static(b"x")).await.expect("stray");
    let keys = [kept.clone(), stray.clone(), format!("{cid}/{id}")];
    let queue = cleanup::queue(state.store.as_ref(), &keys, std::time::Duration::ZERO);
    state.store.execute(queue.into_iter().collect()).await.expect("queue");
    cleanup::run(&state.records).await.expect("cleanup");
    assert!(blobs.head(&kept).await.expect("head").is_some(), "a referenced blob is never deleted");
    assert!(blobs.head(&croft::files::key(&cid, &id, &names[1])).await.expect("head").is_some());
    assert!(blobs.head(&stray).await.expect("head").is_none(), "an unreferenced blob is deleted");
    assert_eq!(queued(&app).await, 0, "handled keys leave the queue");

    // Deleting the record frees both files (the worker runs right after the commit).
    records::delete(&state.records, "notes", &id, &su).await.expect("delete");
    cleanup::run(&state.records).await.expect("cleanup");
    assert!(blobs.list(&format!("{cid}/{id}")).await.expect("list").is_empty());
}

#[tokio::test]
async fn abandoned_spool_files_are_swept_by_the_cleanup_job() {
    let app = spawn_app().await;
    let spool = &app.state.files.tmp_dir;
    let (old, fresh) = (spool.join("crashed-upload"), spool.join("live-upload"));
    std::fs::write(&old, b"left by a crash").expect("old");
    std::fs::write(&fresh, b"still being written").expect("fresh");
    let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::File::options().write(true).open(&old).and_then(|f| f.set_modified(hour_ago)).expect("age");
    let run = croft::jobs::run_now(&app.state, "blob_cleanup").await.expect("known job");
    assert!(run.ok, "{}", run.error);
    assert!(!old.exists(), "a spool file untouched for an hour is debris");
    assert!(fresh.exists(), "a recent one may belong to an upload in progress");
    app.stop().await;
}
