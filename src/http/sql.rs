//! `POST /api/sql`: PocketBase's superuser SQL console (one statement, at most 1,000 rows).

use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use serde_json::{Value, json};

use super::ApiTags;
use super::auth::TokenAuth;
use super::error::{ApiError, ApiResult};
use crate::app::AppState;

pub struct SqlApi;

const MAX_ROWS: usize = 1000;

#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct SqlRequest {
    /// One SQL statement (up to 5,000 characters).
    #[oai(default)]
    pub query: String,
    /// Run on a connection that cannot write (Croft's; the dashboard sends it until writes are
    /// switched on). Without it, writes work, as in PocketBase.
    #[oai(default)]
    pub readonly: bool,
}

#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct SqlColumn {
    pub name: String,
    /// INTEGER, REAL or TEXT, as the column's first value shows.
    #[oai(rename = "type")]
    pub kind: String,
    pub nullable: bool,
}

#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct SqlResponse {
    /// Milliseconds.
    pub exec_time: i64,
    pub affected_rows: i64,
    pub columns: Vec<SqlColumn>,
    pub rows: Vec<Vec<Value>>,
}

#[OpenApi(prefix_path = "/api", tag = ApiTags::Settings)]
impl SqlApi {
    /// Run SQL.
    ///
    /// Superusers only. Answers the columns and up to 1,000 rows; with `readonly` the statement
    /// cannot change anything.
    #[oai(path = "/sql", method = "post", operation_id = "run_sql")]
    async fn run(
        &self,
        state: Data<&AppState>,
        auth: TokenAuth,
        body: Json<SqlRequest>,
    ) -> ApiResult<Json<SqlResponse>> {
        auth.require_superuser()?;
        let query = body.0.query.trim().to_owned();
        if query.is_empty() || query.len() > 5000 {
            let message = if query.is_empty() { "Cannot be blank." } else { "The length must be between 0 and 5000." };
            return Err(ApiError::bad_request(
                "An error occurred while validating the submitted data.",
                json!({"query": {"code": "validation_required", "message": message}}),
            ));
        }
        let write = !body.0.readonly;
        let result = state
            .store
            .run_sql(&query, write, MAX_ROWS)
            .await
            .map_err(|e| ApiError::bad_request(&format!("Failed to execute query. Raw error:\n{e}"), json!({})))?;
        if write && result.affected_rows == 0 && result.columns.is_empty() {
            // Possibly DDL: collections are real tables, so pick up any change to them.
            state.records.reload_schema().await.map_err(ApiError::internal)?;
        }
        Ok(Json(SqlResponse {
            exec_time: result.exec_time_ms,
            affected_rows: result.affected_rows,
            columns: result
                .columns
                .into_iter()
                .map(|c| SqlColumn { name: c.name, kind: c.kind, nullable: true })
                .collect(),
            rows: result.rows,
        }))
    }
}
