//! Collection administration: create, update, delete, truncate, import. Each change is
//! validated against the whole schema, applied in one transaction, and then published as a
//! new schema snapshot.

use serde_json::{Value, json};

use crate::error::{FieldError, FieldErrors, code};
use crate::records::Records;
use crate::schema::{Collection, SchemaError, validate_collection};
use crate::store::{SchemaChange, StoreError};

fn store_error(e: StoreError) -> SchemaError {
    match e {
        StoreError::Conflict { table, columns } => {
            let which: Vec<String> = columns.iter().map(|c| format!("{table}.{c}")).collect();
            let message = if which.is_empty() {
                "Value must be unique.".to_owned()
            } else {
                format!("Value must be unique ({}).", which.join(", "))
            };
            SchemaError::Invalid(FieldErrors::single("name", code::VALUE_MUST_BE_UNIQUE, message))
        }
        StoreError::Other(err) => {
            // DDL errors (bad index, bad view query, impossible type change) are the caller's to fix.
            SchemaError::Invalid(FieldErrors::single("fields", "validation_invalid_schema", format!("{err:#}")))
        }
        e @ (StoreError::Precondition(_) | StoreError::NotFound | StoreError::Busy) => {
            SchemaError::Internal(anyhow::Error::new(e))
        }
    }
}

pub async fn create(state: &Records, mut new: Collection) -> Result<Collection, SchemaError> {
    let _schema = state.schema.writing().await;
    let schema = state.schema.snapshot();
    infer_view_fields(state, &mut new, &schema).await?;
    let checked = validate_collection(&mut new, None, &schema);
    with_rule_errors(checked, &new, &schema)?;
    let now = crate::dates::now();
    new.created.clone_from(&now);
    new.updated = now;
    if new.is_auth() {
        ensure_auth_options(&mut new);
    }
    state.store.apply_changes(vec![SchemaChange::Create(new.clone())]).await.map_err(store_error)?;
    state.reload_schema().await?;
    Ok(new)
}

pub async fn update(state: &Records, key: &str, patch: Value) -> Result<Collection, SchemaError> {
    let _schema = state.schema.writing().await;
    let schema = state.schema.snapshot();
    let old = schema.get(key).ok_or(SchemaError::NotFound)?.as_ref().clone();
    let mut merged = serde_json::to_value(&old).map_err(anyhow::Error::from)?;
    if let (Some(m), Some(p)) = (merged.as_object_mut(), patch.as_object()) {
        for (k, v) in p {
            m.insert(k.clone(), v.clone());
        }
    }
    let mut new: Collection = serde_json::from_value(merged)
        .map_err(|e| SchemaError::Invalid(FieldErrors::single("fields", code::INVALID, e.to_string())))?;
    infer_view_fields(state, &mut new, &schema).await?;
    let checked = validate_collection(&mut new, Some(&old), &schema);
    with_rule_errors(checked, &new, &schema)?;
    new.created.clone_from(&old.created);
    new.updated = crate::dates::now();
    if new.is_auth() {
        keep_secrets(&old, &mut new);
    }
    state.store.apply_changes(vec![SchemaChange::Update(old, new.clone())]).await.map_err(store_error)?;
    state.reload_schema().await?;
    Ok(new)
}

pub async fn delete(state: &Records, key: &str) -> Result<(), SchemaError> {
    let _schema = state.schema.writing().await;
    let schema = state.schema.snapshot();
    let coll = schema.get(key).ok_or(SchemaError::NotFound)?;
    if coll.system {
        let system =
            FieldErrors::single("system", "validation_system_collection", "System collections cannot be deleted.");
        return Err(SchemaError::Invalid(system));
    }
    let referenced_by: Vec<&str> = schema
        .all()
        .iter()
        .filter(|c| c.id != coll.id)
        .filter(|c| {
            c.fields
                .iter()
                .any(|f| matches!(&f.kind, crate::schema::FieldKind::Relation(o) if o.collection_id == coll.id))
        })
        .map(|c| c.name.as_str())
        .collect();
    if !referenced_by.is_empty() {
        return Err(SchemaError::InUse(format!(
            "The collection is referenced by {} and cannot be deleted.",
            referenced_by.join(", ")
        )));
    }
    state.store.apply_changes(vec![SchemaChange::Delete(coll.as_ref().clone())]).await.map_err(store_error)?;
    state.reload_schema().await?;
    crate::records::cleanup::kick(state);
    Ok(())
}

