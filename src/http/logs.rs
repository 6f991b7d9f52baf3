//! `/api/logs`: request logs for superusers, in PocketBase's shape.

use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde_json::Value;

use super::ApiTags;
use super::auth::TokenAuth;
use super::error::{ApiError, ApiResult, MSG_INTERNAL, MSG_NOT_FOUND};
use crate::app::AppState;
use crate::logs::LogError;
use crate::store::model::{LogEntry, LogStat};

pub struct LogsApi;

/// One log entry. Every key is present unless `fields` leaves it out.
#[derive(Debug, Object)]
pub struct Log {
    #[oai(skip_serializing_if_is_none)]
    pub id: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub created: Option<String>,
    /// Details; for requests: `type`, `method`, `url`, `status`, `execTime` (ms), `auth`,
    /// `userIP`, `remoteIP`, `referer`, `userAgent` (and `error`, `details` on errors).
    #[oai(skip_serializing_if_is_none)]
    pub data: Option<Value>,
    #[oai(skip_serializing_if_is_none)]
    pub message: Option<String>,
    /// -4 debug, 0 info, 4 warn, 8 error.
    #[oai(skip_serializing_if_is_none)]
    pub level: Option<i64>,
}

#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct LogList {
    pub items: Vec<Log>,
    pub page: i64,
    pub per_page: i64,
    pub total_items: i64,
    pub total_pages: i64,
}

/// Entries in one hour.
#[derive(Debug, Object)]
pub struct LogStatDto {
    /// The hour, `2006-01-02 15:00:00.000Z`.
    pub date: String,
    pub total: u64,
}

#[derive(ApiResponse)]
pub enum Deleted {
    /// Every log entry was deleted.
    #[oai(status = 204)]
    Deleted,
}

impl From<LogEntry> for Log {
    fn from(e: LogEntry) -> Self {
        Self {
            id: Some(e.id),
            created: Some(e.created),
            data: Some(e.data),
            message: Some(e.message),
            level: Some(e.level),
        }
    }
}

impl From<LogStat> for LogStatDto {
    fn from(s: LogStat) -> Self {
        Self { date: s.date, total: s.total }
    }
}

fn query_error(err: LogError, message: &str) -> ApiError {
    match err {
        LogError::Query(e) => {
            tracing::debug!(error = %e, "log query");
            ApiError::bad_request(message, serde_json::json!({}))
        }
        LogError::Store(e) => ApiError::from(e),
    }
}

fn number(v: Option<&str>, default: i64) -> i64 {
    v.and_then(|p| p.parse().ok()).unwrap_or(default)
}

#[OpenApi(prefix_path = "/api/logs", tag = ApiTags::Logs)]
impl LogsApi {
    /// List logs.
    ///
    /// A page of log entries, oldest first unless `sort` says otherwise; `filter` and `sort` use
    /// the record filter language over `id`, `created`, `level`, `message` and `data.*`.
    /// Superusers only.
    #[oai(path = "/", method = "get", operation_id = "list_logs")]
    #[allow(clippy::too_many_arguments)]
    async fn list_logs(
        &self,
        state: Data<&AppState>,
        auth: TokenAuth,
        page: Query<Option<String>>,
        #[oai(name = "perPage")] per_page: Query<Option<String>>,
        sort: Query<Option<String>>,
        filter: Query<Option<String>>,
        /// Comma-separated fields to return (applied to every item).
        #[allow(unused_variables)]
        fields: Query<Option<String>>,
        #[oai(name = "skipTotal")] skip_total: Query<Option<String>>,
    ) -> ApiResult<Json<LogList>> {
        auth.require_superuser()?;
        let skip = matches!(skip_total.0.as_deref(), Some("1" | "true" | "t" | "TRUE" | "True"));
        let p = state
            .logs
            .list(
                filter.0.as_deref(),
                sort.0.as_deref(),
                number(page.0.as_deref(), 1),
                number(per_page.0.as_deref(), 30),
                skip,
            )
            .await
            .map_err(|e| query_error(e, MSG_INTERNAL))?;
        Ok(Json(LogList {
            items: p.items.into_iter().map(Log::from).collect(),
            page: p.page as i64,
            per_page: p.per_page as i64,
            total_items: p.total_items,
            total_pages: p.total_pages,
        }))
    }

    /// Delete all logs.
    ///
    /// Superusers only.
    #[oai(path = "/", method = "delete", operation_id = "delete_logs")]
    async fn delete_logs(&self, state: Data<&AppState>, auth: TokenAuth) -> ApiResult<Deleted> {
        auth.require_superuser()?;
        state.store.delete_logs(None).await?;
        Ok(Deleted::Deleted)
    }

    /// Log statistics.
    ///
    /// Entries per hour (only hours that have some), oldest first, optionally filtered.
    /// Superusers only.
    #[oai(path = "/stats", method = "get", operation_id = "log_stats")]
    async fn log_stats(
        &self,
        state: Data<&AppState>,
        auth: TokenAuth,
        filter: Query<Option<String>>,
    ) -> ApiResult<Json<Vec<LogStatDto>>> {
        auth.require_superuser()?;
        let stats =
            state.logs.stats(filter.0.as_deref()).await.map_err(|e| query_error(e, "Invalid filter format."))?;
        Ok(Json(stats.into_iter().map(LogStatDto::from).collect()))
    }

    /// View a log entry.
    ///
    /// Superusers only.
    #[oai(path = "/:id", method = "get", operation_id = "view_log")]
    async fn view_log(&self, state: Data<&AppState>, auth: TokenAuth, id: Path<String>) -> ApiResult<Json<Log>> {
        auth.require_superuser()?;
        match state.logs.view(&id).await.map_err(|e| query_error(e, MSG_INTERNAL))? {
            Some(entry) => Ok(Json(entry.into())),
            None => Err(ApiError::not_found(MSG_NOT_FOUND)),
        }
    }
}
