//! `POST /api/batch`: PocketBase's batch API (JSON, or multipart with an `@jsonPayload` part
//! as the SDK sends it).

use poem::web::Data;
use poem::{Body, Request};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use serde_json::{Value, json};

use super::ApiTags;
use super::auth::MaybeAuth;
use super::error::{ApiError, ApiResult};
use super::request::request_info;
use crate::app::AppState;
use crate::records::{self, BatchError};

pub struct BatchApi;

/// The result of one request of a batch.
#[derive(Debug, Object)]
pub struct BatchResult {
    pub status: u16,
    /// The record (create, update, upsert) or null (delete).
    pub body: Value,
}

impl From<BatchError> for ApiError {
    fn from(e: BatchError) -> Self {
        match e {
            BatchError::Disabled => Self::forbidden("Batch requests are not allowed."),
            BatchError::Invalid(data) => Self::bad_request("Invalid batch request data.", data),
            BatchError::Failed(i, err) => {
                let inner = ApiError::from(err);
                let response = serde_json::to_value(inner.body()).unwrap_or_default();
                let data = json!({"requests": {i.to_string(): {"code": "batch_request_failed", "message": "Batch request failed.", "response": response}}});
                Self::bad_request("Batch transaction failed.", data)
            }
            BatchError::Timeout => Self::bad_request("Batch transaction failed: the timeout was reached.", json!({})),
            BatchError::Internal(e) => Self::internal(e),
        }
    }
}

impl serde::Serialize for super::error::ErrorBody {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        json!({"status": self.status, "message": self.message, "data": self.data}).serialize(s)
    }
}

#[OpenApi(prefix_path = "/api", tag = ApiTags::Records)]
impl BatchApi {
    /// Run record requests in one transaction.
    ///
    /// `{"requests": [{"method", "url", "headers", "body"}]}` (JSON, or multipart with an
    /// `@jsonPayload` part). Allowed: POST `/api/collections/{c}/records`, PUT (upsert by
    /// `body.id`), PATCH and DELETE `/api/collections/{c}/records/{id}`. Each request sees the
    /// earlier ones; any failure rolls all of them back. Must be enabled in the settings.
    #[oai(path = "/batch", method = "post", operation_id = "run_batch")]
    async fn run_batch(
        &self,
        state: Data<&AppState>,
        auth: MaybeAuth,
        req: &Request,
        body: Body,
    ) -> ApiResult<Json<Vec<BatchResult>>> {
        let value = Value::Object(super::body::read_object(req, body).await?);
        let requests = records::batch::parse(&value)?;
        let info = request_info(req, auth.principal());
        let results = records::batch::run(&state, requests, &info).await?;
        Ok(Json(results.into_iter().map(|r| BatchResult { status: r.status, body: r.body }).collect()))
    }
}
