use crate::helpers::spawn_app;

#[tokio::test]
async fn health_in_pocketbase_shape() {
    let app = spawn_app().await;
    let resp = app.get("/api/health").send().await.expect("send");
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().contains_key("x-request-id"));
    let body: serde_json::Value = resp.json().await.expect("json");
    assert_eq!(body, serde_json::json!({"code": 200, "message": "API is healthy.", "data": {}}));

    // Superusers see more.
    let token = app.superuser_token().await;
    let body: serde_json::Value = app.get_json("/api/health", &token).await;
    assert_eq!(body["data"]["canBackup"], true);
    assert_eq!(body["data"]["realIP"], "127.0.0.1");

    let head = app.client.head(app.url("/api/health")).send().await.expect("send");
    assert_eq!(head.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn ready_checks_store_and_directory() {
    let app = spawn_app().await;
    let resp = app.get("/api/ready").send().await.expect("send");
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value = resp.json().await.expect("json");
    assert_eq!(body["data"]["store"], "ok");

    // A data directory that can no longer be written makes the server not ready. Permissions
    // don't stop root (CI runs as root), so the directory is moved away and a file takes its
    // place; the open databases keep working, the directory check fails.
    let data = app.state.data_dir.clone();
    let moved = data.with_extension("moved");
    std::fs::rename(&data, &moved).expect("move the data directory");
    std::fs::write(&data, b"not a directory").expect("block the path");
    let resp = app.get("/api/ready").send().await.expect("send");
    std::fs::remove_file(&data).expect("unblock");
    std::fs::rename(&moved, &data).expect("move back");
    let body = crate::helpers::assert_pb_error(resp, 503).await;
    assert_eq!(body["message"], "The data directory is not writable.");
    assert_eq!(app.get("/api/ready").send().await.expect("send").status(), 200, "ready again");
    app.stop().await;
}

#[tokio::test]
async fn request_ids_are_kept_or_generated_and_json_is_gzipped() {
    let app = spawn_app().await;
    let resp = app.get("/api/health").header("X-Request-Id", "abc-123").send().await.expect("send");
    assert_eq!(resp.headers()["x-request-id"], "abc-123");
    let resp = app.get("/api/health").header("X-Request-Id", "bad id!").send().await.expect("send");
    let generated = resp.headers()["x-request-id"].to_str().expect("ascii").to_owned();
    assert!(generated != "bad id!" && generated.len() == 20, "{generated}");

    let resp = app.get("/api/openapi.json").header("Accept-Encoding", "gzip").send().await.expect("send");
    assert_eq!(resp.headers().get("content-encoding").map(|v| v.to_str().unwrap_or("")), Some("gzip"));
    // Small answers are not worth compressing: plain, with a Content-Length.
    let resp = app.get("/api/health").header("Accept-Encoding", "gzip").send().await.expect("send");
    assert!(resp.headers().get("content-encoding").is_none());
    assert!(resp.headers().get("content-length").is_some(), "{:?}", resp.headers());
    app.stop().await;
}

#[tokio::test]
async fn cors_allows_any_origin_by_default_and_errors_carry_it() {
    let app = spawn_app().await;
    let resp = app.get("/api/nope").header("Origin", "https://app.example").send().await.expect("send");
    assert_eq!(resp.status(), 404);
    assert!(resp.headers().contains_key("access-control-allow-origin"), "{:?}", resp.headers());
    let pre = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/api/health"))
        .header("Origin", "https://app.example")
        .header("Access-Control-Request-Method", "GET")
        .send()
        .await
        .expect("send");
    assert!(pre.status().is_success(), "{}", pre.status());
    app.stop().await;
}

#[tokio::test]
async fn cors_refuses_origins_not_listed() {
    let app = crate::helpers::spawn_with(|c| c.origins = vec!["https://good.example".into()]).await;
    let ok = app.get("/api/health").header("Origin", "https://good.example").send().await.expect("send");
    assert_eq!(ok.headers()["access-control-allow-origin"], "https://good.example");
    let bad = app.get("/api/health").header("Origin", "https://evil.example").send().await.expect("send");
    assert!(!bad.headers().contains_key("access-control-allow-origin"));
    app.stop().await;
}
