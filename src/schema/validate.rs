//! Checking and normalising a collection definition before it is saved.

use crate::error::{FieldError, FieldErrors, code};

use super::{BasicOptions, DomainOptions, PasswordOptions, TextOptions};
use super::{Collection, CollectionKind, Field, FieldKind, Schema};

#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// Validation failures, by field (nested as PocketBase nests them).
    #[error("the collection definition is invalid")]
    Invalid(FieldErrors),
    #[error("collection not found")]
    NotFound,
    /// The collection cannot go: others depend on it.
    #[error("{0}")]
    InUse(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

fn err(code: &'static str, message: &str) -> FieldError {
    FieldError::new(code, message)
}

fn is_word(s: &str) -> bool {
    !s.is_empty() && s.len() <= 255 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

const RESERVED_FIELD_NAMES: &[&str] = &["expand", "collectionId", "collectionName"];

/// Normalises `new` (ids, system fields) and checks it against the rest of the schema.
/// `old` is the stored version when updating.
pub fn validate_collection(new: &mut Collection, old: Option<&Collection>, schema: &Schema) -> Result<(), SchemaError> {
    let mut errors = FieldErrors::default();
    if let Some(old) = old {
        new.id.clone_from(&old.id);
        new.system = old.system;
        if new.kind != old.kind {
            errors.set("type", err("validation_collection_type_change", "Collection type cannot be changed."));
        }
    } else if new.id.is_empty() {
        new.id = Collection::default_id(new.kind, &new.name);
    }
    if new.name.is_empty() {
        errors.set("name", err(code::REQUIRED, "Cannot be blank."));
    } else if !is_word(&new.name) {
        errors.set("name", err("validation_invalid_name", "Must contain only letters, digits and underscores."));
    } else if schema.all().iter().any(|c| c.id != new.id && c.name.eq_ignore_ascii_case(&new.name)) {
        errors.set(
            "name",
            err("validation_collection_name_exists", "Collection name must be unique (case insensitive)."),
        );
    }
    if old.is_none() && schema.by_id(&new.id).is_some() {
        errors.set("id", err("validation_collection_id_exists", "Collection id already exists."));
    }
    add_system_fields(new);
    if let Some(field_errors) = check_fields(new, schema) {
        errors.nest("fields", field_errors);
    } else if let Some(old) = old
        && let Some(changed) = type_changes(old, new)
    {
        errors.nest("fields", changed);
    }
    for (i, index) in new.indexes.iter().enumerate() {
        let upper = index.trim_start().to_ascii_uppercase();
        if !(upper.starts_with("CREATE INDEX") || upper.starts_with("CREATE UNIQUE INDEX")) || index.contains(';') {
            let invalid = err("validation_invalid_index_expression", "Invalid CREATE INDEX expression.");
            let mut at = FieldErrors::default();
            at.add_error(&i.to_string(), invalid);
            errors.0.insert("indexes".into(), crate::error::FieldIssue::Nested(at));
        }
    }
    if new.kind == CollectionKind::View && new.view_query().is_none_or(|q| q.trim().is_empty()) {
        errors.set("viewQuery", err(code::REQUIRED, "Cannot be blank."));
    }
    if errors.is_empty() { Ok(()) } else { Err(SchemaError::Invalid(errors)) }
}

fn check_fields(c: &mut Collection, schema: &Schema) -> Option<FieldErrors> {
    let own = [c.id.clone(), c.name.clone()];
    let mut errors = FieldErrors::default();
    let mut seen: Vec<String> = Vec::new();
    for (i, f) in c.fields.iter_mut().enumerate() {
        if f.id.is_empty() {
            f.id = Field::default_id(f.type_name(), &f.name);
        }
        let lower = f.name.to_lowercase();
        let problem = if !is_word(&f.name) {
            Some(("name", err("validation_match_invalid", "Must contain only letters, digits and underscores.")))
        } else if RESERVED_FIELD_NAMES.iter().any(|r| r.eq_ignore_ascii_case(&f.name)) {
            Some(("name", err("validation_not_in_invalid_values", "The name is reserved.")))
        } else if seen.contains(&lower) {
            Some(("name", err("validation_duplicated_field_name", "Duplicated or invalid field name.")))
        } else {
            field_problem(f, schema, &own)
        };
        seen.push(lower);
        if let Some((key, p)) = problem {
            let mut field = FieldErrors::default();
            field.add_error(key, p);
            errors.nest(&i.to_string(), field);
        }
    }
    (!errors.is_empty()).then_some(errors)
}

/// The option of `f` that is wrong (named as PocketBase names it in the error) and why.
/// `own` is the collection's id and name: a relation may point at its own collection.
fn field_problem(f: &Field, schema: &Schema, own: &[String; 2]) -> Option<(&'static str, FieldError)> {
    match &f.kind {
        FieldKind::Relation(o)
            if !own.contains(&o.collection_id)
                && schema.by_id(&o.collection_id).is_none()
                && schema.get(&o.collection_id).is_none() =>
        {
            Some((
                "collectionId",
                err("validation_field_relation_missing_collection", "The related collection doesn't exist."),
            ))
        }
        FieldKind::Select(o) if o.values.is_empty() => Some(("values", err(code::REQUIRED, "Cannot be blank."))),
        FieldKind::Text(o) if !o.pattern.is_empty() && regex::Regex::new(&o.pattern).is_err() => {
            Some(("pattern", err("validation_invalid_regex", "Invalid regular expression pattern.")))
        }
        _ => None,
    }
}

/// A field keeps its type for life (PocketBase refuses the change too).
fn type_changes(old: &Collection, new: &Collection) -> Option<FieldErrors> {
    let mut errors = FieldErrors::default();
    for (i, f) in new.fields.iter().enumerate() {
        if old.fields.iter().any(|o| o.id == f.id && o.type_name() != f.type_name()) {
            errors.set(&i.to_string(), err("validation_field_type_change", "Field type cannot be changed."));
        }
    }
    (!errors.is_empty()).then_some(errors)
}

/// Adds the `id` field every collection has and the fields every auth collection has.
fn add_system_fields(c: &mut Collection) {
    if c.field("id").is_none() {
        let id = Field::new(
            "id",
            FieldKind::Text(TextOptions {
                required: true,
                min: 15,
                max: 15,
                pattern: "^[a-z0-9]+$".into(),
                autogenerate_pattern: "[a-z0-9]{15}".into(),
                primary_key: true,
                ..TextOptions::default()
            }),
        )
        .system();
        c.fields.insert(0, id);
    }
    if c.kind != CollectionKind::Auth {
        return;
    }
    let auth_fields = [
        Field::new(
            "password",
            FieldKind::Password(PasswordOptions { required: true, min: 8, ..PasswordOptions::default() }),
        )
        .system()
        .hidden(),
        Field::new(
            "tokenKey",
            FieldKind::Text(TextOptions {
                required: true,
                min: 30,
                max: 60,
                autogenerate_pattern: "[a-zA-Z0-9]{50}".into(),
                ..TextOptions::default()
            }),
        )
        .system()
        .hidden(),
        Field::new("email", FieldKind::Email(DomainOptions { required: true, ..DomainOptions::default() })).system(),
        Field::new("emailVisibility", FieldKind::Bool(BasicOptions::default())).system(),
        Field::new("verified", FieldKind::Bool(BasicOptions::default())).system(),
    ];
    for (i, field) in auth_fields.into_iter().enumerate() {
        if c.field(&field.name).is_none() {
            c.fields.insert((i + 1).min(c.fields.len()), field);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn parse(v: Value) -> Collection {
        serde_json::from_value(v).expect("collection")
    }

    #[test]
    fn adds_ids_and_system_fields() {
        let mut c = parse(json!({"name": "posts", "fields": [{"name": "title", "type": "text"}]}));
        validate_collection(&mut c, None, &Schema::default()).expect("valid");
        assert_eq!(c.id, "pbc_1125843985");
        assert_eq!(c.fields[0].name, "id");
        assert_eq!(c.fields[1].id, "text724990059");
        let mut a = parse(json!({"name": "members", "type": "auth"}));
        validate_collection(&mut a, None, &Schema::default()).expect("valid");
        let names: Vec<&str> = a.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["id", "password", "tokenKey", "email", "emailVisibility", "verified"]);
    }

    #[test]
    fn reports_bad_names_duplicates_and_missing_relations() {
        let existing = Schema::new(vec![parse(json!({"id": "pbc_1", "name": "Posts"}))]);
        let mut c = parse(json!({"name": "posts", "fields": [
            {"name": "a b", "type": "text"}, {"name": "x", "type": "text"}, {"name": "X", "type": "bool"},
            {"name": "r", "type": "relation", "collectionId": "nope"}, {"name": "expand", "type": "text"}
        ]}));
        let Err(SchemaError::Invalid(e)) = validate_collection(&mut c, None, &existing) else { panic!("invalid") };
        let e = serde_json::to_value(e).expect("json");
        assert_eq!(e["name"]["code"], "validation_collection_name_exists");
        // Field positions shift by one: `id` is inserted first.
        assert_eq!(e["fields"]["1"]["name"]["code"], "validation_match_invalid");
        assert_eq!(e["fields"]["3"]["name"]["code"], "validation_duplicated_field_name");
        assert_eq!(e["fields"]["4"]["collectionId"]["code"], "validation_field_relation_missing_collection");
        assert_eq!(e["fields"]["5"]["name"]["code"], "validation_not_in_invalid_values");
    }
}
