//! `/api/collections/{collection}/records`: PocketBase's record CRUD.

use poem::Request;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde_json::Value;

use super::ApiTags;
use super::auth::MaybeAuth;
use super::body::{FileParts, Form, file_caps, read_form};
use super::error::{ApiError, ApiResult};
use super::request::request_info;
use crate::app::AppState;
use crate::records::{self, ListParams, RecordError};

pub struct RecordsApi;

/// PocketBase's list envelope.
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct RecordList {
    pub page: i64,
    pub per_page: i64,
    /// -1 with `skipTotal`.
    pub total_items: i64,
    /// -1 with `skipTotal`.
    pub total_pages: i64,
    pub items: Vec<Value>,
}

#[derive(ApiResponse)]
pub enum Deleted {
    /// The record was deleted.
    #[oai(status = 204)]
    Deleted,
}

impl From<RecordError> for ApiError {
    fn from(e: RecordError) -> Self {
        match e {
            RecordError::CollectionNotFound => Self::not_found("Missing collection context."),
            RecordError::NotFound => Self::not_found(super::error::MSG_NOT_FOUND),
            RecordError::Forbidden(msg) => Self::forbidden(msg),
            RecordError::BadRequest { message, data } => Self::invalid(&message, &data),
            RecordError::Internal(e) => Self::internal(e),
        }
    }
}

/// `strconv.ParseBool`: 1, t, T, TRUE, true, True.
fn parse_bool(s: Option<&str>) -> bool {
    matches!(s, Some("1" | "t" | "T" | "TRUE" | "true" | "True"))
}

/// A record body, with files for the collection's file fields.
async fn read_record_form(state: &AppState, collection: &str, req: &Request, body: poem::Body) -> ApiResult<Form> {
    let schema = state.schema.snapshot();
    let cap = file_caps(schema.get(collection).map(AsRef::as_ref));
    read_form(req, body, Some(FileParts { dir: &state.files.tmp_dir, cap: &cap })).await
}

fn principal(auth: &MaybeAuth) -> Option<&crate::auth::Principal> {
    auth.principal()
}

#[OpenApi(prefix_path = "/api/collections", tag = ApiTags::Records)]
impl RecordsApi {
    /// List records.
    ///
    /// Paginated, filtered and sorted with PocketBase's filter syntax; the collection's
    /// listRule filters what the caller sees.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/:collection/records", method = "get", operation_id = "list_records")]
    async fn list_records(
        &self,
        state: Data<&AppState>,
        auth: MaybeAuth,
        req: &Request,
        collection: Path<String>,
        page: Query<Option<String>>,
        #[oai(name = "perPage")] per_page: Query<Option<String>>,
        sort: Query<Option<String>>,
        filter: Query<Option<String>>,
        expand: Query<Option<String>>,
        /// Comma-separated fields to return (applied to every item).
        #[allow(unused_variables)]
        fields: Query<Option<String>>,
        #[oai(name = "skipTotal")] skip_total: Query<Option<String>>,
    ) -> ApiResult<Json<RecordList>> {
        let info = request_info(req, principal(&auth));
        let params = ListParams {
            page: page.0.and_then(|p| p.parse().ok()).unwrap_or(1),
            per_page: per_page.0.and_then(|p| p.parse().ok()).unwrap_or(30),
            sort: sort.0,
            filter: filter.0,
            skip_total: parse_bool(skip_total.0.as_deref()),
            expand: expand.0,
        };
        let r = records::list(&state.records, &collection, params, &info).await?;
        Ok(Json(RecordList {
            page: r.page,
            per_page: r.per_page,
            total_items: r.total_items,
            total_pages: r.total_pages,
            items: r.items,
        }))
    }

    /// View a record.
    ///
    /// 404 when the record does not exist or the viewRule hides it.
    #[oai(path = "/:collection/records/:id", method = "get", operation_id = "view_record")]
    #[allow(clippy::too_many_arguments)] // one extractor per documented parameter
    async fn view_record(
        &self,
        state: Data<&AppState>,
        auth: MaybeAuth,
        req: &Request,
        collection: Path<String>,
        id: Path<String>,
        expand: Query<Option<String>>,
        #[allow(unused_variables)] fields: Query<Option<String>>,
    ) -> ApiResult<Json<Value>> {
        let info = request_info(req, principal(&auth));
        Ok(Json(records::view(&state.records, &collection, &id, expand.0.as_deref(), &info).await?))
    }

    /// Create a record.
    ///
    /// 400 with per-field errors when the data is invalid or the createRule fails.
    #[oai(path = "/:collection/records", method = "post", operation_id = "create_record")]
    #[allow(clippy::too_many_arguments)] // one extractor per documented parameter
    async fn create_record(
        &self,
        state: Data<&AppState>,
        auth: MaybeAuth,
        req: &Request,
        collection: Path<String>,
        expand: Query<Option<String>>,
        #[allow(unused_variables)] fields: Query<Option<String>>,
        body: poem::Body,
    ) -> ApiResult<Json<Value>> {
        let info = request_info(req, principal(&auth));
        let form = read_record_form(&state, &collection, req, body).await?;
        let mut created = records::create(&state.records, &collection, form.data, form.uploads, &info).await?;
        if let (Some(expand), Some(id)) = (expand.0.as_deref(), created["id"].as_str().map(str::to_owned))
            && let Ok(v) = records::view(&state.records, &collection, &id, Some(expand), &info).await
        {
            created = v;
        }
        Ok(Json(created))
    }

    /// Update a record.
    ///
    /// Supports PocketBase's modifiers (`field+`, `+field`, `field-`). 404 when the updateRule fails.
    #[oai(path = "/:collection/records/:id", method = "patch", operation_id = "update_record")]
    #[allow(clippy::too_many_arguments)]
    async fn update_record(
        &self,
        state: Data<&AppState>,
        auth: MaybeAuth,
        req: &Request,
        collection: Path<String>,
        id: Path<String>,
        expand: Query<Option<String>>,
        #[allow(unused_variables)] fields: Query<Option<String>>,
        body: poem::Body,
    ) -> ApiResult<Json<Value>> {
        let info = request_info(req, principal(&auth));
        let form = read_record_form(&state, &collection, req, body).await?;
        let mut updated = records::update(&state.records, &collection, &id, form.data, form.uploads, &info).await?;
        if let Some(expand) = expand.0.as_deref()
            && let Ok(v) = records::view(&state.records, &collection, &id, Some(expand), &info).await
        {
            updated = v;
        }
        Ok(Json(updated))
    }

    /// Delete a record.
    ///
    /// References from other records are cascaded, refused or unset as their relation fields say.
    #[oai(path = "/:collection/records/:id", method = "delete", operation_id = "delete_record")]
    async fn delete_record(
        &self,
        state: Data<&AppState>,
        auth: MaybeAuth,
        req: &Request,
        collection: Path<String>,
        id: Path<String>,
    ) -> ApiResult<Deleted> {
        let info = request_info(req, principal(&auth));
        records::delete(&state.records, &collection, &id, &info).await?;
        Ok(Deleted::Deleted)
    }
}
