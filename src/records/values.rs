//! Field values: from request JSON to stored SQL values (with PocketBase's coercions and
//! validation codes), and from stored SQL values back to JSON.

use serde_json::{Map, Value, json};

use crate::error::{FieldError, code};
use crate::schema::{Field, FieldKind};
use crate::sql::SqlValue;

fn blank() -> FieldError {
    FieldError::new(code::REQUIRED, "Cannot be blank.")
}

/// Stored value -> API JSON.
pub fn to_json(field: &Field, v: &SqlValue) -> Value {
    match (&field.kind, v) {
        (_, SqlValue::Null) if field.is_json() => {
            if field.is_multiple() {
                Value::Array(Vec::new())
            } else {
                field.zero_value()
            }
        }
        (_, SqlValue::Text(s)) if field.is_multiple() => {
            serde_json::from_str::<Value>(s).ok().filter(Value::is_array).unwrap_or_else(|| {
                if s.is_empty() { Value::Array(Vec::new()) } else { Value::Array(vec![Value::String(s.clone())]) }
            })
        }
        (FieldKind::Json(_) | FieldKind::GeoPoint(_), SqlValue::Text(s)) => {
            serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.clone()))
        }
        (FieldKind::Json(_), SqlValue::Int(i)) => Value::from(*i),
        (FieldKind::Json(_), SqlValue::Real(f)) => number(*f),
        (FieldKind::Number(_), SqlValue::Int(i)) => Value::from(*i),
        (FieldKind::Number(_), SqlValue::Real(f)) => number(*f),
        (FieldKind::Number(_), SqlValue::Text(s)) => number(s.parse().unwrap_or(0.0)),
        (FieldKind::Bool(_), SqlValue::Int(i)) => Value::Bool(*i != 0),
        (FieldKind::Bool(_), SqlValue::Text(s)) => Value::Bool(s == "1" || s.eq_ignore_ascii_case("true")),
        (_, SqlValue::Text(s)) => Value::String(s.clone()),
        (_, SqlValue::Int(i)) => Value::String(i.to_string()),
        (_, SqlValue::Real(f)) => Value::String(f.to_string()),
        (_, SqlValue::Null) => field.zero_value(),
    }
}

/// Go prints whole floats without a fraction: 10, not 10.0.
pub fn number(f: f64) -> Value {
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        Value::from(f as i64)
    } else {
        serde_json::Number::from_f64(f).map_or(Value::from(0), Value::Number)
    }
}

/// A submitted boolean as PocketBase reads it.
pub fn normalize_bool(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::String(s) => matches!(s.as_str(), "1" | "true" | "TRUE" | "True" | "t" | "T"),
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        _ => false,
    }
}

/// Normalises a submitted value the way PocketBase does before validation.
pub fn normalize(field: &Field, v: &Value) -> Value {
    match &field.kind {
        _ if field.is_multiple() => Value::Array(to_list(v)),
        FieldKind::Select(_) | FieldKind::Relation(_) | FieldKind::File(_) => {
            to_list(v).pop().unwrap_or_else(|| Value::String(String::new()))
        }
        FieldKind::Number(_) => match v {
            Value::Number(_) => v.clone(),
            Value::String(s) => number(s.trim().parse().unwrap_or(0.0)),
            Value::Bool(b) => Value::from(i64::from(*b)),
            _ => Value::from(0),
        },
        FieldKind::Bool(_) => Value::Bool(normalize_bool(v)),
        FieldKind::Json(_) => v.clone(),
        FieldKind::GeoPoint(_) => match v {
            Value::Null => field.zero_value(),
            Value::Object(o) => {
                let coord = |k: &str| o.get(k).and_then(Value::as_f64).map_or(Value::from(0), number);
                json!({"lon": coord("lon"), "lat": coord("lat")})
            }
            // Left as is, so that validation reports it.
            other => other.clone(),
        },
        FieldKind::Date(_) | FieldKind::Autodate(_) => match v {
            Value::String(s) if s.is_empty() => Value::String(String::new()),
            Value::String(s) => {
                crate::dates::parse(s).map_or_else(|| v.clone(), |d| Value::String(crate::dates::format(d)))
            }
            _ => Value::String(String::new()),
        },
        _ => match v {
            Value::Null => Value::String(String::new()),
            Value::String(_) => v.clone(),
            Value::Number(n) => Value::String(n.to_string()),
            Value::Bool(b) => Value::String(b.to_string()),
            other => Value::String(other.to_string()),
        },
    }
}

