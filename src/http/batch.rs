//! `POST /api/batch`: PocketBase's batch API (JSON, or multipart with an `@jsonPayload` part
//! as the SDK sends it).

use poem::web::Data;
use poem::{Body, Request};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use serde_json::{Value, json};

use super::ApiTags;
use super::auth::MaybeAuth;
use super::body::{FileParts, read_form};
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

/// Batch files are capped by the largest file field of any collection (each request's own
/// limits are checked when it runs).
fn batch_caps(state: &AppState) -> impl Fn(&str) -> Option<u64> + Sync + use<> {
    let largest = state
        .schema
        .snapshot()
        .all()
        .iter()
        .flat_map(|c| c.fields.iter())
        .filter_map(|f| match &f.kind {
            crate::schema::FieldKind::File(o) => Some(crate::records::files::max_size(o) + 1),
            _ => None,
        })
        .max();
    move |key: &str| if key.starts_with("requests.") { largest } else { None }
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
        let cap = batch_caps(&state);
        let form = read_form(req, body, Some(FileParts { dir: &state.files.tmp_dir, cap: &cap })).await?;
        let mut requests = records::batch::parse(&Value::Object(form.data))?;
        for mut upload in form.uploads {
            // `requests.<i>.<field>`: the file belongs to request i.
            let Some((i, key)) = upload.key.strip_prefix("requests.").and_then(|k| k.split_once('.')) else { continue };
            let (Ok(i), key) = (i.parse::<usize>(), key.to_owned()) else { continue };
            if let Some(r) = requests.get_mut(i) {
                upload.key = key;
                // PocketBase names batch files twice over (`a.png` -> `a_<rand>_<rand>.png`), and
                // reports the first of the two names as the original.
                upload.original = std::mem::take(&mut upload.name);
                upload.name = crate::files::names::stored_name(&upload.original, "");
                r.uploads.push(upload);
            }
        }
        let info = request_info(req, auth.principal());
        let results = records::batch::run(&state.records, requests, &info).await?;
        Ok(Json(results.into_iter().map(|r| BatchResult { status: r.status, body: r.body }).collect()))
    }
}
