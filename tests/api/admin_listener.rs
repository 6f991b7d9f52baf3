//! `--admin-http`: the dashboard, Swagger UI and superuser API only on the private listener.

use serde_json::json;

use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, assert_pb_error, spawn_with};

#[tokio::test]
async fn admin_surface_is_only_on_the_admin_listener() {
    let app = spawn_with(|c| c.admin_http = Some("127.0.0.1:0".parse().expect("addr"))).await;
    let admin = app.running().admin_addr.expect("admin listener");
    let admin_url = |p: &str| format!("http://{admin}{p}");
    croft::auth::superusers::upsert(&app.state.auth, ADMIN_EMAIL, ADMIN_PASSWORD).await.expect("upsert");
    let credentials = json!({"identity": ADMIN_EMAIL, "password": ADMIN_PASSWORD});

    // Public: 404 in PocketBase's shape for the admin surface, signing in as a superuser included.
    for path in ["/_/", "/api/docs", "/api/settings", "/api/logs", "/api/backups", "/api/collections", "/api/crons"] {
        let resp = app.get(path).send().await.expect("get");
        assert_pb_error(resp, 404).await;
    }
    let resp = app.post("/api/collections/_superusers/auth-with-password").json(&credentials).send().await;
    assert_pb_error(resp.expect("post"), 404).await;
    // The public API stays.
    assert_eq!(app.get("/api/health").send().await.expect("health").status(), 200);
    assert_eq!(app.get("/api/collections/users/records").send().await.expect("list").status(), 200);

    // Admin: everything.
    let resp = app.client.post(admin_url("/api/collections/_superusers/auth-with-password")).json(&credentials).send();
    let body: serde_json::Value = resp.await.expect("login").json().await.expect("json");
    let token = body["token"].as_str().expect("token").to_owned();
    let resp = app.client.get(admin_url("/api/settings")).header("Authorization", &token).send().await.expect("get");
    assert_eq!(resp.status(), 200);
    assert_eq!(app.client.get(admin_url("/_/")).send().await.expect("dashboard").status(), 200);

    // A superuser token is worth nothing on the public listener: where a token is required it
    // is refused, elsewhere the caller is a guest.
    let resp = app.client.post(admin_url("/api/collections")).header("Authorization", &token);
    let resp = resp.json(&json!({"name": "secret", "type": "base"})).send().await.expect("create");
    assert_eq!(resp.status(), 200);
    let resp = app.get("/api/collections/secret/records").header("Authorization", &token).send().await;
    assert_pb_error(resp.expect("get"), 403).await;
    let resp = app.client.get(admin_url("/api/collections/secret/records")).header("Authorization", &token);
    assert_eq!(resp.send().await.expect("get").status(), 200);
    let resp = app.post("/api/collections/users/auth-refresh").header("Authorization", &token).send().await;
    let body = assert_pb_error(resp.expect("refresh"), 403).await;
    assert!(body["message"].as_str().unwrap_or_default().contains("admin listener"), "{body}");
    app.stop().await;
}