fn to_list(v: &Value) -> Vec<Value> {
    let mut out: Vec<Value> = match v {
        Value::Array(items) => items.iter().map(scalar_string).collect(),
        Value::Null => Vec::new(),
        other => vec![scalar_string(other)],
    };
    out.retain(|x| !matches!(x, Value::String(s) if s.is_empty()));
    let mut seen = Vec::new();
    out.retain(|x| {
        let dup = seen.contains(x);
        seen.push(x.clone());
        !dup
    });
    out
}

/// PocketBase's text length failures.
pub fn min_text(min: i64) -> FieldError {
    FieldError::new("validation_min_text_constraint", format!("Must be at least {min} character(s).")).with("min", min)
}

pub fn max_text(max: i64) -> FieldError {
    FieldError::new("validation_max_text_constraint", format!("Must be less than {max} character(s).")).with("max", max)
}

fn scalar_string(v: &Value) -> Value {
    match v {
        Value::String(_) => v.clone(),
        Value::Number(n) => Value::String(n.to_string()),
        other => Value::String(other.to_string()),
    }
}

/// Validates a normalised value; `Err` is the field's error object.
pub fn validate(field: &Field, v: &Value) -> Result<(), FieldError> {
    if matches!(field.kind, FieldKind::GeoPoint(_)) && !v.is_object() {
        return Err(FieldError::new("validation_invalid_geo_point", "Must be an object with lon and lat."));
    }
    let is_zero = match v {
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::Bool(b) => !b,
        Value::Null => true,
        Value::Object(o) => o.is_empty(),
    };
    if is_zero {
        return if field.kind.required() { Err(blank()) } else { Ok(()) };
    }
    match &field.kind {
        FieldKind::Text(o) => text_length(v, o.min, o.max).and_then(|()| pattern(v, &o.pattern)),
        FieldKind::Editor(o) => max_size(v, o.max_size),
        FieldKind::Number(o) => {
            let f = v.as_f64().unwrap_or(0.0);
            if o.only_int && f.fract() != 0.0 {
                return Err(FieldError::new("validation_only_int_constraint", "Decimal numbers are not allowed."));
            }
            if let Some(min) = o.min.filter(|m| f < *m) {
                let message = format!("Must be larger than {}.", number(min));
                return Err(FieldError::new("validation_min_number_constraint", message).with("min", min));
            }
            if let Some(max) = o.max.filter(|m| f > *m) {
                let message = format!("Must be less than {}.", number(max));
                return Err(FieldError::new("validation_max_number_constraint", message).with("max", max));
            }
            Ok(())
        }
        FieldKind::Email(_) => match v.as_str() {
            Some(s) if crate::schema::is_email(s) => Ok(()),
            _ => Err(FieldError::new("validation_is_email", "Must be a valid email address.")),
        },
        FieldKind::Url(_) => match v.as_str() {
            Some(s) if is_url(s) => Ok(()),
            _ => Err(FieldError::new("validation_invalid_url", "Must be a valid url.")),
        },
        FieldKind::Date(_) => match v.as_str().and_then(crate::dates::parse) {
            Some(_) => Ok(()),
            None => Err(FieldError::new("validation_invalid_date", "Must be a valid date.")),
        },
        FieldKind::Select(o) => {
            for item in v.as_array().cloned().unwrap_or_else(|| vec![v.clone()]) {
                let s = item.as_str().unwrap_or_default().to_owned();
                if !o.values.contains(&s) {
                    return Err(
                        FieldError::new(code::INVALID_VALUE, format!("Invalid value {s}.")).with("value", s.as_str())
                    );
                }
            }
            max_select(v, o.max_select)
        }
        FieldKind::Relation(o) => max_select(v, o.max_select),
        FieldKind::Json(o) => max_size(&Value::String(v.to_string()), o.max_size),
        FieldKind::GeoPoint(_) => {
            let lon = v.get("lon").and_then(Value::as_f64).unwrap_or(0.0);
            let lat = v.get("lat").and_then(Value::as_f64).unwrap_or(0.0);
            if !(-180.0..=180.0).contains(&lon) {
                return Err(FieldError::new(
                    "validation_invalid_longitude",
                    "Longitude must be between -180 and 180 degrees.",
                ));
            }
            if !(-90.0..=90.0).contains(&lat) {
                return Err(FieldError::new(
                    "validation_invalid_latitude",
                    "Latitude must be between -90 and 90 degrees.",
                ));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn text_length(v: &Value, min: i64, max: i64) -> Result<(), FieldError> {
    let len = v.as_str().map_or(0, |s| s.chars().count()) as i64;
    if min > 0 && len < min {
        return Err(min_text(min));
    }
    let max = if max <= 0 { 5000 } else { max };
    if len > max {
        return Err(max_text(max));
    }
    Ok(())
}

/// The field's regular expression (RE2 syntax, as Go's regexp), when it has one.
fn pattern(v: &Value, pattern: &str) -> Result<(), FieldError> {
    if pattern.is_empty() {
        return Ok(());
    }
    let ok = regex::Regex::new(pattern).map(|re| re.is_match(v.as_str().unwrap_or_default())).unwrap_or(true);
    if ok { Ok(()) } else { Err(FieldError::new("validation_invalid_format", "Invalid value format.")) }
}

fn max_size(v: &Value, max: i64) -> Result<(), FieldError> {
    let len = v.as_str().map_or(0, str::len) as i64;
    let max = if max <= 0 { 5 << 20 } else { max };
    if len > max {
        let message = format!("The maximum allowed JSON size is {max} bytes.");
        return Err(FieldError::new("validation_json_size_limit", message).with("maxSize", max));
    }
    Ok(())
}

fn max_select(v: &Value, max: i64) -> Result<(), FieldError> {
    let n = v.as_array().map_or(1, Vec::len) as i64;
    if max > 1 && n > max {
        let message = format!("Select no more than {max}.");
        return Err(FieldError::new("validation_too_many_values", message).with("maxSelect", max));
    }
    Ok(())
}

fn is_url(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once("://") else { return false };
    !scheme.is_empty()
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !rest.is_empty()
        && !rest.starts_with('/')
        && !s.chars().any(char::is_whitespace)
}

/// Normalised JSON -> the stored SQL value.
pub fn to_sql(field: &Field, v: &Value) -> SqlValue {
    match (&field.kind, v) {
        (_, Value::Array(_)) | (FieldKind::Json(_) | FieldKind::GeoPoint(_), _) => {
            if v.is_null() {
                SqlValue::Null
            } else {
                SqlValue::Text(v.to_string())
            }
        }
        (FieldKind::Number(_), Value::Number(n)) => {
            n.as_i64().map_or_else(|| SqlValue::Real(n.as_f64().unwrap_or(0.0)), SqlValue::Int)
        }
        (FieldKind::Bool(_), Value::Bool(b)) => SqlValue::Int(i64::from(*b)),
        (_, Value::String(s)) => SqlValue::Text(s.clone()),
        (_, Value::Null) => SqlValue::Text(String::new()),
        (_, other) => SqlValue::Text(other.to_string()),
    }
}

/// Applies PocketBase's modifiers (`field+`, `+field`, `field-`) found in `body` to `current`
/// values, returning the plain `{field: value}` body.
pub fn apply_modifiers(
    fields: &[Field],
    body: &Map<String, Value>,
    current: &Map<String, Value>,
) -> Map<String, Value> {
    let mut out = Map::new();
    for (key, value) in body {
        let (name, kind) = if let Some(n) = key.strip_suffix('+') {
            (n, Some('+'))
        } else if let Some(n) = key.strip_prefix('+') {
            (n, Some('^'))
        } else if let Some(n) = key.strip_suffix('-') {
            (n, Some('-'))
        } else {
            (key.as_str(), None)
        };
        let Some(field) = fields.iter().find(|f| f.name == name) else {
            if kind.is_none() {
                out.insert(key.clone(), value.clone());
            }
            continue;
        };
        let Some(kind) = kind else {
            out.insert(name.to_owned(), value.clone());
            continue;
        };
        let base = out.get(name).or_else(|| current.get(name)).cloned().unwrap_or(Value::Null);
        let merged = match (&field.kind, kind) {
            (FieldKind::Number(_), '+' | '-') => {
                let a = normalize(field, &base).as_f64().unwrap_or(0.0);
                let b = normalize(field, value).as_f64().unwrap_or(0.0);
                number(if kind == '+' { a + b } else { a - b })
            }
            (FieldKind::Select(_) | FieldKind::Relation(_) | FieldKind::File(_), _) => {
                let mut list = to_list(&base);
                let items = to_list(value);
                match kind {
                    '+' => list.extend(items),
                    '^' => list.splice(0..0, items).for_each(drop),
                    _ => list.retain(|x| !items.contains(x)),
                }
                Value::Array(list)
            }
            _ => continue,
        };
        out.insert(name.to_owned(), merged);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(json: Value) -> Field {
        serde_json::from_value(json).expect("field")
    }

    #[test]
    fn coerces_like_pocketbase() {
        let num = field(json!({"name": "n", "type": "number"}));
        assert_eq!(normalize(&num, &json!("7x")), json!(0));
        assert_eq!(normalize(&num, &json!("7")), json!(7));
        let text = field(json!({"name": "t", "type": "text"}));
        assert_eq!(normalize(&text, &json!(5)), json!("5"));
        let tags = field(json!({"name": "tags", "type": "select", "values": ["a", "b"], "maxSelect": 3}));
        assert_eq!(normalize(&tags, &json!("a")), json!(["a"]));
        assert_eq!(normalize(&tags, &json!(["a", "a", "", "b"])), json!(["a", "b"]));
        let date = field(json!({"name": "d", "type": "date"}));
        assert_eq!(normalize(&date, &json!("2024-01-02T03:04:05Z")), json!("2024-01-02 03:04:05.000Z"));
        assert_eq!(to_json(&num, &SqlValue::Real(10.0)), json!(10));
        assert_eq!(to_json(&tags, &SqlValue::Text("[\"a\"]".into())), json!(["a"]));
    }

    #[test]
    fn validates_with_pocketbase_codes() {
        let tags = field(json!({"name": "tags", "type": "select", "values": ["a"], "maxSelect": 3}));
        assert_eq!(validate(&tags, &json!(["zz"])).expect_err("invalid").code, "validation_invalid_value");
        let req = field(json!({"name": "t", "type": "text", "required": true, "min": 3}));
        assert_eq!(validate(&req, &json!("")).expect_err("blank").code, "validation_required");
        assert_eq!(validate(&req, &json!("ab")).expect_err("short").params["min"], crate::error::Param::Int(3));
        let url = field(json!({"name": "u", "type": "url"}));
        assert!(validate(&url, &json!("https://example.com")).is_ok());
        assert!(validate(&url, &json!("nope")).is_err());
    }

    #[test]
    fn modifiers_add_remove_and_prepend() {
        let fields: Vec<Field> = vec![
            field(json!({"name": "n", "type": "number"})),
            field(json!({"name": "tags", "type": "select", "values": ["a", "b", "c"], "maxSelect": 3})),
        ];
        let current = json!({"n": 5, "tags": ["b"]}).as_object().cloned().expect("object");
        let body = json!({"n+": 2, "tags+": "c", "+tags": "a"}).as_object().cloned().expect("object");
        let out = apply_modifiers(&fields, &body, &current);
        assert_eq!(out["n"], json!(7));
        assert_eq!(out["tags"], json!(["a", "b", "c"]));
        let body = json!({"n-": 1, "tags-": ["b"]}).as_object().cloned().expect("object");
        let out = apply_modifiers(&fields, &body, &current);
        assert_eq!((out["n"].clone(), out["tags"].clone()), (json!(4), json!([])));
    }
}
