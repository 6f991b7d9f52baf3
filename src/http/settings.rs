//! `GET|PATCH /api/settings` for superusers, in PocketBase's shape.

use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::payload::Json;
use serde_json::Value;

use super::ApiTags;
use super::auth::TokenAuth;
use super::error::{ApiError, ApiResult};
use crate::app::AppState;
use crate::settings::SettingsError;

pub struct SettingsApi;

impl From<SettingsError> for ApiError {
    fn from(e: SettingsError) -> Self {
        match e {
            SettingsError::Invalid(data) => {
                Self::bad_request("An error occurred while validating the submitted data.", data)
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
        let s = crate::settings::load(&state).await?;
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
        let s = crate::settings::update(&state, &body.0).await?;
        Ok(Json(serde_json::to_value(s).map_err(ApiError::internal)?))
    }
}
