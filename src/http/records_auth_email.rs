//! The email flows and impersonation of auth collections (PocketBase's routes and shapes).

use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::ApiTags;
use super::auth::{MaybeAuth, TokenAuth};
use super::error::{ApiError, ApiResult};
use super::records_auth::AuthResponse;
use crate::app::AppState;
use crate::auth::flows;

pub struct RecordAuthEmailApi;

#[derive(ApiResponse)]
pub enum Done {
    /// Done (also when the email is unknown: the answer never tells whether an account exists).
    #[oai(status = 204)]
    Done,
}

#[derive(Debug, Object, Default)]
pub struct EmailBody {
    #[oai(default)]
    pub email: String,
}

#[derive(Debug, Object, Default)]
pub struct TokenBody {
    #[oai(default)]
    pub token: String,
}

#[derive(Debug, Object, Default)]
#[oai(rename_all = "camelCase")]
pub struct PasswordResetBody {
    #[oai(default)]
    pub token: String,
    #[oai(default)]
    pub password: String,
    #[oai(default)]
    pub password_confirm: String,
}

#[derive(Debug, Object, Default)]
#[oai(rename_all = "camelCase")]
pub struct EmailChangeBody {
    #[oai(default)]
    pub new_email: String,
}

#[derive(Debug, Object, Default)]
pub struct EmailChangeConfirmBody {
    #[oai(default)]
    pub token: String,
    /// The record's current password.
    #[oai(default)]
    pub password: String,
}

#[derive(Debug, Object, Default)]
pub struct ImpersonateBody {
    /// Token lifetime in seconds; 0 takes the collection's auth token duration.
    #[oai(default)]
    pub duration: i64,
}

#[OpenApi(prefix_path = "/api/collections", tag = ApiTags::Auth)]
impl RecordAuthEmailApi {
    /// Request a verification email.
    #[oai(path = "/:collection/request-verification", method = "post", operation_id = "request_verification")]
    async fn request_verification(
        &self,
        state: Data<&AppState>,
        collection: Path<String>,
        body: Json<EmailBody>,
    ) -> ApiResult<Done> {
        flows::request_verification(&state.auth, &collection, body.0.email.trim()).await?;
        Ok(Done::Done)
    }

    /// Confirm an email address with the token from the verification email.
    #[oai(path = "/:collection/confirm-verification", method = "post", operation_id = "confirm_verification")]
    async fn confirm_verification(
        &self,
        state: Data<&AppState>,
        collection: Path<String>,
        body: Json<TokenBody>,
    ) -> ApiResult<Done> {
        flows::confirm_verification(&state.auth, &collection, &body.0.token).await?;
        Ok(Done::Done)
    }

    /// Request a password reset email.
    #[oai(path = "/:collection/request-password-reset", method = "post", operation_id = "request_password_reset")]
    async fn request_password_reset(
        &self,
        state: Data<&AppState>,
        collection: Path<String>,
        body: Json<EmailBody>,
    ) -> ApiResult<Done> {
        flows::request_password_reset(&state.auth, &collection, body.0.email.trim()).await?;
        Ok(Done::Done)
    }

    /// Set a new password with the token from the reset email (signs out every session).
    #[oai(path = "/:collection/confirm-password-reset", method = "post", operation_id = "confirm_password_reset")]
    async fn confirm_password_reset(
        &self,
        state: Data<&AppState>,
        collection: Path<String>,
        body: Json<PasswordResetBody>,
    ) -> ApiResult<Done> {
        let b = body.0;
        flows::confirm_password_reset(&state.auth, &collection, &b.token, &b.password, &b.password_confirm).await?;
        Ok(Done::Done)
    }

    /// Request an email change (mails a confirmation link to the new address).
    #[oai(path = "/:collection/request-email-change", method = "post", operation_id = "request_email_change")]
    async fn request_email_change(
        &self,
        state: Data<&AppState>,
        auth: MaybeAuth,
        collection: Path<String>,
        body: Json<EmailChangeBody>,
    ) -> ApiResult<Done> {
        flows::request_email_change(&state.auth, &collection, auth.principal(), body.0.new_email.trim()).await?;
        Ok(Done::Done)
    }

    /// Confirm an email change with its token and the current password.
    #[oai(path = "/:collection/confirm-email-change", method = "post", operation_id = "confirm_email_change")]
    async fn confirm_email_change(
        &self,
        state: Data<&AppState>,
        collection: Path<String>,
        body: Json<EmailChangeConfirmBody>,
    ) -> ApiResult<Done> {
        flows::confirm_email_change(&state.auth, &collection, &body.0.token, &body.0.password).await?;
        Ok(Done::Done)
    }

    /// Sign in as another record (superusers only).
    ///
    /// Returns a non-refreshable auth token of the record, valid for `duration` seconds.
    #[oai(path = "/:collection/impersonate/:id", method = "post", operation_id = "impersonate")]
    async fn impersonate(
        &self,
        state: Data<&AppState>,
        auth: TokenAuth,
        collection: Path<String>,
        id: Path<String>,
        body: Json<ImpersonateBody>,
    ) -> ApiResult<Json<AuthResponse>> {
        // PocketBase guards the route as superusers-only: others are 401, as if not signed in.
        if !auth.0.is_superuser() {
            return Err(ApiError::unauthorized());
        }
        if body.0.duration < 0 {
            return Err(ApiError::bad_request(
                "An error occurred while validating the submitted data.",
                serde_json::json!({"duration": {"code": "validation_min_greater_equal_than_required", "message": "Must be no less than 0."}}),
            ));
        }
        let store = state.store.as_ref();
        let coll = state.auth.collection(&collection)?;
        let record = store.auth_record(&coll, &id).await?.ok_or(crate::auth::AuthError::NotFound)?;
        let token = crate::auth::tokens::issue_static(&coll, &record, body.0.duration).map_err(ApiError::internal)?;
        let principal = crate::auth::Principal { collection: coll, record, key: None };
        let record = super::records_auth::record_json(&state, &principal).await?;
        Ok(Json(AuthResponse { token, record, meta: None }))
    }
}
