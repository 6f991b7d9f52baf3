//! `GET|HEAD /api/health` (PocketBase's shape) and `GET /api/ready` (Croft's readiness probe).

use poem::Request;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde_json::{Value, json};

use super::ApiTags;
use super::auth::MaybeAuth;
use super::error::{ApiError, ApiResult};
use crate::app::AppState;

pub struct HealthApi;

/// PocketBase's health body.
#[derive(Debug, Object)]
pub struct HealthBody {
    pub code: u16,
    pub message: String,
    /// Empty for guests; superusers also get `canBackup`, `realIP` and `possibleProxyHeader`.
    pub data: Value,
}

#[derive(ApiResponse)]
pub enum HeadHealth {
    /// The server is up.
    #[oai(status = 200)]
    Ok,
}

#[OpenApi(prefix_path = "/api", tag = ApiTags::Health)]
impl HealthApi {
    /// Health check.
    ///
    /// Answers 200 while the server runs. Superusers get a few more details.
    #[oai(path = "/health", method = "get", operation_id = "get_health")]
    async fn get_health(&self, state: Data<&AppState>, auth: MaybeAuth, req: &Request) -> Json<HealthBody> {
        let data = match auth.principal() {
            Some(p) if p.is_superuser() => json!({
                "canBackup": state.backups.idle(),
                "realIP": req.remote_addr().as_socket_addr().map(|a| a.ip().to_string()).unwrap_or_default(),
                "possibleProxyHeader": possible_proxy_header(req),
            }),
            _ => json!({}),
        };
        Json(HealthBody { code: 200, message: "API is healthy.".to_owned(), data })
    }

    /// Health check without a body.
    #[oai(path = "/health", method = "head", operation_id = "head_health")]
    async fn head_health(&self) -> HeadHealth {
        HeadHealth::Ok
    }

    /// Readiness check.
    ///
    /// 200 when the database answers and the data directory is writable, 503 otherwise. Use it
    /// for load balancers and orchestrators; `/api/health` only says the process is up.
    #[oai(path = "/ready", method = "get", operation_id = "get_ready")]
    async fn get_ready(&self, state: Data<&AppState>) -> ApiResult<Json<HealthBody>> {
        if let Err(err) = state.store.ping().await {
            tracing::error!(error = %err, "readiness: the store does not answer");
            return Err(ApiError::unavailable("The database is not available."));
        }
        let dir = state.data_dir.clone();
        let writable = tokio::task::spawn_blocking(move || crate::config::ensure_data_dir(&dir)).await;
        if !matches!(writable, Ok(Ok(()))) {
            tracing::error!("readiness: the data directory is not writable");
            return Err(ApiError::unavailable("The data directory is not writable."));
        }
        // A HEAD of a key that does not exist proves the blob store answers (and, for S3, signs).
        if let Err(err) = state.files.blobs().head(".croft-ready").await {
            tracing::error!(error = %format!("{err:#}"), "readiness: the file storage does not answer");
            return Err(ApiError::unavailable("The file storage is not available."));
        }
        let data = json!({"store": "ok", "dataDir": "ok", "files": "ok"});
        Ok(Json(HealthBody { code: 200, message: "Ready.".to_owned(), data }))
    }
}

/// The first proxy header present, so that an operator behind a proxy knows what to trust.
fn possible_proxy_header(req: &Request) -> String {
    ["CF-Connecting-IP", "Fly-Client-IP", "X-Real-IP", "X-Forwarded-For"]
        .iter()
        .find(|h| req.headers().contains_key(**h))
        .map(|h| (*h).to_owned())
        .unwrap_or_default()
}
