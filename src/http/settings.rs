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
    /// `storage` (file storage) or `backups` (the backups bucket).
    #[oai(default)]
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
    /// Writes, reads back and deletes a probe object in the saved bucket of `filesystem`:
    /// `storage` (the `s3` settings) or `backups` (`backups.s3`). 204 when it works, 400 with the
    /// reason otherwise. Superusers only.
    #[oai(path = "/test/s3", method = "post", operation_id = "test_s3")]
    async fn test_s3(&self, state: Data<&AppState>, auth: TokenAuth, body: Json<TestS3>) -> ApiResult<TestS3Response> {
        auth.require_superuser()?;
        const FAILED: &str = "Failed to test the S3 filesystem.";
        let fail = |m: String| ApiError::bad_request(&format!("{FAILED} Raw error: \n{m}"), json!({}));
        let s = state.settings.load().await?;
        let s3 = match body.0.filesystem.as_str() {
            "storage" => &s.s3,
            "backups" => &s.backups.s3,
            "" => {
                let data = json!({"filesystem": {"code": "validation_required", "message": "Cannot be blank."}});
                return Err(ApiError::bad_request(FAILED, data));
            }
            _ => {
                let data =
                    json!({"filesystem": {"code": "validation_in_invalid", "message": "Must be a valid value."}});
                return Err(ApiError::bad_request(FAILED, data));
            }
        };
        // PocketBase's wording, for the backups bucket too.
        if !s3.enabled {
            return Err(fail("S3 storage filesystem is not enabled.".to_owned()));
        }
        let blobs = crate::blob::BlobStore::s3(s3).map_err(|e| fail(format!("{e:#}")))?;
        blobs.check().await.map_err(|e| fail(format!("{e:#}")))?;
        Ok(TestS3Response::Ok)
    }
}
