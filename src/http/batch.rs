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
use crate::error::{FieldErrors, code};
use crate::filter::RequestInfo;
use crate::records::{self, BatchAction, BatchError, BatchOp, WriteKind};

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
            BatchError::Invalid(data) => Self::invalid("Invalid batch request data.", &data),
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

/// One sub-request as the client sent it.
struct SubRequest {
    method: String,
    url: String,
    body: serde_json::Map<String, Value>,
    headers: serde_json::Map<String, Value>,
    uploads: Vec<crate::files::Upload>,
}

/// Parses a batch body: `{"requests": [{method, url, headers?, body?}]}`.
fn parse(value: &Value) -> Result<Vec<SubRequest>, BatchError> {
    let invalid = |m: &str| BatchError::Invalid(FieldErrors::single("requests", code::INVALID, m));
    let Some(list) = value.get("requests").and_then(Value::as_array) else {
        return Err(BatchError::Invalid(FieldErrors::single("requests", code::REQUIRED, "Cannot be blank.")));
    };
    list.iter()
        .map(|r| {
            let method =
                r.get("method").and_then(Value::as_str).ok_or_else(|| invalid("Every request needs a method."))?;
            let url = r.get("url").and_then(Value::as_str).ok_or_else(|| invalid("Every request needs a url."))?;
            Ok(SubRequest {
                method: method.to_ascii_uppercase(),
                url: url.to_owned(),
                body: r.get("body").and_then(Value::as_object).cloned().unwrap_or_default(),
                headers: r.get("headers").and_then(Value::as_object).cloned().unwrap_or_default(),
                uploads: Vec::new(),
            })
        })
        .collect()
}

impl SubRequest {
    /// The record operation this sub-request names (by method and URL), for the caller `req`.
    fn into_op(self, req: &RequestInfo) -> BatchOp {
        let (collection, action) = match target(&self.url) {
            Some((collection, id)) => (collection, action(&self.method, id)),
            None => (String::new(), BatchAction::Unsupported),
        };
        let info = self.info(req);
        let input = records::Input { body: self.body, uploads: self.uploads };
        BatchOp { action, collection, input, info }
    }

    fn info(&self, req: &RequestInfo) -> RequestInfo {
        let mut info = req.clone();
        info.context = "batch".into();
        info.method = self.method.clone();
        info.query = self
            .url
            .split_once('?')
            .map(|(_, q)| crate::query_string::pairs(q).into_iter().collect())
            .unwrap_or_default();
        for (k, v) in &self.headers {
            info.headers.insert(super::request::header_key(k), v.as_str().unwrap_or_default().to_owned());
        }
        info
    }
}

/// The record action of a method on `…/records` (no id) or `…/records/{id}`.
fn action(method: &str, id: Option<String>) -> BatchAction {
    match (method, id) {
        ("POST", None) => BatchAction::Create,
        ("PUT", None) => BatchAction::Upsert,
        ("PATCH", Some(id)) => BatchAction::Update(id),
        ("DELETE", Some(id)) => BatchAction::Delete(id),
        _ => BatchAction::Unsupported,
    }
}

/// `/api/collections/{c}/records[/{id}]` -> (collection, id).
fn target(url: &str) -> Option<(String, Option<String>)> {
    let path = url.split('?').next().unwrap_or(url);
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    match parts.as_slice() {
        ["api", "collections", c, "records"] => Some(((*c).to_owned(), None)),
        ["api", "collections", c, "records", id] => Some(((*c).to_owned(), Some((*id).to_owned()))),
        _ => None,
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
        // Refused before the body is read, as PocketBase does.
        if !state.settings.shared().await?.batch.enabled {
            return Err(BatchError::Disabled.into());
        }
        let cap = batch_caps(&state);
        let form = read_form(req, body, Some(FileParts { dir: &state.files.tmp_dir, cap: &cap })).await?;
        let mut requests = parse(&Value::Object(form.data))?;
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
        let ops = requests.into_iter().map(|r| r.into_op(&info)).collect();
        let results = records::batch::run(&state.records, ops).await?;
        let status = |kind| if kind == WriteKind::Delete { 204 } else { 200 };
        Ok(Json(
            results
                .into_iter()
                .map(|r| BatchResult { status: status(r.kind), body: r.record.unwrap_or(Value::Null) })
                .collect(),
        ))
    }
}
