//! File fields of a write: which names a field ends up with (PocketBase's merge of submitted
//! names, uploads and modifiers), their validation, which uploads to store and which stored
//! files no record references any more.

use serde_json::{Map, Value};

use crate::error::{FieldError, FieldErrors, Param, code};
use crate::files::{Upload, sniff};
use crate::schema::{Collection, Field, FieldKind, FileOptions};
use crate::sql::{SqlBuilder, SqlQuery, SqlValue, ident};

/// PocketBase's default `maxSize`: 5 MiB.
pub const DEFAULT_MAX_SIZE: u64 = 5 << 20;

/// What a write does to the record's file fields.
#[derive(Debug, Default)]
pub struct FileChanges {
    /// New column values of the file fields that change.
    pub columns: Vec<(String, SqlValue)>,
    /// Uploads the new values keep: to be stored before the commit.
    pub store: Vec<Upload>,
    /// Stored names the new values drop: to be deleted after the commit.
    pub removed: Vec<String>,
}

pub fn max_size(o: &FileOptions) -> u64 {
    if o.max_size <= 0 { DEFAULT_MAX_SIZE } else { o.max_size as u64 }
}

fn max_select(o: &FileOptions) -> usize {
    o.max_select.max(1) as usize
}

/// Resolves every file field. `raw` is the body as submitted, `body` after modifiers,
/// `current` the record before the write (empty on create, where every field is resolved).
pub fn resolve(
    coll: &Collection,
    raw: &Map<String, Value>,
    body: &Map<String, Value>,
    mut uploads: Vec<Upload>,
    current: Option<&Map<String, Value>>,
    errors: &mut FieldErrors,
) -> FileChanges {
    let mut out = FileChanges::default();
    for field in &coll.fields {
        let FieldKind::File(o) = &field.kind else { continue };
        let mine: Vec<Upload> = {
            let (mine, rest) = uploads.into_iter().partition(|u| u.field() == field.name);
            uploads = rest;
            mine
        };
        let old = current.map(|c| names(c.get(&field.name))).unwrap_or_default();
        let submitted = body.contains_key(&field.name);
        if current.is_some() && !submitted && mine.is_empty() {
            continue;
        }
        let mut list = if submitted { names(body.get(&field.name)) } else { old.clone() };
        merge_uploads(&mut list, raw.get(&field.name), &mine);
        dedupe(&mut list);
        if !field.is_multiple() {
            list = list.pop().into_iter().collect();
        }
        if let Err(e) = validate(field, o, &list, &old, &mine) {
            errors.set(&field.name, e);
            continue;
        }
        out.removed.extend(old.iter().filter(|n| !list.contains(n)).cloned());
        let value = if field.is_multiple() {
            SqlValue::Text(Value::from(list.clone()).to_string())
        } else {
            SqlValue::Text(list.first().cloned().unwrap_or_default())
        };
        out.columns.push((field.name.clone(), value));
        out.store.extend(mine.into_iter().filter(|u| list.contains(&u.name)));
    }
    out
}

/// Adds the uploads of one field: a plain `field` upload replaces the field's names with the
/// names submitted beside it, `field+` appends, `+field` prepends.
fn merge_uploads(list: &mut Vec<String>, raw: Option<&Value>, mine: &[Upload]) {
    let plain: Vec<String> = mine.iter().filter(|u| u.key == u.field()).map(|u| u.name.clone()).collect();
    if !plain.is_empty() {
        *list = raw.filter(|v| !v.is_null()).map(|v| names(Some(v))).unwrap_or_default();
        list.extend(plain);
    }
    list.extend(mine.iter().filter(|u| u.key.ends_with('+')).map(|u| u.name.clone()));
    let prepend: Vec<String> = mine.iter().filter(|u| u.key.starts_with('+')).map(|u| u.name.clone()).collect();
    list.splice(0..0, prepend);
}

fn validate(
    field: &Field,
    o: &FileOptions,
    list: &[String],
    old: &[String],
    mine: &[Upload],
) -> Result<(), FieldError> {
    if list.is_empty() {
        return if o.required { Err(FieldError::new(code::REQUIRED, "Cannot be blank.")) } else { Ok(()) };
    }
    let invalid: Vec<&String> =
        list.iter().filter(|n| !old.contains(n) && !mine.iter().any(|u| &u.name == *n)).collect();
    if !invalid.is_empty() {
        let shown: Vec<String> = invalid.iter().map(|n| n.chars().take(250).collect()).collect();
        let message = format!("Invalid new files: [{}].", shown.join(" "));
        return Err(FieldError::new("validation_invalid_file", message).with("invalidFiles", Param::List(shown)));
    }
    if field.is_multiple() && list.len() > max_select(o) {
        let max = max_select(o);
        let message = format!("The maximum allowed files is {max}.");
        return Err(FieldError::new("validation_too_many_files", message).with("maxSelect", max));
    }
    for upload in mine.iter().filter(|u| list.contains(&u.name)) {
        let max = max_size(o);
        if upload.size > max {
            let message =
                format!("Failed to upload {} - the maximum allowed file size is {max} bytes.", upload.original);
            return Err(FieldError::new("validation_file_size_limit", message)
                .with("file", upload.original.as_str())
                .with("maxSize", Param::Int(i64::try_from(max).unwrap_or(i64::MAX))));
        }
        if !o.mime_types.is_empty() && !sniff::allowed(&upload.mime, &o.mime_types) {
            let message = format!("\"{}\" mime type must be one of: {}.", upload.name, o.mime_types.join(", "));
            return Err(FieldError::new("validation_invalid_mime_type", message));
        }
    }
    Ok(())
}

/// The file names in a submitted or stored value.
fn names(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(items)) => {
            items.iter().filter_map(Value::as_str).filter(|s| !s.is_empty()).map(str::to_owned).collect()
        }
        Some(Value::String(s)) if !s.is_empty() => vec![s.clone()],
        _ => Vec::new(),
    }
}

fn dedupe(list: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    list.retain(|n| seen.insert(n.clone()));
}

/// Whether a record value (as exported) references `name` in any file field.
pub fn references(coll: &Collection, record: &Map<String, Value>, name: &str) -> bool {
    coll.fields
        .iter()
        .filter(|f| matches!(f.kind, FieldKind::File(_)))
        .any(|f| names(record.get(&f.name)).iter().any(|n| n == name))
}

/// Whether the collection has file fields at all.
pub fn has_files(coll: &Collection) -> bool {
    coll.fields.iter().any(|f| matches!(f.kind, FieldKind::File(_)))
}

/// Where the file of a view record lives: the folder of the base record that holds it (stored
/// names carry a random part, so the name finds its record).
pub async fn view_file_base(state: &super::Records, filename: &str) -> Result<Option<String>, super::RecordError> {
    let schema = state.schema.snapshot();
    for coll in schema.all().iter().filter(|c| c.kind != crate::schema::CollectionKind::View) {
        for field in coll.fields.iter().filter(|f| matches!(f.kind, FieldKind::File(_))) {
            let mut sql = SqlBuilder::new(state.store.dialect());
            let name = sql.param(SqlValue::Text(filename.to_owned()));
            let matches = super::holds(&mut sql, &ident(&field.name), &name, field.is_multiple());
            let q = SqlQuery {
                sql: format!("SELECT {} FROM {} WHERE {matches} LIMIT 1", ident("id"), ident(&coll.name)),
                params: sql.params,
            };
            if let Some(SqlValue::Text(id)) = state.store.query(q).await?.first().and_then(|r| r.first()) {
                return Ok(Some(format!("{}/{id}", coll.id)));
            }
        }
    }
    Ok(None)
}
