//! Create, update and delete: validation, rules checked inside the write transaction,
//! relation cleanup on delete.

use serde_json::{Map, Value};

use super::Records;
use super::values;
use super::{MAIN, RecordError, fetch_rows};
use crate::error::{FieldError, FieldErrors, code};
use crate::filter::{self, RequestInfo};
use crate::schema::{Collection, CollectionKind, Field, FieldKind, Schema};
use std::sync::Arc;

use super::cleanup;
use crate::files::Upload;
use crate::sql::{Row, SqlBuilder, SqlQuery, SqlValue, Statement, ident, statements};
use crate::store::{RecordStore, StoreError};

const FAILED_CREATE: &str = "Failed to create record.";
const FAILED_UPDATE: &str = "Failed to update record.";

/// The collection to write to: not a view, and its rule not locked for this caller.
fn writable(
    schema: &Schema,
    key: &str,
    action: &str,
    rule: impl Fn(&crate::schema::Rules) -> &Option<String>,
    req: &RequestInfo,
) -> Result<Arc<Collection>, RecordError> {
    let coll = super::granted(schema, key, action, req)?;
    read_only(&coll)?;
    super::unlocked(rule(&coll.rules).as_ref(), req)?;
    Ok(coll)
}

fn read_only(coll: &Collection) -> Result<(), RecordError> {
    if coll.kind == CollectionKind::View {
        return Err(RecordError::bad("View collections are read-only.", FieldErrors::default()));
    }
    Ok(())
}

/// What a write will do: its statements (run in one transaction) and how to report failures.
#[derive(Debug)]
pub struct Plan {
    pub coll: Arc<Collection>,
    pub id: String,
    pub kind: WriteKind,
    pub statements: Vec<Statement>,
    /// A create knows every column it writes: the answer needs no read back.
    inserted: Option<Vec<SqlValue>>,
    /// Uploaded files the record will reference: stored before the transaction runs.
    pub uploads: Vec<Upload>,
    /// The transaction queues blobs for deletion: the cleanup worker has work after it.
    pub frees_blobs: bool,
    /// The caller manages this auth record (manageRule): the answer shows its email.
    manager: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteKind {
    Create,
    Update,
    Delete,
}

/// A write's submitted data: the body's values and the uploaded files.
#[derive(Debug, Default)]
pub struct Input {
    pub body: Map<String, Value>,
    pub uploads: Vec<Upload>,
}

/// Records created earlier in the same batch, which relation checks must count as existing.
pub type Pending = [(String, String)];

impl Plan {
    /// The caller-facing error for a failed transaction.
    pub fn failure(&self, err: StoreError) -> RecordError {
        let message = if self.kind == WriteKind::Create { FAILED_CREATE } else { FAILED_UPDATE };
        match err {
            StoreError::Precondition(_) if self.kind == WriteKind::Create => {
                RecordError::bad(FAILED_CREATE, FieldErrors::default())
            }
            StoreError::Precondition(_) => RecordError::NotFound,
            StoreError::Conflict { columns, .. } => RecordError::bad(message, unique_error(&columns)),
            e => e.into(),
        }
    }

    /// The blob keys of the uploads.
    pub fn upload_keys(&self) -> Vec<String> {
        self.uploads.iter().map(|u| crate::files::key(&self.coll.id, &self.id, &u.name)).collect()
    }

    /// Stores the uploads, each queued for deletion first (with a grace period that the
    /// transaction ends by taking it off the queue): whatever fails, no blob is left behind
    /// for long. Returns the keys stored, for [`discard_uploads`] if the transaction fails.
    pub async fn store_uploads(&self, state: &Records, db: &dyn RecordStore) -> Result<Vec<String>, RecordError> {
        let keys = self.upload_keys();
        let Some(queue) = cleanup::queue(db, &keys, cleanup::UPLOAD_GRACE) else { return Ok(keys) };
        db.execute(vec![queue]).await?;
        let blobs = state.files.blobs();
        for (upload, key) in self.uploads.iter().zip(&keys) {
            if let Err(e) = blobs.put_file(key, upload.temp.path()).await {
                discard_uploads(state, &keys).await;
                return Err(RecordError::Internal(e.context("cannot store an uploaded file")));
            }
        }
        Ok(keys)
    }

    /// Realtime delete messages, built before the delete runs.
    pub async fn prepare_events(&self, state: &Records) -> crate::realtime::Prepared {
        if self.kind == WriteKind::Delete {
            super::events::prepare_delete(state, &self.coll, &self.id).await
        } else {
            Vec::new()
        }
    }

