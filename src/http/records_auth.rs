//! Auth endpoints of auth collections: `auth-with-password` and `auth-refresh`.

use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use serde_json::{Value, json};

use super::ApiTags;
use super::auth::TokenAuth;
use super::error::{ApiError, ApiResult};
use crate::app::AppState;
use crate::auth::Principal;

pub struct RecordAuthApi;

#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct PasswordLogin {
    /// The email (or another identity field's value) of the record.
    pub identity: String,
    pub password: String,
    /// Restricts the lookup to one identity field.
    pub identity_field: Option<String>,
}

/// A signed-in record and its token.
#[derive(Debug, Object)]
pub struct AuthResponse {
    /// HS256 JWT; send it as `Authorization: <token>`.
    pub token: String,
    /// The auth record (password and tokenKey are never included).
    pub record: Value,
}

#[OpenApi(prefix_path = "/api/collections", tag = ApiTags::Auth)]
impl RecordAuthApi {
    /// Sign in with a password.
    ///
    /// Works for `_superusers` and every auth collection with password auth enabled.
    #[oai(path = "/:collection/auth-with-password", method = "post", operation_id = "auth_with_password")]
    async fn auth_with_password(
        &self,
        state: Data<&AppState>,
        /// Collection id or name.
        collection: Path<String>,
        body: Json<PasswordLogin>,
    ) -> ApiResult<Json<AuthResponse>> {
        let b = body.0;
        if b.identity.is_empty() || b.password.is_empty() {
            let mut data = serde_json::Map::new();
            for (field, value) in [("identity", &b.identity), ("password", &b.password)] {
                if value.is_empty() {
                    data.insert(field.into(), json!({"code": "validation_required", "message": "Cannot be blank."}));
                }
            }
            return Err(ApiError::bad_request(
                "An error occurred while validating the submitted data.",
                Value::Object(data),
            ));
        }
        let (principal, token) = crate::auth::authenticate_with_password(
            state.store.as_ref(),
            &collection,
            &b.identity,
            &b.password,
            b.identity_field.as_deref(),
        )
        .await?;
        Ok(Json(AuthResponse { token, record: record_json(&principal) }))
    }

    /// Refresh a token.
    ///
    /// Returns a new token for the signed-in record of this collection.
    #[oai(path = "/:collection/auth-refresh", method = "post", operation_id = "auth_refresh")]
    async fn auth_refresh(&self, auth: TokenAuth, collection: Path<String>) -> ApiResult<Json<AuthResponse>> {
        let p = &auth.0;
        if p.collection.id != *collection && !p.collection.name.eq_ignore_ascii_case(&collection) {
            return Err(ApiError::forbidden(
                "The request requires valid record authorization token for this collection.",
            ));
        }
        let token = crate::auth::tokens::issue_auth(&p.collection, &p.record).map_err(ApiError::internal)?;
        Ok(Json(AuthResponse { token, record: record_json(p) }))
    }
}

/// The record as PocketBase exports it to its owner.
pub fn record_json(p: &Principal) -> Value {
    let r = &p.record;
    json!({
        "collectionId": p.collection.id,
        "collectionName": p.collection.name,
        "id": r.id,
        "email": r.email,
        "emailVisibility": r.email_visibility,
        "verified": r.verified,
        "created": r.created,
        "updated": r.updated,
    })
}
