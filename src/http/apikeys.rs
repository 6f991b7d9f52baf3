//! `/api/keys`: Croft's API keys for machines (superusers only). A new key is returned once.

use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::ApiTags;
use super::auth::TokenAuth;
use super::error::{ApiError, ApiResult};
use crate::app::AppState;
use crate::auth::apikeys::{self, ApiKey, Scope};

pub struct KeysApi;

/// One grant: record actions on a collection (name or id; `*` for all).
#[derive(Debug, Object)]
#[oai(rename = "Scope")]
pub struct ScopeDto {
    pub collection: String,
    /// Any of `list`, `view`, `create`, `update`, `delete`.
    pub actions: Vec<String>,
}

/// A stored key (never its secret).
#[derive(Debug, Object)]
#[oai(rename = "ApiKey", rename_all = "camelCase")]
pub struct ApiKeyDto {
    pub id: String,
    pub name: String,
    pub scopes: Vec<ScopeDto>,
    /// When it stops working (`""`: never).
    pub expires: String,
    pub created: String,
}

impl From<ApiKey> for ApiKeyDto {
    fn from(k: ApiKey) -> Self {
        let scopes = k.scopes.into_iter().map(|s| ScopeDto { collection: s.collection, actions: s.actions }).collect();
        Self { id: k.id, name: k.name, scopes, expires: k.expires, created: k.created }
    }
}

#[derive(Debug, Object)]
pub struct NewKey {
    /// What the key is for (shown in lists).
    #[oai(default)]
    pub name: String,
    /// Record actions per collection, e.g. `[{"collection": "posts", "actions": ["list", "view"]}]`.
    #[oai(default)]
    pub scopes: Vec<ScopeDto>,
    /// When the key stops working (a date); empty or absent: never.
    #[oai(default)]
    pub expires: String,
}

#[derive(Debug, Object)]
pub struct CreatedKey {
    /// The key itself: send it as `Authorization: <key>`. It is shown this once only.
    pub key: String,
    #[oai(flatten)]
    pub info: ApiKeyDto,
}

#[derive(ApiResponse)]
pub enum Revoked {
    /// The key no longer works.
    #[oai(status = 204)]
    Revoked,
}

#[OpenApi(prefix_path = "/api/keys", tag = ApiTags::Keys)]
impl KeysApi {
    /// List API keys.
    ///
    /// Names, scopes, expiry and last use; never the keys themselves. Superusers only.
    #[oai(path = "/", method = "get", operation_id = "list_keys")]
    async fn list(&self, state: Data<&AppState>, auth: TokenAuth) -> ApiResult<Json<Vec<ApiKeyDto>>> {
        auth.require_superuser()?;
        Ok(Json(apikeys::list(state.store.as_ref()).await?.into_iter().map(ApiKeyDto::from).collect()))
    }

    /// Create an API key.
    ///
    /// The key acts as a superuser for the record actions of its scopes (on `*` or named
    /// collections) and is refused everywhere else. Superusers only.
    #[oai(path = "/", method = "post", operation_id = "create_key")]
    async fn create(&self, state: Data<&AppState>, auth: TokenAuth, body: Json<NewKey>) -> ApiResult<Json<CreatedKey>> {
        auth.require_superuser()?;
        let b = body.0;
        let scopes = b.scopes.into_iter().map(|s| Scope { collection: s.collection, actions: s.actions }).collect();
        let (info, key) = apikeys::create(state.store.as_ref(), &b.name, scopes, b.expires.trim()).await?;
        Ok(Json(CreatedKey { key, info: info.into() }))
    }

    /// Revoke an API key.
    #[oai(path = "/:id", method = "delete", operation_id = "revoke_key")]
    async fn revoke(&self, state: Data<&AppState>, auth: TokenAuth, id: Path<String>) -> ApiResult<Revoked> {
        auth.require_superuser()?;
        if apikeys::revoke(state.store.as_ref(), &id).await? {
            Ok(Revoked::Revoked)
        } else {
            Err(ApiError::not_found(super::error::MSG_NOT_FOUND))
        }
    }
}
