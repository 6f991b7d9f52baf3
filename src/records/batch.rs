//! `POST /api/batch`: record creates, updates, upserts and deletes in one transaction. Each
//! request sees the writes of the ones before it; any failure rolls everything back.

use std::time::Duration;

use serde_json::{Map, Value, json};

use super::Records;
use super::{RecordError, WriteKind, plan_create, plan_delete, plan_update};
use crate::filter::RequestInfo;
use crate::sql::{SqlBuilder, SqlQuery, SqlValue, ident};
use crate::store::RecordStore;

#[derive(Debug)]
pub struct BatchRequest {
    pub method: String,
    pub url: String,
    pub body: Map<String, Value>,
    pub headers: Map<String, Value>,
    /// Files sent as `requests.<i>.<field>`.
    pub uploads: Vec<crate::files::Upload>,
}

#[derive(Debug, Clone)]
pub struct BatchResponse {
    pub status: u16,
    pub body: Value,
}

#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error("batch requests are not allowed")]
    Disabled,
    #[error("invalid batch request data")]
    Invalid(Value),
    #[error("batch request {0} failed")]
    Failed(usize, RecordError),
    #[error("the batch took longer than its timeout")]
    Timeout,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<crate::store::StoreError> for BatchError {
    fn from(e: crate::store::StoreError) -> Self {
        Self::Internal(anyhow::Error::new(e))
    }
}

/// Parses a batch body: `{"requests": [{method, url, headers?, body?}]}`.
pub fn parse(value: &Value) -> Result<Vec<BatchRequest>, BatchError> {
    let invalid = |m: &str| BatchError::Invalid(json!({"requests": {"code": "validation_invalid", "message": m}}));
    let Some(list) = value.get("requests").and_then(Value::as_array) else {
        return Err(BatchError::Invalid(
            json!({"requests": {"code": "validation_required", "message": "Cannot be blank."}}),
        ));
    };
    list.iter()
        .map(|r| {
            let method =
                r.get("method").and_then(Value::as_str).ok_or_else(|| invalid("Every request needs a method."))?;
            let url = r.get("url").and_then(Value::as_str).ok_or_else(|| invalid("Every request needs a url."))?;
            Ok(BatchRequest {
                method: method.to_ascii_uppercase(),
                url: url.to_owned(),
                body: r.get("body").and_then(Value::as_object).cloned().unwrap_or_default(),
                headers: r.get("headers").and_then(Value::as_object).cloned().unwrap_or_default(),
                uploads: Vec::new(),
            })
        })
        .collect()
}

pub async fn run(
    state: &Records,
    requests: Vec<BatchRequest>,
    req: &RequestInfo,
) -> Result<Vec<BatchResponse>, BatchError> {
    let mut stored = Vec::new();
    let result = run_stored(state, requests, req, &mut stored).await;
    if result.is_err() {
        super::write::discard_uploads(state, &stored).await;
    }
    result
}

async fn run_stored(
    state: &Records,
    requests: Vec<BatchRequest>,
    req: &RequestInfo,
    stored: &mut Vec<String>,
) -> Result<Vec<BatchResponse>, BatchError> {
    let settings = state.settings.load().await.map_err(|e| BatchError::Internal(anyhow::anyhow!("{e}")))?;
    if !settings.batch.enabled {
        return Err(BatchError::Disabled);
    }
    if requests.is_empty() {
        return Err(BatchError::Invalid(
            json!({"requests": {"code": "validation_required", "message": "Cannot be blank."}}),
        ));
    }
    let max = usize::try_from(settings.batch.max_requests).unwrap_or(0);
    if max > 0 && requests.len() > max {
        return Err(BatchError::Invalid(
            json!({"requests": {"code": "validation_length_too_long", "message": format!("The length must be no more than {max}.")}}),
        ));
    }
    let _schema = state.schema.reading().await;
    let timeout = Duration::from_secs(u64::try_from(settings.batch.timeout).unwrap_or(3).max(1));
    tokio::time::timeout(timeout, run_all(state, requests, req, stored)).await.map_err(|_| BatchError::Timeout)?
}

