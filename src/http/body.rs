//! Request bodies as PocketBase reads them: JSON, or multipart where text parts are typed by
//! inference, repeated names become lists, and every `@jsonPayload` part (the JS SDK sends one per
//! array/object value, the Dart SDK one for everything) is merged in.

use poem::web::Multipart;
use poem::{Body, FromRequest, Request, RequestBody};
use serde_json::{Map, Value, json};

use super::error::{ApiError, ApiResult, MSG_BAD_JSON};

const JSON_PAYLOAD: &str = "@jsonPayload";

fn bad() -> ApiError {
    ApiError::bad_request(MSG_BAD_JSON, json!({}))
}

/// Reads a JSON object or a multipart form into one object.
pub async fn read_object(req: &Request, body: Body) -> ApiResult<Map<String, Value>> {
    let content_type = req.header("content-type").unwrap_or_default().to_ascii_lowercase();
    if content_type.starts_with("multipart/form-data") {
        return read_multipart(req, body).await;
    }
    let bytes = body.into_bytes().await.map_err(|_| bad())?;
    if bytes.is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(bad()),
    }
}

async fn read_multipart(req: &Request, body: Body) -> ApiResult<Map<String, Value>> {
    let mut multipart = Multipart::from_request(req, &mut RequestBody::new(body)).await.map_err(|_| bad())?;
    let mut out = Map::new();
    let mut payloads = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(|_| bad())? {
        let name = field.name().unwrap_or_default().to_owned();
        if field.file_name().is_some() {
            return Err(ApiError::bad_request(
                "File uploads are not supported yet.",
                json!({name: {"code": "validation_file_unsupported", "message": "File fields are not supported yet."}}),
            ));
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
    Ok(out)
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
