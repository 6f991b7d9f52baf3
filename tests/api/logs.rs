//! Request logs (`/api/logs`) and `/metrics`.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_pb_error, spawn_app, spawn_with};

/// Waits until the writer has stored entries matching `filter` (it writes every 200 ms).
async fn logs_matching(app: &TestApp, token: &str, filter: &str) -> Value {
    let path = format!("/api/logs?filter={}", urlencode(filter));
    for _ in 0..50 {
        let body = app.get_json(&path, token).await;
        if body["totalItems"].as_i64().unwrap_or(0) > 0 {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no log entry matches {filter}");
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn requests_are_logged_in_pocketbase_shape() {
    let app = spawn_app().await;
    let token = app.superuser_token().await;
    let resp = app
        .get("/api/nope?x=1")
        .header("User-Agent", "probe/1.0")
        .header("Referer", "http://ref.example/x")
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 404);
    let body = logs_matching(&app, &token, "data.status = 404").await;
    let entry = &body["items"][0];
    assert_eq!(entry["message"], "GET /api/nope?x=1");
    assert_eq!(entry["level"], 8);
    let data = &entry["data"];
    assert_eq!(data["type"], "request");
    assert_eq!(data["url"], "/api/nope?x=1");
    assert_eq!(data["method"], "GET");
    assert_eq!(data["userAgent"], "probe/1.0");
    assert_eq!(data["referer"], "http://ref.example/x");
    assert_eq!(data["auth"], "");
    assert_eq!(data["userIP"], "127.0.0.1");
    assert_eq!(data["error"], "The requested resource wasn't found.");
    assert!(data["execTime"].as_f64().is_some());
    let id = entry["id"].as_str().expect("id");
    assert_eq!(app.get_json(&format!("/api/logs/{id}"), &token).await["id"], id);
    assert_pb_error(app.get("/api/logs/missing").header("Authorization", &token).send().await.expect("send"), 404)
        .await;

    // The superuser's own requests carry its collection; successful log reads are not logged.
    let body = logs_matching(&app, &token, "data.auth = \"_superusers\"").await;
    let reads_of_logs = |i: &Value| {
        i["data"]["url"].as_str().unwrap_or("").starts_with("/api/logs") && i["data"]["status"].as_u64() < Some(400)
    };
    assert!(!body["items"].as_array().expect("items").iter().any(reads_of_logs), "{body}");
    let stats = app.get_json("/api/logs/stats?filter=data.status%3E%3D400", &token).await;
    // /api/nope and /api/logs/missing.
    assert_eq!(stats[0]["total"].as_u64(), Some(2), "{stats}");
    assert!(stats[0]["date"].as_str().is_some_and(|d| d.ends_with(":00:00.000Z")), "{stats}");
    let resp = app.get("/api/logs?filter=bad((").header("Authorization", &token).send().await.expect("send");
    let body = assert_pb_error(resp, 400).await;
    assert_eq!(body["message"], "Something went wrong while processing your request.");
    let resp = app.get("/api/logs/stats?filter=bad((").header("Authorization", &token).send().await.expect("send");
    assert_eq!(assert_pb_error(resp, 400).await["message"], "Invalid filter format.");
    let page = app.get_json("/api/logs?perPage=1&skipTotal=1", &token).await;
    assert_eq!((page["totalItems"].as_i64(), page["perPage"].as_i64()), (Some(-1), Some(1)), "{page}");
    // A page past anything SQLite can count to is empty, not an error.
    let far = app.get_json("/api/logs?page=9223372036854775807", &token).await;
    assert_eq!(far["items"], json!([]), "{far}");

    // Logging off (maxDays 0) deletes what there is and keeps nothing new.
    let patch = json!({"logs": {"maxDays": 0}});
    let resp = app.patch_settings(&token, &patch).await;
    assert_eq!(resp.status(), 200);
    app.get("/api/nope").send().await.expect("send");
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(app.get_json("/api/logs", &token).await["totalItems"], 0);
    let resp = app.client.delete(app.url("/api/logs")).header("Authorization", &token).send().await.expect("send");
    assert_eq!(resp.status(), 204);
    app.stop().await;
}

#[tokio::test]
async fn a_full_log_queue_drops_and_counts_instead_of_waiting() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = croft::store::open(dir.path()).await.expect("store");
    let files = std::sync::Arc::new(croft::files::Files::new(dir.path(), &Default::default()).expect("files"));
    let settings = std::sync::Arc::new(croft::settings::SettingsService::new(store.clone(), files));
    // The writer is never started: the queue fills up, and pushing must still return at once.
    let logs = croft::logs::Logs::new(store, settings);
    let started = std::time::Instant::now();
    for i in 0..20_000 {
        logs.push(croft::store::model::NewLogEntry {
            id: format!("{i:015}"),
            created: croft::dates::now(),
            level: 0,
            message: String::new(),
            data: "{}".to_owned(),
        });
    }
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(logs.dropped(), 20_000 - 16_384);
}

#[tokio::test]
async fn metrics_need_the_token_on_the_main_listener() {
    let closed = spawn_app().await;
    assert_pb_error(closed.get("/metrics").send().await.expect("send"), 404).await;
    closed.stop().await;

    let app = spawn_with(|c| {
        c.metrics_token = Some(croft::config::Secret::from("s3cret".to_owned()));
    })
    .await;
    assert_pb_error(app.get("/metrics").send().await.expect("send"), 401).await;
    assert_pb_error(app.get("/metrics").header("Authorization", "Bearer nope").send().await.expect("send"), 401).await;
    app.get("/api/health").send().await.expect("send");
    let resp = app.get("/metrics").header("Authorization", "Bearer s3cret").send().await.expect("send");
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"].to_str().unwrap_or("").starts_with("text/plain"));
    let text = resp.text().await.expect("text");
    assert!(text.contains("croft_http_requests_total{route=\"/api/health\",method=\"GET\",status=\"200\"}"), "{text}");
    assert!(text.contains("croft_db_file_bytes{db=\"data\",file=\"db\"}"), "{text}");
    app.stop().await;
}
