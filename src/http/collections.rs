//! `/api/collections`: collection administration for superusers, in PocketBase's format.

use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use serde_json::Value;

use super::ApiTags;
use super::auth::TokenAuth;
use super::error::{ApiError, ApiResult};
use super::records::RecordList;
use crate::app::AppState;
use crate::schema::{Collection, SchemaError};

pub struct CollectionsApi;

#[derive(ApiResponse)]
pub enum NoContent {
    /// Done.
    #[oai(status = 204)]
    Done,
}

impl From<SchemaError> for ApiError {
    fn from(e: SchemaError) -> Self {
        schema_error(e, "An error occurred while validating the submitted data.")
    }
}

/// A schema error with the operation's own message (PocketBase's "Failed to create collection.").
fn schema_error(e: SchemaError, message: &str) -> ApiError {
    match e {
        SchemaError::Invalid(data) => ApiError::invalid(message, &data),
        SchemaError::NotFound => ApiError::not_found(super::error::MSG_NOT_FOUND),
        SchemaError::InUse(why) => ApiError::bad_request(&why, serde_json::json!({})),
        SchemaError::Internal(e) => ApiError::internal(e),
    }
}

fn parse_collection(body: Value) -> ApiResult<Collection> {
    serde_json::from_value(body).map_err(|e| {
        ApiError::bad_request(
            "An error occurred while validating the submitted data.",
            serde_json::json!({"fields": {"code": "validation_invalid", "message": e.to_string()}}),
        )
    })
}

#[OpenApi(prefix_path = "/api/collections", tag = ApiTags::Collections)]
impl CollectionsApi {
    /// List collections.
    ///
    /// Superusers only.
    #[oai(path = "/", method = "get", operation_id = "list_collections")]
    async fn list_collections(
        &self,
        state: Data<&AppState>,
        auth: TokenAuth,
        page: Query<Option<i64>>,
        #[oai(name = "perPage")] per_page: Query<Option<i64>>,
    ) -> ApiResult<Json<RecordList>> {
        auth.require_superuser()?;
        let schema = state.schema.snapshot();
        let page = page.0.unwrap_or(1).max(1);
        let per_page = per_page.0.filter(|p| *p > 0).unwrap_or(30).min(1000);
        let all = schema.all();
        let total = all.len() as i64;
        let items = all
            .iter()
            .skip(usize::try_from((page - 1).saturating_mul(per_page)).unwrap_or(usize::MAX))
            .take(per_page as usize)
            .map(|c| c.public_json())
            .collect();
        Ok(Json(RecordList {
            page,
            per_page,
            total_items: total,
            total_pages: (total + per_page - 1) / per_page,
            items,
        }))
    }

    /// Import collections.
    ///
    /// PocketBase's import: `{collections, deleteMissing}`. Collections are matched by id, then
    /// name; system collections are skipped.
    #[oai(path = "/import", method = "put", operation_id = "import_collections")]
    async fn import_collections(
        &self,
        state: Data<&AppState>,
        auth: TokenAuth,
        body: Json<Value>,
    ) -> ApiResult<NoContent> {
        auth.require_superuser()?;
        let list = body.0.get("collections").cloned().unwrap_or(Value::Null);
        let delete_missing = body.0.get("deleteMissing").and_then(Value::as_bool).unwrap_or(false);
        let collections: Vec<Collection> = serde_json::from_value(list).map_err(|e| {
            ApiError::bad_request(
                "An error occurred while validating the submitted data.",
                serde_json::json!({"collections": {"code": "validation_invalid", "message": e.to_string()}}),
            )
        })?;
        crate::collections::import(&state.records, collections, delete_missing).await?;
        Ok(NoContent::Done)
    }

    /// Collection templates.
    ///
    /// Empty `base`, `auth` and `view` collections with their system fields.
    #[oai(path = "/meta/scaffolds", method = "get", operation_id = "collection_scaffolds")]
    async fn collection_scaffolds(&self, auth: TokenAuth) -> ApiResult<Json<Value>> {
        auth.require_superuser()?;
        Ok(Json(crate::collections::scaffolds()))
    }

    /// View a collection.
    #[oai(path = "/:collection", method = "get", operation_id = "view_collection")]
    async fn view_collection(
        &self,
        state: Data<&AppState>,
        auth: TokenAuth,
        collection: Path<String>,
    ) -> ApiResult<Json<Value>> {
        auth.require_superuser()?;
        let schema = state.schema.snapshot();
        let c = schema.get(&collection).ok_or_else(|| ApiError::not_found(super::error::MSG_NOT_FOUND))?;
        Ok(Json(c.public_json()))
    }

    /// Create a collection.
    ///
    /// Takes PocketBase's v0.23+ format (`fields`, `indexes`, rules, type options).
    #[oai(path = "/", method = "post", operation_id = "create_collection")]
    async fn create_collection(
        &self,
        state: Data<&AppState>,
        auth: TokenAuth,
        body: Json<Value>,
    ) -> ApiResult<Json<Value>> {
        auth.require_superuser()?;
        let created = crate::collections::create(&state.records, parse_collection(body.0)?)
            .await
            .map_err(|e| schema_error(e, "Failed to create collection."))?;
        Ok(Json(created.public_json()))
    }

    /// Update a collection.
    ///
    /// Renames, added, removed and renamed fields and new indexes are applied to the table in one transaction.
    #[oai(path = "/:collection", method = "patch", operation_id = "update_collection")]
    async fn update_collection(
        &self,
        state: Data<&AppState>,
        auth: TokenAuth,
        collection: Path<String>,
        body: Json<Value>,
    ) -> ApiResult<Json<Value>> {
        auth.require_superuser()?;
        let updated = crate::collections::update(&state.records, &collection, body.0)
            .await
            .map_err(|e| schema_error(e, "Failed to update collection."))?;
        Ok(Json(updated.public_json()))
    }

    /// Delete a collection.
    ///
    /// Refused for system collections and collections other collections relate to.
    #[oai(path = "/:collection", method = "delete", operation_id = "delete_collection")]
    async fn delete_collection(
        &self,
        state: Data<&AppState>,
        auth: TokenAuth,
        collection: Path<String>,
    ) -> ApiResult<NoContent> {
        auth.require_superuser()?;
        crate::collections::delete(&state.records, &collection).await?;
        Ok(NoContent::Done)
    }

    /// Delete every record of a collection.
    #[oai(path = "/:collection/truncate", method = "delete", operation_id = "truncate_collection")]
    async fn truncate_collection(
        &self,
        state: Data<&AppState>,
        auth: TokenAuth,
        collection: Path<String>,
    ) -> ApiResult<NoContent> {
        auth.require_superuser()?;
        crate::collections::truncate(&state.records, &collection).await?;
        Ok(NoContent::Done)
    }
}
