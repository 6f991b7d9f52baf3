use base64::Engine;
use serde_json::{Value, json};

use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, assert_pb_error, spawn_app};

fn payload(token: &str) -> Value {
    let part = token.split('.').nth(1).expect("jwt payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part).expect("base64");
    serde_json::from_slice(&bytes).expect("json")
}

#[tokio::test]
async fn superuser_login_returns_pocketbase_token_and_record() {
    let app = spawn_app().await;
    app.superuser_token().await;
    let body = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let record = &body["record"];
    assert_eq!(record["collectionId"], "pbc_3142635823");
    assert_eq!(record["collectionName"], "_superusers");
    assert_eq!(record["email"], ADMIN_EMAIL);
    assert!(record.get("password").is_none() && record.get("tokenKey").is_none());
    let id = record["id"].as_str().expect("id");
    assert!(id.len() == 15 && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
    let created = record["created"].as_str().expect("created");
    assert_eq!(created.as_bytes()[10], b' ', "PocketBase date format: {created}");
    let claims = payload(body["token"].as_str().expect("token"));
    let mut keys: Vec<&str> = claims.as_object().expect("object").keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["collectionId", "exp", "id", "refreshable", "type"]);
    assert_eq!(claims["type"], "auth");
    assert_eq!(claims["collectionId"], "pbc_3142635823");
    // Collections may be named by id too.
    let resp = app
        .post("/api/collections/pbc_3142635823/auth-with-password")
        .json(&json!({"identity": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn wrong_password_and_unknown_email_look_the_same() {
    let app = spawn_app().await;
    app.superuser_token().await;
    let mut bodies = Vec::new();
    for (identity, password) in [(ADMIN_EMAIL, "wrong-password"), ("nobody@example.com", ADMIN_PASSWORD)] {
        let resp = app
            .post("/api/collections/_superusers/auth-with-password")
            .json(&json!({"identity": identity, "password": password}))
            .send()
            .await
            .expect("send");
        bodies.push(assert_pb_error(resp, 400).await);
    }
    assert_eq!(bodies[0], bodies[1]);
    let resp = app
        .post("/api/collections/nope/auth-with-password")
        .json(&json!({"identity": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
        .send()
        .await
        .expect("send");
    assert_pb_error(resp, 404).await;
    app.stop().await;
}

#[tokio::test]
async fn refresh_and_revocation() {
    let app = spawn_app().await;
    let token = app.superuser_token().await;
    let resp = app
        .post("/api/collections/_superusers/auth-refresh")
        .header("Authorization", &token)
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["record"]["email"], ADMIN_EMAIL);
    assert!(body["token"].as_str().is_some_and(|t| t.split('.').count() == 3));

    // Refreshing through another collection's path is refused.
    let resp =
        app.post("/api/collections/users/auth-refresh").header("Authorization", &token).send().await.expect("send");
    assert_pb_error(resp, 403).await;

    // A password change signs every session out.
    croft::auth::superusers::update(app.state.store.as_ref(), ADMIN_EMAIL, "another-password").await.expect("update");
    let resp = app
        .post("/api/collections/_superusers/auth-refresh")
        .header("Authorization", &token)
        .send()
        .await
        .expect("send");
    assert_pb_error(resp, 401).await;
    app.stop().await;
}
