use std::net::SocketAddr;

use croft::app::AppState;
use croft::config::Config;
use croft::server::{self, Running};
use serde_json::{Value, json};

pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const ADMIN_PASSWORD: &str = "password123";

/// A running server on a random port with its own temporary data directory.
pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub state: AppState,
    running: Option<Running>,
    _dir: tempfile::TempDir,
}

pub async fn spawn_app() -> TestApp {
    spawn_with(|_| {}).await
}

pub async fn spawn_with(configure: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = Config { http: "127.0.0.1:0".parse().expect("addr"), ..Config::default() };
    configure(&mut config);
    let state = AppState::build(config, dir.path().join("data")).await.expect("build state");
    let running = server::start(state.clone()).await.expect("start");
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    TestApp { addr: running.addr, client, state, running: Some(running), _dir: dir }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.get(self.url(path))
    }

    pub fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.post(self.url(path))
    }

    /// PATCHes the settings with `patch` as `token`.
    pub async fn patch_settings(&self, token: &str, patch: &Value) -> reqwest::Response {
        self.client
            .patch(self.url("/api/settings"))
            .header("Authorization", token)
            .json(patch)
            .send()
            .await
            .expect("send")
    }

    /// POSTs `body` as JSON to `path` with a token.
    pub async fn post_json(&self, path: &str, token: &str, body: &Value) -> reqwest::Response {
        self.post(path).header("Authorization", token).json(body).send().await.expect("send")
    }

    /// GETs `path` with a token and parses the JSON answer.
    pub async fn get_json(&self, path: &str, token: &str) -> Value {
        self.get(path).header("Authorization", token).send().await.expect("send").json().await.expect("json")
    }

    /// Creates the default superuser and returns its token.
    pub async fn superuser_token(&self) -> String {
        croft::auth::superusers::upsert(&self.state.auth, ADMIN_EMAIL, ADMIN_PASSWORD).await.expect("upsert");
        let body = self.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        body["token"].as_str().expect("token").to_owned()
    }

    pub async fn login(&self, identity: &str, password: &str) -> Value {
        let resp = self
            .post("/api/collections/_superusers/auth-with-password")
            .json(&json!({"identity": identity, "password": password}))
            .send()
            .await
            .expect("send");
        assert_eq!(resp.status(), 200, "login failed");
        resp.json().await.expect("json")
    }

    pub fn running(&self) -> &Running {
        self.running.as_ref().expect("running")
    }

    pub async fn stop(mut self) {
        if let Some(running) = self.running.take() {
            running.stop().await.expect("clean stop");
        }
    }
}

/// Asserts PocketBase's error shape and returns the body.
pub async fn assert_pb_error(resp: reqwest::Response, status: u16) -> Value {
    assert_eq!(resp.status().as_u16(), status, "unexpected status");
    let ct = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    assert!(ct.starts_with("application/json"), "content-type {ct}");
    let body: Value = resp.json().await.expect("json error body");
    assert_eq!(body["status"], status, "{body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
    assert!(body["data"].is_object(), "{body}");
    body
}