pub async fn truncate(state: &Records, key: &str) -> Result<(), SchemaError> {
    let _schema = state.schema.writing().await;
    let schema = state.schema.snapshot();
    let coll = schema.get(key).ok_or(SchemaError::NotFound)?;
    state.store.truncate_collection(coll).await.map_err(store_error)?;
    crate::records::cleanup::kick(state);
    Ok(())
}

/// Adds the API rules that do not compile against the collection as it will be
/// (`validation_invalid_rule`) to the other validation errors.
fn with_rule_errors(
    checked: Result<(), SchemaError>,
    c: &Collection,
    schema: &crate::schema::Schema,
) -> Result<(), SchemaError> {
    let mut errors = match checked {
        Ok(()) => FieldErrors::default(),
        Err(SchemaError::Invalid(errors)) => errors,
        Err(other) => return Err(other),
    };
    let mut all: Vec<Collection> = schema.all().iter().filter(|x| x.id != c.id).map(|x| x.as_ref().clone()).collect();
    all.push(c.clone());
    let future = crate::schema::Schema::new(all);
    let superuser = crate::filter::RequestInfo::superuser();
    let r = &c.rules;
    for (name, rule) in [
        ("listRule", &r.list_rule),
        ("viewRule", &r.view_rule),
        ("createRule", &r.create_rule),
        ("updateRule", &r.update_rule),
        ("deleteRule", &r.delete_rule),
    ] {
        let Some(rule) = rule.as_deref().filter(|r| !r.trim().is_empty()) else { continue };
        // Only whether the rule compiles matters here, not the SQL: any dialect will do.
        let mut sql = crate::sql::SqlBuilder::new(&crate::sql::SQLITE);
        if let Err(e) = crate::filter::compile(&mut sql, &future, c, crate::records::MAIN, rule, &superuser) {
            errors.set(name, FieldError::new("validation_invalid_rule", format!("Invalid rule. Raw error: {e}")));
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(SchemaError::Invalid(errors)) }
}

/// A view's fields come from its query, which must be a valid SELECT with an `id` column.
async fn infer_view_fields(
    state: &Records,
    c: &mut Collection,
    schema: &crate::schema::Schema,
) -> Result<(), SchemaError> {
    if c.kind != crate::schema::CollectionKind::View {
        return Ok(());
    }
    let query = c.view_query().unwrap_or_default().trim().trim_end_matches(';').to_owned();
    // An unusable query leaves the view without fields, which PocketBase reports too.
    let invalid = |m: String| {
        let mut errors = FieldErrors::single("fields", code::REQUIRED, "Cannot be blank.");
        errors.add("viewQuery", "validation_invalid_view_query", m);
        SchemaError::Invalid(errors)
    };
    let first = query.split_whitespace().next().unwrap_or_default().to_ascii_uppercase();
    if query.is_empty() || query.contains(';') || !(first == "SELECT" || first == "WITH") {
        return Err(invalid("Invalid query - only a single SELECT statement is allowed.".into()));
    }
    let columns = state.store.query_columns(&query).await.map_err(|e| invalid(format!("Invalid query - {e}.")))?;
    c.fields = crate::schema::infer_fields(&query, &columns, schema).map_err(SchemaError::Invalid)?;
    c.options.insert("viewQuery".into(), Value::String(query));
    Ok(())
}

/// Token options (with fresh secrets where missing), as PocketBase creates them for a new auth collection.
fn ensure_auth_options(c: &mut Collection) {
    let defaults = [
        ("authToken", 604_800),
        ("passwordResetToken", 1800),
        ("emailChangeToken", 1800),
        ("verificationToken", 259_200),
        ("fileToken", 180),
    ];
    for (key, duration) in defaults {
        let entry = c.options.entry(key.to_owned()).or_insert_with(|| json!({"duration": duration}));
        if let Some(o) = entry.as_object_mut() {
            o.entry("duration").or_insert(json!(duration));
            // Existing secrets stay: rotating one would sign everybody out.
            o.entry("secret").or_insert_with(|| Value::String(crate::ids::secret_key()));
        }
    }
    c.options.entry("passwordAuth".to_owned()).or_insert_with(|| json!({"enabled": true, "identityFields": ["email"]}));
    c.options.entry("authRule".to_owned()).or_insert(json!(""));
    c.options.entry("manageRule".to_owned()).or_insert(Value::Null);
}

/// The API never shows token secrets, so an update must not wipe them.
fn keep_secrets(old: &Collection, new: &mut Collection) {
    for (key, value) in &old.options {
        let Some(secret) = value.get("secret") else { continue };
        let entry = new.options.entry(key.clone()).or_insert_with(|| json!({}));
        if let Some(o) = entry.as_object_mut() {
            o.entry("secret").or_insert(secret.clone());
        }
    }
}

/// Imports a whole schema (PocketBase's collections JSON): collections are matched by id,
/// then by name, and created or updated; with `delete_missing` the others are deleted.
/// System collections are left as they are.
pub async fn import(state: &Records, collections: Vec<Collection>, delete_missing: bool) -> Result<(), SchemaError> {
    let _schema = state.schema.writing().await;
    let current = state.schema.snapshot();
    let incoming: Vec<Collection> = collections.into_iter().filter(|c| !c.system).collect();
    // Validate every collection against the schema as it will be, so relations between
    // imported collections resolve whatever their order.
    let mut future: Vec<Collection> = current.all().iter().map(|c| c.as_ref().clone()).collect();
    let mut planned = Vec::new();
    for mut c in incoming.iter().cloned() {
        let old = current.by_id(&c.id).or_else(|| current.get(&c.name)).map(|o| o.as_ref().clone());
        if c.id.is_empty() {
            c.id = old.as_ref().map_or_else(|| Collection::default_id(c.kind, &c.name), |o| o.id.clone());
        }
        future.retain(|f| f.id != c.id && old.as_ref().is_none_or(|o| o.id != f.id));
        future.push(c.clone());
        planned.push((old, c));
    }
    let future_schema = crate::schema::Schema::new(future);
    let mut errors = FieldErrors::default();
    for (i, (old, c)) in planned.iter_mut().enumerate() {
        let others = crate::schema::Schema::new(
            future_schema.all().iter().filter(|f| f.id != c.id).map(|f| f.as_ref().clone()).collect(),
        );
        if let Err(SchemaError::Invalid(e)) = validate_collection(c, old.as_ref(), &others) {
            errors.nest(&i.to_string(), e);
        }
    }
    if !errors.is_empty() {
        return Err(SchemaError::Invalid(FieldErrors::nested("collections", errors)));
    }
    let now = crate::dates::now();
    let mut changes = Vec::new();
    for (old, mut c) in planned {
        c.updated.clone_from(&now);
        if c.is_auth() {
            if let Some(old) = &old {
                keep_secrets(old, &mut c);
            }
            ensure_auth_options(&mut c);
        }
        match old {
            Some(old) => {
                c.created.clone_from(&old.created);
                changes.push(SchemaChange::Update(old, c));
            }
            None => {
                c.created.clone_from(&now);
                changes.push(SchemaChange::Create(c));
            }
        }
    }
    if delete_missing {
        let keep = |c: &Collection| c.system || incoming.iter().any(|i| i.name == c.name || i.id == c.id);
        changes.extend(current.all().iter().filter(|c| !keep(c)).map(|c| SchemaChange::Delete(c.as_ref().clone())));
    }
    // One transaction: the import applies whole or not at all.
    state.store.apply_changes(changes).await.map_err(store_error)?;
    state.reload_schema().await?;
    crate::records::cleanup::kick(state);
    Ok(())
}

/// Empty templates of each collection type, as the dashboard starts them.
pub fn scaffolds() -> Value {
    let mut out = serde_json::Map::new();
    for kind in
        [crate::schema::CollectionKind::Base, crate::schema::CollectionKind::Auth, crate::schema::CollectionKind::View]
    {
        let mut c = Collection { kind, ..Collection::default() };
        if kind != crate::schema::CollectionKind::View {
            let _ = validate_collection(&mut c, None, &crate::schema::Schema::default());
        } else {
            c.options.insert("viewQuery".into(), json!(""));
        }
        c.id = String::new();
        let mut v = c.public_json();
        if let Some(o) = v.as_object_mut() {
            o.insert("id".into(), json!(""));
        }
        out.insert(kind.as_str().to_owned(), v);
    }
    Value::Object(out)
}
