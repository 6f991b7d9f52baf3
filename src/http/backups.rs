//! `/api/backups`: PocketBase's backup routes for superusers (downloads take a superuser file
//! token in `?token=`).

use poem::web::Data;
use poem::{Body, Request};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde_json::{Value, json};

use super::ApiTags;
use super::auth::TokenAuth;
use super::body::{FileParts, read_form};
use super::error::{ApiError, ApiResult, MSG_NOT_FOUND};
use super::files::{Served200, serve};
use crate::app::AppState;
use crate::backups::{BackupError, BackupInfo, CreateOptions};
use crate::error::{FieldErrors, code};
use crate::records::download::Served;

pub struct BackupsApi;

/// A stored backup.
#[derive(Debug, Object)]
pub struct Backup {
    /// Last modified, `2006-01-02 15:04:05.000Z`.
    pub modified: String,
    /// The file name.
    pub key: String,
    /// Bytes.
    pub size: u64,
}

#[derive(ApiResponse)]
pub enum Done {
    /// Done.
    #[oai(status = 204)]
    Done,
}

impl From<BackupInfo> for Backup {
    fn from(b: BackupInfo) -> Self {
        Self { modified: crate::dates::format(b.modified), key: b.key, size: b.size }
    }
}

const MSG_VALIDATION: &str = "An error occurred while validating the submitted data.";
const MSG_BAD_DATA: &str = "An error occurred while loading the submitted data.";

fn api_error(err: BackupError, missing: &str) -> ApiError {
    match err {
        BackupError::Busy => ApiError::bad_request(crate::backups::MSG_BUSY, json!({})),
        BackupError::Invalid(errors) => ApiError::invalid(MSG_VALIDATION, &errors),
        BackupError::NotFound(_) => ApiError::bad_request(missing, json!({})),
        BackupError::InUse => {
            ApiError::bad_request("The backup is currently being used and cannot be deleted.", json!({}))
        }
        BackupError::Damaged(why) => {
            ApiError::bad_request(&format!("The backup cannot be restored: {why}."), json!({}))
        }
        BackupError::Other(e) => ApiError::internal(e),
    }
}

#[OpenApi(prefix_path = "/api/backups", tag = ApiTags::Backups)]
impl BackupsApi {
    /// List backups.
    ///
    /// Every stored backup, sorted by key. Superusers only.
    #[oai(path = "/", method = "get", operation_id = "list_backups")]
    async fn list_backups(&self, state: Data<&AppState>, auth: TokenAuth) -> ApiResult<Json<Vec<Backup>>> {
        auth.require_superuser()?;
        let list = state.backups.list().await.map_err(|e| api_error(e, "Failed to retrieve backup items."))?;
        Ok(Json(list.into_iter().map(Backup::from).collect()))
    }

    /// Create a backup.
    ///
    /// Takes a consistent snapshot of the database while writes go on, and stores it as a zip
    /// (with the uploaded files when they are on local disk). `name` must match
    /// `[a-z0-9_-]+.zip`; without it the name is `pb_backup_<app>_<time>.zip`. Set `aux` to
    /// also copy the logs database. Answers when the backup is stored. Superusers only.
    #[oai(path = "/", method = "post", operation_id = "create_backup")]
    async fn create_backup(
        &self,
        state: Data<&AppState>,
        auth: TokenAuth,
        req: &Request,
        body: Body,
    ) -> ApiResult<Done> {
        auth.require_superuser()?;
        let form = read_form(req, body, None).await.map_err(|_| ApiError::bad_request(MSG_BAD_DATA, json!({})))?;
        let name = match form.data.get("name") {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(_) => return Err(ApiError::bad_request(MSG_BAD_DATA, json!({}))),
        };
        let include_aux = matches!(form.data.get("aux"), Some(Value::Bool(true)));
        let options = CreateOptions { name, include_aux, auto: false };
        state.backups.create(options, None).await.map_err(|e| api_error(e, "Failed to create backup."))?;
        Ok(Done::Done)
    }

    /// Upload a backup.
    ///
    /// A zip written by `POST /api/backups` or `croft backup create`, as the multipart field
    /// `file`; it is checked before it is stored. Superusers only.
    #[oai(path = "/upload", method = "post", operation_id = "upload_backup")]
    async fn upload_backup(
        &self,
        state: Data<&AppState>,
        auth: TokenAuth,
        req: &Request,
        body: Body,
    ) -> ApiResult<Done> {
        auth.require_superuser()?;
        let caps = |key: &str| (key == "file").then_some(u64::MAX);
        let parts = FileParts { dir: &state.files.tmp_dir, cap: &caps };
        let form = read_form(req, body, Some(parts)).await?;
        let Some(upload) = form.uploads.into_iter().find(|u| u.key == "file") else {
            let blank = FieldErrors::single("file", code::REQUIRED, "Cannot be blank.");
            return Err(ApiError::invalid(MSG_VALIDATION, &blank));
        };
        if upload.mime != "application/zip" {
            let message = format!("\"{}\" mime type must be one of: application/zip.", upload.original);
            let errors = FieldErrors::single("file", "validation_invalid_mime_type", message);
            return Err(ApiError::invalid(MSG_VALIDATION, &errors));
        }
        state
            .backups
            .upload(&upload.original, upload.temp.path())
            .await
            .map_err(|e| api_error(e, "Failed to upload the backup."))?;
        Ok(Done::Done)
    }

    /// Download a backup.
    ///
    /// Needs a superuser file token (`POST /api/files/token`) in `token`; answers `Range`.
    #[oai(path = "/:key", method = "get", operation_id = "download_backup")]
    async fn download_backup(
        &self,
        state: Data<&AppState>,
        req: &Request,
        key: Path<String>,
        token: Query<Option<String>>,
    ) -> ApiResult<Served200> {
        let denied = || ApiError::forbidden("Insufficient permissions to access the resource.");
        let token = token.0.filter(|t| !t.is_empty()).ok_or_else(denied)?;
        let principal = crate::auth::authenticate_file_token(&state.auth, &token).await.map_err(|_| denied())?;
        if !principal.is_some_and(|p| p.is_superuser()) {
            return Err(denied());
        }
        if !crate::backups::is_key(&key) {
            return Err(ApiError::not_found(MSG_NOT_FOUND));
        }
        // `serve` answers 404 for a key that is not there.
        let target = state.backups.target().await.map_err(ApiError::internal)?;
        serve(&target, req, &Served { key: key.0.clone(), name: key.0 }, true).await
    }

    /// Delete a backup.
    ///
    /// Superusers only.
    #[oai(path = "/:key", method = "delete", operation_id = "delete_backup")]
    async fn delete_backup(&self, state: Data<&AppState>, auth: TokenAuth, key: Path<String>) -> ApiResult<Done> {
        auth.require_superuser()?;
        state.backups.delete(&key).await.map_err(|e| api_error(e, "Invalid or already deleted backup file."))?;
        Ok(Done::Done)
    }

    /// Restore a backup.
    ///
    /// Checks the whole archive first, then replaces the databases (each atomically) and the
    /// local files, and reloads the collections and settings, without a restart. Answers when
    /// it is done. Superusers only.
    #[oai(path = "/:key/restore", method = "post", operation_id = "restore_backup")]
    async fn restore_backup(&self, state: Data<&AppState>, auth: TokenAuth, key: Path<String>) -> ApiResult<Done> {
        auth.require_superuser()?;
        state.restore_backup(&key, None).await.map_err(|e| api_error(e, "Missing or invalid backup file."))?;
        Ok(Done::Done)
    }
}
