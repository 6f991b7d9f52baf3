//! `GET /metrics`: Prometheus' text format. On the main listener only with the configured
//! bearer token (404 without one configured); on `--metrics-http` without a token.

use poem::http::StatusCode;
use poem::web::Data;
use poem::{Endpoint, EndpointExt, Request, Response, Route, get, handler};

use super::error;
use crate::app::AppState;

/// The metrics, as Prometheus scrapes them.
pub async fn render(state: &AppState) -> String {
    let mut snapshot = crate::telemetry::Snapshot::default();
    for db in state.store.database_files() {
        let wal = std::path::PathBuf::from(format!("{}-wal", db.path.display()));
        for (file, path) in [("db", &db.path), ("wal", &wal)] {
            let size = tokio::fs::metadata(path).await.map(|m| m.len()).unwrap_or(0);
            snapshot.db_files.push((db.name.trim_end_matches(".db").to_owned(), file, size));
        }
    }
    snapshot.data_dir_free = crate::telemetry::disk_free(&state.data_dir);
    snapshot.realtime_clients = state.realtime.client_count();
    snapshot.realtime_subscriptions = state.realtime.subscription_count();
    crate::telemetry::render(&snapshot)
}

fn text(body: String) -> Response {
    Response::builder().content_type("text/plain; version=0.0.4; charset=utf-8").body(body)
}

/// The main listener's `/metrics`.
#[handler]
pub async fn guarded(state: Data<&AppState>, req: &Request) -> Response {
    let Some(token) = state.config.metrics_token.as_ref() else {
        return error::response(StatusCode::NOT_FOUND, error::MSG_NOT_FOUND, serde_json::json!({}));
    };
    let sent = req.header("authorization").map(super::auth::strip_bearer).unwrap_or_default();
    if !constant_time_eq(sent.as_bytes(), token.expose().as_bytes()) {
        return error::response(StatusCode::UNAUTHORIZED, error::MSG_UNAUTHORIZED, serde_json::json!({}));
    }
    text(render(&state).await)
}

#[handler]
async fn open(state: Data<&AppState>) -> Response {
    text(render(&state).await)
}

/// The `--metrics-http` listener: `/metrics` only.
pub fn listener_routes(state: &AppState) -> impl Endpoint<Output = Response> + 'static {
    Route::new().at("/metrics", get(open)).data(state.clone()).map_to_response()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
