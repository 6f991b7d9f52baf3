//! Request bodies as PocketBase reads them: JSON, or multipart where text parts are typed by
//! inference, repeated names become lists, and every `@jsonPayload` part (the JS SDK sends one per
//! array/object value, the Dart SDK one for everything) is merged in.

use std::path::Path;

use poem::web::Multipart;
use poem::{Body, FromRequest, Request, RequestBody};
use serde_json::{Map, Value, json};

use super::error::{ApiError, ApiResult, MSG_BAD_JSON};
use crate::files::Upload;

const JSON_PAYLOAD: &str = "@jsonPayload";

fn bad() -> ApiError {
    ApiError::bad_request(MSG_BAD_JSON, json!({}))
}

/// A request body: its values and, from multipart forms, its files.
#[derive(Debug, Default)]
pub struct Form {
    pub data: Map<String, Value>,
    pub uploads: Vec<Upload>,
}

/// Where file parts go: spooled to `dir`, each kept up to `cap(key)` bytes (a key with no cap
/// is not a file field: its parts are read and dropped).
pub struct FileParts<'a> {
    pub dir: &'a Path,
    pub cap: &'a (dyn Fn(&str) -> Option<u64> + Sync),
}

/// Reads a JSON object or a multipart form with its files.
pub async fn read_form(req: &Request, body: Body, files: Option<FileParts<'_>>) -> ApiResult<Form> {
    let content_type = req.header("content-type").unwrap_or_default().to_ascii_lowercase();
    if content_type.starts_with("multipart/form-data") {
        return read_multipart(req, body, files).await;
    }
    let bytes = body.into_bytes().await.map_err(|_| bad())?;
    if bytes.is_empty() {
        return Ok(Form::default());
    }
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(data)) => Ok(Form { data, uploads: Vec::new() }),
        _ => Err(bad()),
    }
}

async fn read_multipart(req: &Request, body: Body, files: Option<FileParts<'_>>) -> ApiResult<Form> {
    let mut multipart = Multipart::from_request(req, &mut RequestBody::new(body)).await.map_err(|_| bad())?;
    let mut out = Map::new();
    let mut uploads = Vec::new();
    let mut payloads = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(|_| bad())? {
        let name = field.name().unwrap_or_default().to_owned();
        if let Some(original) = field.file_name().map(str::to_owned) {
            let Some(files) = &files else {
                return Err(ApiError::bad_request(
                    "Files cannot be uploaded here.",
                    json!({name: {"code": "validation_file_unsupported", "message": "This endpoint takes no files."}}),
                ));
            };
            let cap = (files.cap)(&name).unwrap_or(0);
            let upload = crate::files::upload::spool(files.dir, &name, &original, field.into_async_read(), cap)
                .await
                .map_err(|_| bad())?;
            if cap > 0 {
                uploads.push(upload);
            }
            continue;
        }
        let text = field.text().await.map_err(|_| bad())?;
        if name == JSON_PAYLOAD {
            match serde_json::from_str(&text) {
                Ok(Value::Object(m)) => payloads.push(m),
                _ => return Err(bad()),
            }
            continue;
        }
        let value = infer(&text);
        match out.get_mut(&name) {
            Some(Value::Array(items)) => items.push(value),
            Some(existing) => *existing = Value::Array(vec![existing.take(), value]),
            None => {
                out.insert(name, value);
            }
        }
    }
    for payload in payloads {
        out.extend(payload);
    }
    Ok(Form { data: out, uploads })
}

/// The spool caps of a collection's file fields: `maxSize + 1` bytes for every key a file
/// can come under (so that a file over the limit is still recognised as such).
pub fn file_caps(coll: Option<&crate::schema::Collection>) -> impl Fn(&str) -> Option<u64> + Sync + use<> {
    let caps: Vec<(String, u64)> = coll
        .map(|c| {
            c.fields
                .iter()
                .filter_map(|f| match &f.kind {
                    crate::schema::FieldKind::File(o) => Some((f.name.clone(), crate::records::files::max_size(o) + 1)),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    move |key: &str| {
        let field = key.trim_start_matches('+').trim_end_matches('+');
        caps.iter().find(|(name, _)| name == field).map(|(_, cap)| *cap)
    }
}

/// PocketBase's typing of form values: `true`/`false` are booleans, and a number is a number
/// only if printing it back gives the same text (`10` yes; `010`, `1.50`, `1e3` stay text).
pub fn infer(raw: &str) -> Value {
    match raw {
        "" => return Value::String(String::new()),
        "true" => return Value::Bool(true),
        "false" => return Value::Bool(false),
        _ => {}
    }
    let first = raw.as_bytes()[0];
    if (first == b'-' || first.is_ascii_digit())
        && let Ok(f) = raw.parse::<f64>()
        && f.is_finite()
        && format!("{f}") == raw
    {
        return crate::records::values::number(f);
    }
    Value::String(raw.to_owned())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::infer;

    #[test]
    fn infers_like_pocketbase() {
        assert_eq!(infer("10"), json!(10));
        assert_eq!(infer("-2.5"), json!(-2.5));
        assert_eq!(infer("010"), json!("010"));
        assert_eq!(infer("1.50"), json!("1.50"));
        assert_eq!(infer("1e3"), json!("1e3"));
        assert_eq!(infer("true"), json!(true));
        assert_eq!(infer("True"), json!("True"));
        assert_eq!(infer(""), json!(""));
        assert_eq!(infer("abc"), json!("abc"));
    }
}
