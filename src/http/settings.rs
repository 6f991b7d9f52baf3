//! `GET|PATCH /api/settings` for superusers, in PocketBase's shape.

use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::payload::Json;
use serde_json::{Value, json};

use super::ApiTags;
use super::auth::TokenAuth;
use super::error::{ApiError, ApiResult};
use crate::app::AppState;
use crate::settings::SettingsError;

pub struct SettingsApi;

#[derive(Debug, poem_openapi::Object)]
pub struct TestS3 {
    /// `storage` (file storage).
    #[oai(default = "default_filesystem")]
    pub filesystem: String,
}

#[derive(Debug, poem_openapi::Object)]
pub struct TestEmail {
    /// The recipient.
    #[oai(default)]
    pub email: String,
    /// `verification`, `password-reset`, `email-change` or `otp`.
    #[oai(default)]
    pub template: String,
    /// The auth collection whose template is used (default `_superusers`).
    #[oai(default)]
    pub collection: String,
}

fn default_filesystem() -> String {
    "storage".into()
}

#[derive(poem_openapi::ApiResponse)]
pub enum TestS3Response {
    /// It works.
    #[oai(status = 204)]
    Ok,
}

impl From<SettingsError> for ApiError {
    fn from(e: SettingsError) -> Self {
        match e {
            SettingsError::Invalid(data) => {
                Self::invalid("An error occurred while validating the submitted data.", &data)
            }
            SettingsError::Internal(e) => Self::internal(e),
        }
    }
}

#[OpenApi(prefix_path = "/api/settings", tag = ApiTags::Settings)]
impl SettingsApi {
    /// Read the settings.
    ///
    /// `meta` (application name and URL) and `batch`. Superusers only.
    #[oai(path = "/", method = "get", operation_id = "get_settings")]
    async fn get_settings(&self, state: Data<&AppState>, auth: TokenAuth) -> ApiResult<Json<Value>> {
        auth.require_superuser()?;
        let s = crate::settings::redacted(state.settings.load().await?);
        Ok(Json(serde_json::to_value(s).map_err(ApiError::internal)?))
    }

    /// Change the settings.
    ///
    /// A partial document, merged deeply into the current one. Superusers only.
    #[oai(path = "/", method = "patch", operation_id = "update_settings")]
    async fn update_settings(
        &self,
        state: Data<&AppState>,
        auth: TokenAuth,
        body: Json<Value>,
    ) -> ApiResult<Json<Value>> {
        auth.require_superuser()?;
        let s = crate::settings::redacted(state.settings.update(&body.0).await?);
        // As PocketBase: every save applies the log retention right away.
        if let Err(e) = state.logs.prune().await {
            tracing::warn!(error = %format!("{e:#}"), "cannot prune request logs");
        }
        Ok(Json(serde_json::to_value(s).map_err(ApiError::internal)?))
    }

    /// Send a test email.
    ///
    /// Sends one of the collection's emails (`template`: `verification`, `password-reset`,
    /// `email-change` or `otp`) with placeholder values to `email`, through the SMTP settings.
    /// 204 when the mail server accepted it, 400 with the reason otherwise. Superusers only.
    #[oai(path = "/test/email", method = "post", operation_id = "test_email")]
    async fn test_email(
        &self,
        state: Data<&AppState>,
        auth: TokenAuth,
        body: Json<TestEmail>,
    ) -> ApiResult<TestS3Response> {
        auth.require_superuser()?;
        let b = body.0;
        crate::auth::flows::send_test(&state.auth, &b.collection, &b.template, b.email.trim()).await?;
        Ok(TestS3Response::Ok)
    }

    /// Test the S3 storage.
    ///
    /// Writes, reads back and deletes a probe object with the saved `s3` settings
    /// (`filesystem: "storage"`). 204 when it works, 400 with the reason otherwise. Superusers only.
    #[oai(path = "/test/s3", method = "post", operation_id = "test_s3")]
    async fn test_s3(&self, state: Data<&AppState>, auth: TokenAuth, body: Json<TestS3>) -> ApiResult<TestS3Response> {
        auth.require_superuser()?;
        let fail = |m: String| ApiError::bad_request("Failed to initialize the S3 storage.", json!({"message": m}));
        if body.0.filesystem != "storage" {
            return Err(ApiError::bad_request(
                "Only the \"storage\" filesystem can be tested (backups are not available yet).",
                json!({"filesystem": {"code": "validation_in_invalid", "message": "Must be a valid value."}}),
            ));
        }
        let s = state.settings.load().await?;
        if !s.s3.enabled {
            return Err(ApiError::bad_request("S3 storage is not enabled.", json!({})));
        }
        let blobs = crate::blob::BlobStore::s3(&s.s3).map_err(|e| fail(format!("{e:#}")))?;
        blobs.check().await.map_err(|e| fail(format!("{e:#}")))?;
        Ok(TestS3Response::Ok)
    }
}