async fn run_all(
    state: &Records,
    requests: Vec<BatchRequest>,
    req: &RequestInfo,
    stored: &mut Vec<String>,
) -> Result<Vec<BatchResponse>, BatchError> {
    let tx = state.store.begin().await?;
    let mut pending: Vec<(String, String)> = Vec::new();
    let mut out = Vec::with_capacity(requests.len());
    let mut events = Vec::new();
    let mut frees_blobs = false;
    for (i, r) in requests.into_iter().enumerate() {
        let info = request_info(req, &r);
        let (response, plan, prepared) =
            one(state, tx.as_ref(), r, &info, &mut pending, stored).await.map_err(|e| BatchError::Failed(i, e))?;
        frees_blobs |= plan.frees_blobs;
        out.push(response);
        events.push((plan, prepared));
    }
    tx.commit().await?;
    if frees_blobs {
        super::cleanup::kick(state);
    }
    // Subscribers hear about the batch only once it committed, in request order.
    for (plan, prepared) in events {
        plan.publish(state, prepared);
    }
    Ok(out)
}

fn request_info(req: &RequestInfo, r: &BatchRequest) -> RequestInfo {
    let mut info = req.clone();
    info.context = "batch".into();
    info.method = r.method.clone();
    info.query =
        r.url.split_once('?').map(|(_, q)| crate::query_string::pairs(q).into_iter().collect()).unwrap_or_default();
    for (k, v) in &r.headers {
        info.headers.insert(k.to_ascii_lowercase().replace('-', "_"), v.as_str().unwrap_or_default().to_owned());
    }
    info
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

async fn one(
    state: &Records,
    db: &dyn RecordStore,
    r: BatchRequest,
    info: &RequestInfo,
    pending: &mut Vec<(String, String)>,
    stored: &mut Vec<String>,
) -> Result<(BatchResponse, super::Plan, crate::realtime::Prepared), RecordError> {
    let unsupported = || RecordError::BadRequest {
        message: "Something went wrong while processing your request.".into(),
        data: json!({}),
    };
    let (coll, id) = target(&r.url).ok_or_else(unsupported)?;
    let input = super::write::Input { body: r.body, uploads: r.uploads };
    let plan = match (r.method.as_str(), id) {
        ("POST", None) => plan_create(state, db, &coll, input, info, pending).await?,
        ("PATCH", Some(id)) => plan_update(state, db, &coll, &id, input, info, pending).await?,
        ("DELETE", Some(id)) => plan_delete(state, db, &coll, &id, info).await?,
        ("PUT", None) => {
            let existing = match input.body.get("id").and_then(Value::as_str) {
                Some(id) if exists(state, db, &coll, id).await? => Some(id.to_owned()),
                _ => None,
            };
            match existing {
                Some(id) => plan_update(state, db, &coll, &id, input, info, pending).await?,
                None => plan_create(state, db, &coll, input, info, pending).await?,
            }
        }
        _ => return Err(unsupported()),
    };
    let prepared = plan.prepare_events(state).await;
    stored.extend(plan.store_uploads(state, db).await?);
    db.execute(plan.statements.clone()).await.map_err(|e| plan.failure(e))?;
    if plan.kind == WriteKind::Create {
        pending.push((plan.coll.id.clone(), plan.id.clone()));
    }
    let body = plan.result(state, db, info).await?;
    let status = if plan.kind == WriteKind::Delete { 204 } else { 200 };
    Ok((BatchResponse { status, body: body.unwrap_or(Value::Null) }, plan, prepared))
}

async fn exists(state: &Records, db: &dyn RecordStore, coll: &str, id: &str) -> Result<bool, RecordError> {
    let schema = state.schema.snapshot();
    let c = super::collection(&schema, coll)?;
    let mut sql = SqlBuilder::new(db.dialect());
    let id = sql.param(SqlValue::Text(id.to_owned()));
    let q =
        SqlQuery { sql: format!("SELECT 1 FROM {} WHERE {} = {id}", ident(&c.name), ident("id")), params: sql.params };
    Ok(!db.query(q).await?.is_empty())
}