    /// Tells realtime subscribers about the committed change.
    pub fn publish(&self, state: &Records, prepared: crate::realtime::Prepared) {
        let action = match self.kind {
            WriteKind::Create => "create",
            WriteKind::Update => "update",
            WriteKind::Delete => return super::events::send_prepared(state, prepared),
        };
        super::events::publish(
            state,
            crate::realtime::RecordEvent { collection: self.coll.clone(), id: self.id.clone(), action },
        );
    }

    /// The record after the transaction committed, as the caller may see it.
    pub async fn result(
        &self,
        state: &Records,
        db: &dyn RecordStore,
        req: &RequestInfo,
    ) -> Result<Option<Value>, RecordError> {
        if self.kind == WriteKind::Delete {
            return Ok(None);
        }
        if let Some(row) = &self.inserted {
            return Ok(Some(super::export(&self.coll, row, req)));
        }
        // Read as a superuser (the caller's rules already passed), shown as the caller may see it.
        let internal = RequestInfo::superuser();
        let schema = state.schema.snapshot();
        let rows = fetch_rows(db, &schema, &self.coll, std::slice::from_ref(&self.id), Some(""), &internal).await?;
        let row = rows.first().ok_or(RecordError::NotFound)?;
        let mut out = super::export(&self.coll, row, req);
        if self.manager
            && let (Some(i), Some(map)) = (self.coll.fields.iter().position(|f| f.name == "email"), out.as_object_mut())
            && let Some(SqlValue::Text(email)) = row.get(i)
        {
            map.insert("email".into(), Value::String(email.clone()));
        }
        Ok(Some(out))
    }
}

/// Deletes uploads stored for a transaction that failed (best effort: they stay queued).
pub async fn discard_uploads(state: &Records, keys: &[String]) {
    let blobs = state.files.blobs();
    for key in keys {
        if let Err(e) = blobs.delete(key).await {
            tracing::warn!(key, error = %format!("{e:#}"), "cannot delete an unused upload; the cleanup job will");
        }
    }
}

pub async fn create(
    state: &Records,
    key: &str,
    body: Map<String, Value>,
    uploads: Vec<Upload>,
    req: &RequestInfo,
) -> Result<Value, RecordError> {
    let _schema = state.schema.reading().await;
    let db = state.store.as_ref();
    let plan = plan_create(state, db, key, Input { body, uploads }, req, &[]).await?;
    run(state, db, &plan, req).await
}

pub async fn update(
    state: &Records,
    key: &str,
    id: &str,
    body: Map<String, Value>,
    uploads: Vec<Upload>,
    req: &RequestInfo,
) -> Result<Value, RecordError> {
    let _schema = state.schema.reading().await;
    let db = state.store.as_ref();
    let plan = plan_update(state, db, key, id, Input { body, uploads }, req, &[]).await?;
    run(state, db, &plan, req).await
}

pub async fn delete(state: &Records, key: &str, id: &str, req: &RequestInfo) -> Result<(), RecordError> {
    let _schema = state.schema.reading().await;
    let db = state.store.as_ref();
    let plan = plan_delete(state, db, key, id, req).await?;
    run(state, db, &plan, req).await.map(|_| ())
}

async fn run(state: &Records, db: &dyn RecordStore, plan: &Plan, req: &RequestInfo) -> Result<Value, RecordError> {
    // Delete events are evaluated while the record still exists and sent after the commit.
    let prepared = plan.prepare_events(state).await;
    let stored = plan.store_uploads(state, db).await?;
    if let Err(e) = db.execute(plan.statements.clone()).await {
        discard_uploads(state, &stored).await;
        return Err(plan.failure(e));
    }
    if plan.frees_blobs {
        cleanup::kick(state);
    }
    plan.publish(state, prepared);
    Ok(plan.result(state, db, req).await?.unwrap_or(Value::Null))
}

pub async fn plan_create(
    state: &Records,
    db: &dyn RecordStore,
    key: &str,
    input: Input,
    req: &RequestInfo,
    pending: &Pending,
) -> Result<Plan, RecordError> {
    let Input { body: raw, uploads } = input;
    let schema = state.schema.snapshot();
    let coll = writable(&schema, key, "create", |r| &r.create_rule, req)?;
    let body = values::apply_modifiers(&coll.fields, &raw, &Map::new());
    confirm_password(&coll, &body)?;
    let mut errors = FieldErrors::default();
    let mut row: Vec<(String, SqlValue)> = Vec::new();
    let now = crate::dates::now();
    let id = match body.get("id").and_then(Value::as_str).filter(|s| !s.is_empty()) {
        Some(id) => {
            if let Some(f) = coll.field("id") {
                check_id(f, id, &mut errors);
            }
            id.to_owned()
        }
        None => crate::ids::record_id(),
    };
    for field in &coll.fields {
        let value = match field.name.as_str() {
            "id" => SqlValue::Text(id.clone()),
            _ => match new_value(field, &body, &now, &mut errors).await? {
                Some(v) => v,
                None => continue,
            },
        };
        row.push((field.name.clone(), value));
    }
    let files = super::files::resolve(&coll, &raw, &body, uploads, None, &mut errors);
    row.extend(files.columns);
    if coll.is_auth() {
        if !req.is_superuser() && body.get("verified").is_some_and(values::normalize_bool) {
            errors.set("verified", FieldError::new("validation_values_mismatch", "Values don't match."));
        }
        auth_password(&coll, &body, None, req.is_superuser(), &mut errors, &mut row).await?;
    }
    check_relations(db, &schema, &coll, &body, &mut errors, pending).await?;
    if !errors.is_empty() {
        return Err(RecordError::bad(FAILED_CREATE, errors));
    }
    let mut statements = vec![statements::insert(db.dialect(), &coll.name, &row).must_affect()];
    let upload_keys: Vec<String> = files.store.iter().map(|u| crate::files::key(&coll.id, &id, &u.name)).collect();
    statements.extend(crate::store::system::confirm_blobs(db, &upload_keys));
    let rule_req = with_body(req, &body, "POST");
    match rule_gate(db, &schema, &coll, &id, coll.rules.create_rule.as_deref(), &rule_req).await? {
        Gate::Pass => {}
        Gate::Check(check) => statements.push(check),
        Gate::Deny => return Err(RecordError::bad(FAILED_CREATE, FieldErrors::default())),
    }
    let inserted = coll
        .fields
        .iter()
        .map(|f| row.iter().find(|(c, _)| *c == f.name).map_or_else(|| column_default(f), |(_, v)| v.clone()))
        .collect();
    Ok(Plan {
        coll,
        id,
        kind: WriteKind::Create,
        statements,
        inserted: Some(inserted),
        uploads: files.store,
        frees_blobs: false,
        manager: false,
    })
}

pub async fn plan_update(
    state: &Records,
    db: &dyn RecordStore,
    key: &str,
    id: &str,
    input: Input,
    req: &RequestInfo,
    pending: &Pending,
) -> Result<Plan, RecordError> {
    let Input { body: raw, uploads } = input;
    let schema = state.schema.snapshot();
    let coll = writable(&schema, key, "update", |r| &r.update_rule, req)?;
    let internal = RequestInfo::superuser();
    let current = fetch_rows(db, &schema, &coll, &[id.to_owned()], Some(""), &internal).await?;
    let Some(current) = current.first() else { return Err(RecordError::NotFound) };
    let current_json = super::export(&coll, current, &internal);
    let current_map = current_json.as_object().cloned().unwrap_or_default();
    let body = values::apply_modifiers(&coll.fields, &raw, &current_map);
    confirm_password(&coll, &body)?;
    let mut errors = FieldErrors::default();
    let manager = coll.is_auth() && manages(db, &schema, &coll, id, req).await?;
    if coll.is_auth() && !manager {
        unmanaged_changes(&body, &current_map, &mut errors);
    }
    let mut row: Vec<(String, SqlValue)> = Vec::new();
    let now = crate::dates::now();
    for field in &coll.fields {
        if field.name == "id" || field.name == "password" || field.name == "tokenKey" {
            continue;
        }
        if let FieldKind::Autodate(o) = &field.kind {
            if o.on_update {
                row.push((field.name.clone(), SqlValue::Text(now.clone())));
            }
            continue;
        }
        if !body.contains_key(&field.name)
            || (coll.is_auth() && !manager && matches!(field.name.as_str(), "verified" | "email"))
        {
            continue;
        }
        if let Some(v) = new_value(field, &body, &now, &mut errors).await? {
            row.push((field.name.clone(), v));
        }
    }
    let files = super::files::resolve(&coll, &raw, &body, uploads, Some(&current_map), &mut errors);
    row.extend(files.columns);
    if coll.is_auth() {
        auth_password(&coll, &body, Some(current), manager, &mut errors, &mut row).await?;
    }
    check_relations(db, &schema, &coll, &body, &mut errors, pending).await?;
    if !errors.is_empty() {
        return Err(RecordError::bad(FAILED_UPDATE, errors));
    }
    let rule_req = with_body(req, &body, "PATCH");
    let mut statements = Vec::new();
    match rule_gate(db, &schema, &coll, id, coll.rules.update_rule.as_deref(), &rule_req).await? {
        Gate::Pass => {}
        Gate::Check(check) => statements.push(check),
        Gate::Deny => return Err(RecordError::NotFound),
    }
    if !row.is_empty() {
        let by_id = [("id", SqlValue::from(id))];
        statements.push(statements::update(db.dialect(), &coll.name, &row, &by_id).must_affect());
    }
    let removed: Vec<String> = files.removed.iter().map(|n| crate::files::key(&coll.id, id, n)).collect();
    let upload_keys: Vec<String> = files.store.iter().map(|u| crate::files::key(&coll.id, id, &u.name)).collect();
    statements.extend(crate::store::system::confirm_blobs(db, &upload_keys));
    statements.extend(cleanup::queue(db, &removed, std::time::Duration::ZERO));
    Ok(Plan {
        coll,
        id: id.to_owned(),
        kind: WriteKind::Update,
        statements,
        inserted: None,
        uploads: files.store,
        frees_blobs: !removed.is_empty(),
        manager,
    })
}

pub async fn plan_delete(
    state: &Records,
    db: &dyn RecordStore,
    key: &str,
    id: &str,
    req: &RequestInfo,
) -> Result<Plan, RecordError> {
    let schema = state.schema.snapshot();
    let coll = writable(&schema, key, "delete", |r| &r.delete_rule, req)?;
    let mut statements = Vec::new();
    match rule_gate(db, &schema, &coll, id, coll.rules.delete_rule.as_deref(), req).await? {
        Gate::Pass => {}
        Gate::Check(check) => statements.push(check),
        Gate::Deny => return Err(RecordError::NotFound),
    }
    statements.extend(super::cascade::reference_cleanup(db, &schema, &coll, id).await?);
    // The record's folder: every file and thumbnail it had (checked against references first).
    statements.extend(cleanup::queue(db, &[format!("{}/{id}", coll.id)], std::time::Duration::ZERO));
    statements.push(statements::delete(db.dialect(), &coll.name, &[("id", id.into())]).must_affect());
    Ok(Plan {
        coll,
        id: id.to_owned(),
        kind: WriteKind::Delete,
        statements,
        inserted: None,
        uploads: Vec::new(),
        frees_blobs: true,
        manager: false,
    })
}

/// What the column holds when an insert leaves it out (the table's DEFAULT).
fn column_default(f: &Field) -> SqlValue {
    match &f.kind {
        _ if f.is_multiple() => SqlValue::Text("[]".into()),
        FieldKind::Number(_) | FieldKind::Bool(_) => SqlValue::Int(0),
        FieldKind::Json(_) => SqlValue::Null,
        FieldKind::GeoPoint(_) => SqlValue::Text(r#"{"lon":0,"lat":0}"#.into()),
        _ => SqlValue::Text(String::new()),
    }
}

fn with_body(req: &RequestInfo, body: &Map<String, Value>, method: &str) -> RequestInfo {
    let mut r = req.clone();
    r.body = body.clone();
    if r.method.is_empty() {
        r.method = method.to_owned();
    }
    r
}

/// How a rule is enforced for one write.
enum Gate {
    Pass,
    /// The rule depends on the record: checked inside the write transaction.
    Check(Statement),
    /// The rule is false whatever the record (e.g. `@request.auth.id != ''` for a guest).
    Deny,
}

/// Evaluates `rule` up front when it depends on request values only; otherwise returns a no-op
/// UPDATE that matches only if the rule passes and so rolls the transaction back when it fails.
async fn rule_gate(
    db: &dyn RecordStore,
    schema: &Schema,
    coll: &Collection,
    id: &str,
    rule: Option<&str>,
    req: &RequestInfo,
) -> Result<Gate, RecordError> {
    if req.is_superuser() || rule.is_some_and(|r| r.trim().is_empty()) {
        return Ok(Gate::Pass);
    }
    let Some(rule) = rule else { return Ok(Gate::Deny) };
    let mut sql = SqlBuilder::new(db.dialect());
    let compiled = filter::compile(&mut sql, schema, coll, MAIN, rule, req)?;
    if compiled.constant {
        let q = SqlQuery { sql: compiled.where_sql, params: sql.params };
        return Ok(if db.evaluate(q).await? { Gate::Pass } else { Gate::Deny });
    }
    let mut sql = SqlBuilder::new(db.dialect());
    let id_param = sql.param(SqlValue::Text(id.to_owned()));
    let main_id = sql.column(MAIN, "id");
    let check = filter::rule_check(&mut sql, schema, coll, &main_id, Some(rule), req)?;
    let (table, id) = (ident(&coll.name), ident("id"));
    let text = format!(
        "UPDATE {table} SET {id} = {id} WHERE {id} IN (SELECT {main_id} FROM {table} {MAIN} WHERE {main_id} = {id_param} AND {check})"
    );
    Ok(Gate::Check(Statement::new(SqlQuery { sql: text, params: sql.params }).must_affect()))
}

/// The value to store for `field` on create; `None` leaves the column default.
async fn new_value(
    field: &Field,
    body: &Map<String, Value>,
    now: &str,
    errors: &mut FieldErrors,
) -> Result<Option<SqlValue>, RecordError> {
    match &field.kind {
        FieldKind::Autodate(o) => return Ok(o.on_create.then(|| SqlValue::Text(now.to_owned()))),
        FieldKind::Password(_) => return Ok(None),
        FieldKind::File(_) => return Ok(None),
        _ => {}
    }
    if field.name == "tokenKey" {
        return Ok(Some(SqlValue::Text(crate::ids::secret_key())));
    }
    let raw = body.get(&field.name).cloned().unwrap_or(Value::Null);
    let value = if raw.is_null() && !body.contains_key(&field.name) {
        field.zero_value()
    } else {
        values::normalize(field, &raw)
    };
    if let Err(e) = values::validate(field, &value) {
        errors.set(&field.name, e);
        return Ok(None);
    }
    Ok(Some(values::to_sql(field, &value)))
}

fn check_id(field: &Field, id: &str, errors: &mut FieldErrors) {
    let FieldKind::Text(o) = &field.kind else { return };
    let len = id.chars().count() as i64;
    if o.min > 0 && len < o.min {
        errors.set("id", values::min_text(o.min));
    } else if o.max > 0 && len > o.max {
        errors.set("id", values::max_text(o.max));
    } else if !id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()) {
        errors.set("id", FieldError::new("validation_invalid_format", "Invalid value format."));
    }
}

/// Whether the caller may manage this auth record: a superuser, or one the collection's
/// `manageRule` lets through (change its email, verified state or password without the old one).
async fn manages(
    db: &dyn RecordStore,
    schema: &Schema,
    coll: &Collection,
    id: &str,
    req: &RequestInfo,
) -> Result<bool, RecordError> {
    if req.is_superuser() {
        return Ok(true);
    }
    let Some(rule) = coll.options.get("manageRule").and_then(Value::as_str) else { return Ok(false) };
    Ok(!fetch_rows(db, schema, coll, &[id.to_owned()], Some(rule), req).await?.is_empty())
}

/// Without manage access, `email` and `verified` may be sent but not changed (PocketBase:
/// `validation_values_mismatch`).
fn unmanaged_changes(body: &Map<String, Value>, current: &Map<String, Value>, errors: &mut FieldErrors) {
    let mismatch = || FieldError::new("validation_values_mismatch", "Values don't match.");
    if let Some(email) = body.get("email").and_then(Value::as_str)
        && Some(email) != current.get("email").and_then(Value::as_str)
    {
        errors.set("email", mismatch());
    }
    if let Some(v) = body.get("verified")
        && Some(values::normalize_bool(v)) != current.get("verified").and_then(Value::as_bool)
    {
        errors.set("verified", mismatch());
    }
}

/// PocketBase checks `passwordConfirm` before anything else and reports it alone.
fn confirm_password(coll: &Collection, body: &Map<String, Value>) -> Result<(), RecordError> {
    if !coll.is_auth() || !(body.contains_key("password") || body.contains_key("passwordConfirm")) {
        return Ok(());
    }
    if body.get("password") != body.get("passwordConfirm") {
        let data = FieldErrors::single("passwordConfirm", code::VALUES_MISMATCH, "Values don't match.");
        return Err(RecordError::bad("Failed to validate the submitted data.", data));
    }
    Ok(())
}

/// `password`/`passwordConfirm` of auth records: required on create, hashed, new tokenKey.
async fn auth_password(
    coll: &Collection,
    body: &Map<String, Value>,
    current: Option<&Row>,
    manager: bool,
    errors: &mut FieldErrors,
    row: &mut Vec<(String, SqlValue)>,
) -> Result<(), RecordError> {
    let password = body.get("password").and_then(Value::as_str).unwrap_or_default();
    let confirm = body.get("passwordConfirm").and_then(Value::as_str).unwrap_or_default();
    if current.is_some() && !body.contains_key("password") {
        return Ok(());
    }
    let min = match coll.field("password").map(|f| &f.kind) {
        Some(FieldKind::Password(o)) if o.min > 0 => o.min as usize,
        _ => 8,
    };
    if password.is_empty() {
        errors.set("password", FieldError::new("validation_required", "Cannot be blank."));
    } else if password.chars().count() < min || password.len() > 71 {
        errors.set(
            "password",
            FieldError::new(code::LENGTH_OUT_OF_RANGE, format!("The length must be between {min} and 71."))
                .with("min", min)
                .with("max", 71i64),
        );
    }
    if confirm != password {
        errors.set("passwordConfirm", FieldError::new("validation_values_mismatch", "Values don't match."));
    }
    if let Some(current) = current
        && !manager
    {
        let hash_idx = coll.fields.iter().position(|f| f.name == "password");
        let hash = hash_idx.and_then(|i| match current.get(i) {
            Some(SqlValue::Text(h)) => Some(h.clone()),
            _ => None,
        });
        let old = body.get("oldPassword").and_then(Value::as_str).unwrap_or_default();
        if old.is_empty() {
            errors.set("oldPassword", FieldError::new("validation_required", "Cannot be blank."));
        } else if !crate::password::verify_password(old, hash.as_deref()).await {
            errors.set(
                "oldPassword",
                FieldError::new("validation_invalid_old_password", "Missing or invalid old password."),
            );
        }
    }
    if errors.contains("password") || errors.contains("passwordConfirm") || errors.contains("oldPassword") {
        return Ok(());
    }
    let hash = crate::password::hash_password(password).await?;
    row.retain(|(c, _)| c != "password" && c != "tokenKey");
    row.push(("password".into(), SqlValue::Text(hash)));
    row.push(("tokenKey".into(), SqlValue::Text(crate::ids::secret_key())));
    Ok(())
}

/// Every submitted relation id must exist in the related collection.
async fn check_relations(
    db: &dyn RecordStore,
    schema: &Schema,
    coll: &Collection,
    body: &Map<String, Value>,
    errors: &mut FieldErrors,
    pending: &Pending,
) -> Result<(), RecordError> {
    for field in &coll.fields {
        let FieldKind::Relation(o) = &field.kind else { continue };
        let Some(raw) = body.get(&field.name) else { continue };
        if errors.contains(&field.name) {
            continue;
        }
        let ids: Vec<String> = match values::normalize(field, raw) {
            Value::Array(items) => items.into_iter().filter_map(|v| v.as_str().map(str::to_owned)).collect(),
            Value::String(s) if !s.is_empty() => vec![s],
            _ => Vec::new(),
        };
        if ids.is_empty() {
            continue;
        }
        let Some(target) = schema.by_id(&o.collection_id) else { continue };
        let mut sql = SqlBuilder::new(db.dialect());
        let list = ids.iter().map(|id| sql.param(SqlValue::Text(id.clone()))).collect::<Vec<_>>().join(", ");
        let q = format!("SELECT COUNT(*) FROM {} WHERE \"id\" IN ({list})", ident(&target.name));
        let found = db.lookup(SqlQuery { sql: q, params: sql.params }).await?;
        let n = match found.first().and_then(|r| r.first()) {
            Some(SqlValue::Int(n)) => *n as usize,
            _ => 0,
        };
        let pending_here = ids.iter().filter(|id| pending.iter().any(|(c, p)| c == &target.id && p == *id)).count();
        if n + pending_here < ids.len() {
            errors.set(
                &field.name,
                FieldError::new(
                    "validation_missing_rel_records",
                    "Failed to find all relation records with the provided ids.",
                ),
            );
        }
    }
    Ok(())
}

/// The columns of a failed unique constraint -> `{"email": validation_not_unique}` (`id` when
/// the constraint is on an expression).
fn unique_error(columns: &[String]) -> FieldErrors {
    let unique = || FieldError::new("validation_not_unique", "Value must be unique.");
    let mut data = FieldErrors::default();
    for column in columns {
        data.set(column, unique());
    }
    if data.is_empty() {
        data.set("id", unique());
    }
    data
}
