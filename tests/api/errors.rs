//! Bad input gets the right status in PocketBase's shape, never a 500 or a dropped connection.

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{assert_pb_error, spawn_app, spawn_with};

#[tokio::test]
async fn unknown_routes_are_404() {
    let app = spawn_app().await;
    let undecodable = ["/api/collections/%ff/records", "/api/collections/users/records/%ff"];
    for path in ["/api/nope", "/api/collections/a/b/c/d", "/api/health/extra", "/nothing-here.txt"]
        .into_iter()
        .chain(undecodable)
    {
        let body = assert_pb_error(app.get(path).send().await.expect("send"), 404).await;
        assert_eq!(body["message"], "The requested resource wasn't found.");
    }
    app.stop().await;
}

#[tokio::test]
async fn wrong_methods_are_405_with_allow() {
    let app = spawn_app().await;
    let resp = app.client.delete(app.url("/api/health")).send().await.expect("send");
    let allow = resp.headers().get("allow").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    assert_pb_error(resp, 405).await;
    assert_eq!(allow, "GET, HEAD");
    let resp = app.get("/api/collections/_superusers/auth-with-password").send().await.expect("send");
    let allow = resp.headers().get("allow").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    assert_pb_error(resp, 405).await;
    assert_eq!(allow, "POST");
    app.stop().await;
}

#[tokio::test]
async fn malformed_and_mistyped_bodies_are_400() {
    let app = spawn_app().await;
    let url = "/api/collections/_superusers/auth-with-password";
    for body in ["{bad", "[]", "null", "{\"identity\": [], \"password\": \"x\"}"] {
        let resp = app.post(url).header("content-type", "application/json").body(body).send().await.expect("send");
        let err = assert_pb_error(resp, 400).await;
        assert_eq!(err["message"], "Failed to load the submitted data due to invalid formatting.", "body {body:?}");
    }
    let resp = app.post(url).json(&json!({"identity": "", "password": ""})).send().await.expect("send");
    let err = assert_pb_error(resp, 400).await;
    assert_eq!(err["data"]["identity"]["code"], "validation_required");
    // No body is an empty object, with a JSON Content-Type or none (PocketBase's reading).
    for content_type in [Some("application/json"), None] {
        let mut req = app.post(url);
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        let err = assert_pb_error(req.send().await.expect("send"), 400).await;
        assert_eq!(err["data"]["password"]["code"], "validation_required", "{content_type:?}");
    }
    // Batches are refused while disabled before their body is looked at.
    let token = app.superuser_token().await;
    let resp = app.post("/api/batch").header("authorization", token).send().await.expect("send");
    assert_pb_error(resp, 403).await;
    let resp = app.post(url).header("content-type", "text/plain").body("hi").send().await.expect("send");
    assert!(resp.status().is_client_error(), "{}", resp.status());
    assert_pb_error(resp, 415).await;
    app.stop().await;
}

#[tokio::test]
async fn bodies_over_the_limit_are_413() {
    let app = spawn_with(|c| c.body_limit = 1024).await;
    let big = format!("{{\"identity\":\"{}\",\"password\":\"x\"}}", "a".repeat(4096));
    let resp = app
        .post("/api/collections/_superusers/auth-with-password")
        .header("content-type", "application/json")
        .body(big.clone())
        .send()
        .await
        .expect("send");
    assert_pb_error(resp, 413).await;

    // Chunked: no Content-Length, the limit applies while reading.
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.expect("connect");
    let head = "POST /api/collections/_superusers/auth-with-password HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    stream.write_all(head.as_bytes()).await.expect("write");
    for chunk in big.as_bytes().chunks(512) {
        stream.write_all(format!("{:x}\r\n", chunk.len()).as_bytes()).await.expect("write");
        stream.write_all(chunk).await.expect("write");
        stream.write_all(b"\r\n").await.expect("write");
    }
    stream.write_all(b"0\r\n\r\n").await.expect("write");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.expect("read");
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("\"status\":413"), "{answer}");

    // The server keeps serving.
    assert_eq!(app.get("/api/health").send().await.expect("send").status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn invalid_tokens_are_401_on_protected_routes() {
    let app = spawn_app().await;
    let token = app.superuser_token().await;
    let mut tampered = token.clone();
    tampered.replace_range(token.len() - 4.., "AAAA");
    let foreign = "eyJhbGciOiJIUzI1NiJ9.eyJpZCI6IngiLCJ0eXBlIjoiYXV0aCIsImNvbGxlY3Rpb25JZCI6InBiY18zMTQyNjM1ODIzIiwiZXhwIjo0MTAyNDQ0ODAwfQ.c2lnbmF0dXJl";
    for bad in [None, Some("garbage"), Some("Bearer "), Some(tampered.as_str()), Some(foreign)] {
        let mut req = app.get("/api/crons");
        if let Some(value) = bad {
            req = req.header("Authorization", value);
        }
        assert_pb_error(req.send().await.expect("send"), 401).await;
    }
    // A valid token, bare or as Bearer.
    for value in [token.clone(), format!("Bearer {token}")] {
        let resp = app.get("/api/crons").header("Authorization", value).send().await.expect("send");
        assert_eq!(resp.status(), 200);
    }
    // Guests with a bad token on public routes are treated as guests.
    let resp = app.get("/api/health").header("Authorization", "garbage").send().await.expect("send");
    assert_eq!(resp.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn path_traversal_finds_nothing() {
    let app = spawn_app().await;
    for path in ["/_/../Cargo.toml", "/_/%2e%2e/%2e%2e/etc/passwd", "/_/..%2f..%2fetc%2fpasswd", "/_/a%00.js"] {
        let resp = app.get(path).send().await.expect("send");
        assert!(resp.status() == 404 || resp.status() == 200, "{path}: {}", resp.status());
        let text = resp.text().await.expect("text");
        assert!(!text.contains("root:") && !text.contains("[package]"), "{path} leaked a file");
    }
    app.stop().await;
}
