//! Batches: record creates, updates, upserts and deletes in one transaction. Each operation
//! sees the writes of the ones before it; any failure rolls everything back. `http/batch.rs`
//! turns PocketBase's sub-requests into [`BatchOp`]s.

use std::time::Duration;

use serde_json::Value;

use super::Records;
use super::{RecordError, WriteKind, plan_create, plan_delete, plan_update};
use crate::error::{FieldErrors, code};
use crate::filter::RequestInfo;
use crate::sql::{SqlBuilder, SqlQuery, SqlValue, ident};
use crate::store::RecordStore;

/// One operation of a batch, as `http/` parsed it from a sub-request.
#[derive(Debug)]
pub struct BatchOp {
    pub action: BatchAction,
    /// The collection (id or name).
    pub collection: String,
    pub input: super::write::Input,
    /// The caller as rules see this operation (its method, query and headers).
    pub info: RequestInfo,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchAction {
    Create,
    Update(String),
    Delete(String),
    /// Update the record named by `body.id` if it exists, else create it.
    Upsert,
    /// Anything else: the operation fails (and the batch with it) when its turn comes.
    Unsupported,
}

/// What one operation did: the record it wrote (`None` for a delete).
#[derive(Debug, Clone)]
pub struct BatchOutcome {
    pub kind: WriteKind,
    pub record: Option<Value>,
}

#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error("batch requests are not allowed")]
    Disabled,
    #[error("invalid batch request data")]
    Invalid(FieldErrors),
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

pub async fn run(state: &Records, requests: Vec<BatchOp>) -> Result<Vec<BatchOutcome>, BatchError> {
    let mut stored = Vec::new();
    let result = run_stored(state, requests, &mut stored).await;
    if result.is_err() {
        super::write::discard_uploads(state, &stored).await;
    }
    result
}

async fn run_stored(
    state: &Records,
    requests: Vec<BatchOp>,
    stored: &mut Vec<String>,
) -> Result<Vec<BatchOutcome>, BatchError> {
    let settings = state
        .settings
        .load()
        .await
        .map_err(|e| BatchError::Internal(anyhow::Error::new(e).context("cannot read the settings")))?;
    if !settings.batch.enabled {
        return Err(BatchError::Disabled);
    }
    if requests.is_empty() {
        return Err(BatchError::Invalid(FieldErrors::single("requests", code::REQUIRED, "Cannot be blank.")));
    }
    let max = usize::try_from(settings.batch.max_requests).unwrap_or(0);
    if max > 0 && requests.len() > max {
        return Err(BatchError::Invalid(FieldErrors::single(
            "requests",
            code::LENGTH_TOO_LONG,
            format!("The length must be no more than {max}."),
        )));
    }
    let _schema = state.schema.reading().await;
    let timeout = Duration::from_secs(u64::try_from(settings.batch.timeout).unwrap_or(3).max(1));
    tokio::time::timeout(timeout, run_all(state, requests, stored)).await.map_err(|_| BatchError::Timeout)?
}

async fn run_all(
    state: &Records,
    requests: Vec<BatchOp>,
    stored: &mut Vec<String>,
) -> Result<Vec<BatchOutcome>, BatchError> {
    let tx = state.store.begin().await?;
    let mut pending: Vec<(String, String)> = Vec::new();
    let mut out = Vec::with_capacity(requests.len());
    let mut events = Vec::new();
    let mut frees_blobs = false;
    for (i, op) in requests.into_iter().enumerate() {
        let (response, plan, prepared) =
            one(state, tx.as_ref(), op, &mut pending, stored).await.map_err(|e| BatchError::Failed(i, e))?;
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

async fn one(
    state: &Records,
    db: &dyn RecordStore,
    op: BatchOp,
    pending: &mut Vec<(String, String)>,
    stored: &mut Vec<String>,
) -> Result<(BatchOutcome, super::Plan, crate::realtime::Prepared), RecordError> {
    let (coll, input, info) = (op.collection, op.input, &op.info);
    let plan = match op.action {
        BatchAction::Create => plan_create(state, db, &coll, input, info, pending).await?,
        BatchAction::Update(id) => plan_update(state, db, &coll, &id, input, info, pending).await?,
        BatchAction::Delete(id) => plan_delete(state, db, &coll, &id, info).await?,
        BatchAction::Upsert => {
            let existing = match input.body.get("id").and_then(Value::as_str) {
                Some(id) if exists(state, db, &coll, id).await? => Some(id.to_owned()),
                _ => None,
            };
            match existing {
                Some(id) => plan_update(state, db, &coll, &id, input, info, pending).await?,
                None => plan_create(state, db, &coll, input, info, pending).await?,
            }
        }
        BatchAction::Unsupported => {
            return Err(RecordError::BadRequest {
                message: "Something went wrong while processing your request.".into(),
                data: FieldErrors::default(),
            });
        }
    };
    let prepared = plan.prepare_events(state).await;
    stored.extend(plan.store_uploads(state, db).await?);
    db.execute(plan.statements.clone()).await.map_err(|e| plan.failure(e))?;
    if plan.kind == WriteKind::Create {
        pending.push((plan.coll.id.clone(), plan.id.clone()));
    }
    let record = plan.result(state, db, info).await?;
    Ok((BatchOutcome { kind: plan.kind, record }, plan, prepared))
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
