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
    croft::auth::superusers::update(&app.state.auth, ADMIN_EMAIL, "another-password").await.expect("update");
    let resp = app
        .post("/api/collections/_superusers/auth-refresh")
        .header("Authorization", &token)
        .send()
        .await
        .expect("send");
    assert_pb_error(resp, 401).await;
    app.stop().await;
}

/// Tokens that were tampered with, expired, of another type or forged for another collection are
/// refused at the HTTP level.
#[tokio::test]
async fn tampered_expired_and_cross_collection_tokens_are_refused() {
    let app = spawn_app().await;
    let token = app.superuser_token().await;
    let settings = |t: &str| app.get("/api/settings").header("Authorization", t.to_owned()).send();
    assert_eq!(settings(&token).await.expect("send").status(), 200);

    // A changed signature.
    let mut tampered = token.clone();
    let last = tampered.pop().expect("char");
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    assert_pb_error(settings(&tampered).await.expect("send"), 401).await;

    // A payload edited to claim another collection (signature no longer matches).
    let parts: Vec<&str> = token.split('.').collect();
    let mut claims = payload(&token);
    claims["collectionId"] = json!("_pb_users_auth_");
    let forged_payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(claims.to_string());
    let forged = format!("{}.{forged_payload}.{}", parts[0], parts[2]);
    assert_pb_error(settings(&forged).await.expect("send"), 401).await;

    // Expired: signed with the right key but a lifetime in the past.
    let store = app.state.store.as_ref();
    let mut coll = app.state.auth.collection("_superusers").expect("collection");
    let record = store.auth_record_by(&coll, "email", ADMIN_EMAIL).await.expect("store").expect("record");
    coll.token_duration_secs = -10;
    let expired = croft::auth::tokens::issue_auth(&coll, &record).expect("issue");
    assert_pb_error(settings(&expired).await.expect("send"), 401).await;

    // Another token type of the same record is no auth token.
    let coll = app.state.auth.collection("_superusers").expect("collection");
    let file_token = croft::auth::tokens::issue_file(&coll, &record).expect("issue");
    assert_pb_error(settings(&file_token).await.expect("send"), 401).await;

    // A valid token of a regular user is not a superuser's.
    let users = app.state.auth.collection("users").expect("users");
    let hash = croft::auth::hash_password("password123").await.expect("hash");
    let user = store
        .insert_auth_record(
            &users,
            croft::auth::NewAuthRecord {
                id: "userid000000001".into(),
                email: "u@example.com".into(),
                email_visibility: false,
                verified: true,
                password_hash: hash,
                token_key: croft::ids::secret_key(),
            },
        )
        .await
        .expect("insert");
    let user_token = croft::auth::tokens::issue_auth(&users, &user).expect("issue");
    assert_pb_error(settings(&user_token).await.expect("send"), 403).await;
    app.stop().await;
}

/// The superuser service on a fresh data directory, without a server.
#[tokio::test]
async fn superusers_upsert_update_delete() {
    use croft::auth::{AuthError, SUPERUSERS, superusers};
    let dir = tempfile::tempdir().expect("tempdir");
    let state =
        croft::app::AppState::build(croft::config::Config::default(), dir.path().to_path_buf()).await.expect("state");
    let auth = &state.auth;
    assert_eq!(superusers::count(auth).await.expect("count"), 0);
    assert_eq!(
        superusers::upsert(auth, "a@example.com", "password123").await.expect("create"),
        superusers::Upserted::Created
    );
    let (p, token) = croft::auth::authenticate_with_password(auth, SUPERUSERS, "A@example.com", "password123", None)
        .await
        .expect("login is case-insensitive on email");
    assert!(p.is_superuser());
    assert!(croft::auth::authenticate_token(auth, &token).await.expect("token").is_some());
    assert_eq!(
        superusers::upsert(auth, "a@example.com", "password456").await.expect("update"),
        superusers::Upserted::Updated
    );
    assert!(croft::auth::authenticate_token(auth, &token).await.expect("token").is_none(), "old token revoked");
    assert!(matches!(
        croft::auth::authenticate_with_password(auth, SUPERUSERS, "a@example.com", "password123", None).await,
        Err(AuthError::InvalidCredentials)
    ));
    assert!(matches!(superusers::create(auth, "a@example.com", "password789").await, Err(AuthError::Invalid(_))));
    superusers::delete(auth, "a@example.com").await.expect("delete");
    assert!(matches!(superusers::delete(auth, "a@example.com").await, Err(AuthError::NotFound)));
    state.store.close().await.expect("close");
}
