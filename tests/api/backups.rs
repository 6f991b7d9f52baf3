//! Backups over HTTP: taken under write load, restored in-process, damaged archives refused,
//! scheduled backups kept to `cronMaxKeep`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_pb_error, spawn_app};

async fn create_collection(app: &TestApp, token: &str, name: &str) {
    let body = json!({"name": name, "type": "base", "fields": [{"name": "title", "type": "text"}], "listRule": ""});
    let resp = app.post_json("/api/collections", token, &body).await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap_or_default());
}

async fn all_ids(app: &TestApp, collection: &str) -> std::collections::HashSet<String> {
    let mut ids = std::collections::HashSet::new();
    for page in 1.. {
        let path = format!("/api/collections/{collection}/records?perPage=1000&page={page}&fields=id&skipTotal=1");
        let body: Value = app.get(&path).send().await.expect("send").json().await.expect("json");
        let items = body["items"].as_array().cloned().unwrap_or_default();
        ids.extend(items.iter().filter_map(|i| i["id"].as_str().map(str::to_owned)));
        if items.len() < 1000 {
            break;
        }
    }
    ids
}

async fn backup(app: &TestApp, token: &str, name: &str) {
    let resp = app.post_json("/api/backups", token, &json!({"name": name})).await;
    assert_eq!(resp.status(), 204, "{}", resp.text().await.unwrap_or_default());
}

async fn restore(app: &TestApp, token: &str, name: &str) -> reqwest::Response {
    app.post(&format!("/api/backups/{name}/restore")).header("Authorization", token).send().await.expect("send")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_under_write_load_restores_every_write_acknowledged_before_it() {
    let app = Arc::new(spawn_app().await);
    let token = app.superuser_token().await;
    create_collection(&app, &token, "events").await;
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..4 {
        let (app, token, stop) = (app.clone(), token.clone(), stop.clone());
        writers.push(tokio::spawn(async move {
            // (id, acknowledged at, latency)
            let mut acked: Vec<(String, Instant, Duration)> = Vec::new();
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let started = Instant::now();
                let resp = app
                    .post_json("/api/collections/events/records", &token, &json!({"title": format!("writer {w} #{n}")}))
                    .await;
                assert_eq!(resp.status(), 200);
                let body: Value = resp.json().await.expect("json");
                acked.push((body["id"].as_str().expect("id").to_owned(), Instant::now(), started.elapsed()));
            }
            acked
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let began = Instant::now();
    backup(&app, &token, "load.zip").await;
    let ended = Instant::now();
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    let mut acked = Vec::new();
    for w in writers {
        acked.extend(w.await.expect("writer"));
    }
    let before: Vec<&String> = acked.iter().filter(|(_, at, _)| *at < began).map(|(id, _, _)| id).collect();
    let after = acked.iter().filter(|(_, at, _)| *at > ended).count();
    assert!(
        !before.is_empty() && after > 0,
        "writes went on around the backup: {} before, {after} after",
        before.len()
    );
    let mut during: Vec<Duration> = acked
        .iter()
        .filter(|(_, at, lat)| *at >= began && at.checked_sub(*lat).is_some_and(|s| s <= ended))
        .map(|a| a.2)
        .collect();
    during.sort();
    let p99 = during.get(during.len().saturating_sub(1) * 99 / 100).copied().unwrap_or_default();
    eprintln!(
        "backup took {:?}; {} writes during it, p99 {:?}; {} acknowledged before, {} in total",
        ended - began,
        during.len(),
        p99,
        before.len(),
        acked.len()
    );

    assert_eq!(restore(&app, &token, "load.zip").await.status(), 204);
    let restored = all_ids(&app, "events").await;
    let missing: Vec<&&String> = before.iter().filter(|id| !restored.contains(id.as_str())).collect();
    assert!(missing.is_empty(), "{} acknowledged writes are missing after the restore", missing.len());
    assert!(restored.len() < acked.len(), "writes after the snapshot are not in it");
    Arc::try_unwrap(app).ok().expect("sole owner").stop().await;
}

#[tokio::test]
async fn restore_brings_back_collections_and_refuses_damaged_archives() {
    let app = spawn_app().await;
    let token = app.superuser_token().await;
    create_collection(&app, &token, "notes").await;
    let resp = app.post_json("/api/collections/notes/records", &token, &json!({"title": "kept"})).await;
    assert_eq!(resp.status(), 200);
    backup(&app, &token, "good.zip").await;
    backup(&app, &token, "bad.zip").await;
    // The collection is dropped after the backup: the restore brings it back, records and all.
    let resp = app
        .client
        .delete(app.url("/api/collections/notes"))
        .header("Authorization", &token)
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 204);
    assert_eq!(restore(&app, &token, "good.zip").await.status(), 204);
    assert_eq!(all_ids(&app, "notes").await.len(), 1);

    // Flip bytes inside the compressed database: the CRC check refuses it before anything changes.
    let path = app.state.data_dir.join("backups/bad.zip");
    let mut bytes = std::fs::read(&path).expect("read");
    let mid = bytes.len() / 2;
    for b in &mut bytes[mid..mid + 32] {
        *b ^= 0x5a;
    }
    std::fs::write(&path, bytes).expect("write");
    create_collection(&app, &token, "later").await;
    let body = assert_pb_error(restore(&app, &token, "bad.zip").await, 400).await;
    assert!(body["message"].as_str().is_some_and(|m| m.starts_with("The backup cannot be restored")), "{body}");
    let listed = app.get_json("/api/collections?perPage=200", &token).await;
    assert!(listed["items"].as_array().expect("items").iter().any(|c| c["name"] == "later"), "nothing was restored");

    let body = assert_pb_error(restore(&app, &token, "nope.zip").await, 400).await;
    assert_eq!(body["message"], "Missing or invalid backup file.");
    app.stop().await;
}

#[tokio::test]
async fn backup_routes_follow_pocketbase() {
    let app = spawn_app().await;
    let token = app.superuser_token().await;
    assert_pb_error(app.get("/api/backups").send().await.expect("send"), 401).await;
    let bad = ["a b.zip", "X.ZIP", "x.tar"];
    for name in bad {
        let resp = app.post_json("/api/backups", &token, &json!({"name": name})).await;
        let body = assert_pb_error(resp, 400).await;
        assert_eq!(body["data"]["name"]["code"], "validation_match_invalid", "{name}: {body}");
    }
    let long = format!("{}.zip", "a".repeat(147));
    let resp = app.post_json("/api/backups", &token, &json!({"name": long})).await;
    let body = assert_pb_error(resp, 400).await;
    assert_eq!(body["data"]["name"]["code"], "validation_length_out_of_range", "{body}");
    // No body at all: PocketBase's default name.
    let resp = app.post("/api/backups").header("Authorization", &token).send().await.expect("send");
    assert_eq!(resp.status(), 204);
    let list = app.get_json("/api/backups", &token).await;
    let key = list[0]["key"].as_str().expect("key");
    assert!(key.starts_with("pb_backup_acme_") && key.ends_with(".zip"), "{list}");
    // Downloads need a superuser file token.
    let resp = app.get(&format!("/api/backups/{key}")).header("Authorization", &token).send().await.expect("send");
    assert_pb_error(resp, 403).await;
    let file_token: Value = app
        .post("/api/files/token")
        .header("Authorization", &token)
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    let url = format!("/api/backups/{key}?token={}", file_token["token"].as_str().expect("token"));
    let resp = app.get(&url).send().await.expect("send");
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/zip");
    let zip = resp.bytes().await.expect("bytes");
    assert_eq!(list[0]["size"].as_u64(), Some(zip.len() as u64));
    assert!(zip.starts_with(b"PK\x03\x04"));
    let resp = app
        .client
        .delete(app.url(&format!("/api/backups/{key}")))
        .header("Authorization", &token)
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 204);
    let resp = app
        .client
        .delete(app.url(&format!("/api/backups/{key}")))
        .header("Authorization", &token)
        .send()
        .await
        .expect("send");
    assert_pb_error(resp, 400).await;
    app.stop().await;
}

#[tokio::test]
async fn scheduled_backups_keep_the_newest_cron_max_keep() {
    let app = spawn_app().await;
    let token = app.superuser_token().await;
    let patch = json!({"backups": {"cron": "bad", "cronMaxKeep": 2}});
    let resp = app.patch_settings(&token, &patch).await;
    let body = assert_pb_error(resp, 400).await;
    assert_eq!(body["data"]["backups"]["cron"]["code"], "validation_invalid_cron", "{body}");
    // PocketBase's rules: cronMaxKeep is required with a cron, at least 1 when set.
    let patch = json!({"backups": {"cron": "0 0 * * *", "cronMaxKeep": 0}});
    let body = assert_pb_error(app.patch_settings(&token, &patch).await, 400).await;
    assert_eq!(body["data"]["backups"]["cronMaxKeep"]["code"], "validation_required", "{body}");
    let patch = json!({"backups": {"cronMaxKeep": -1}, "logs": {"maxDataSize": -1}});
    let body = assert_pb_error(app.patch_settings(&token, &patch).await, 400).await;
    assert_eq!(body["data"]["backups"]["cronMaxKeep"]["params"]["threshold"], 1, "{body}");
    assert_eq!(body["data"]["logs"]["maxDataSize"]["code"], "validation_min_greater_equal_than_required", "{body}");
    let patch = json!({"backups": {"cron": "* * * * *", "cronMaxKeep": 2}});
    let resp = app.patch_settings(&token, &patch).await;
    assert_eq!(resp.status(), 200);
    backup(&app, &token, "manual.zip").await;
    for _ in 0..3 {
        let made = app.state.backups.run_schedule(chrono::Utc::now()).await.expect("scheduled");
        assert!(made.is_some_and(|b| b.key.starts_with(croft::backups::AUTO_PREFIX)));
        // Automatic names carry the second: let the next one get a name of its own.
        tokio::time::sleep(Duration::from_millis(1100)).await;
    }
    let keys: Vec<String> = app.state.backups.list().await.expect("list").into_iter().map(|b| b.key).collect();
    assert_eq!(keys.iter().filter(|k| k.starts_with(croft::backups::AUTO_PREFIX)).count(), 2, "{keys:?}");
    assert!(keys.contains(&"manual.zip".to_owned()), "manual backups are never pruned: {keys:?}");
    // A schedule that does not match this minute does nothing.
    let patch = json!({"backups": {"cron": "0 3 * * *"}});
    app.patch_settings(&token, &patch).await;
    let at = chrono::DateTime::parse_from_rfc3339("2026-01-01T04:00:00Z").expect("date").with_timezone(&chrono::Utc);
    assert!(app.state.backups.run_schedule(at).await.expect("schedule").is_none());
    app.stop().await;
}
