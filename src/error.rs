//! Pieces of the error model shared by the domain and the HTTP layer.
//!
//! Domain modules return their own `thiserror` enums; `http::error` maps each variant to
//! PocketBase's `{status, message, data}` deliberately. Field-level validation failures travel
//! as [`FieldErrors`], typed, and become `data` only there.

use std::collections::BTreeMap;

use serde::Serialize;

/// A value in a field error's `params` (`{"min": 3}`, `{"value": "x"}`).
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(untagged)]
pub enum Param {
    Int(i64),
    Number(f64),
    Text(String),
    List(Vec<String>),
}

impl From<i64> for Param {
    fn from(n: i64) -> Self {
        Self::Int(n)
    }
}

impl From<usize> for Param {
    fn from(n: usize) -> Self {
        Self::Int(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

/// Whole numbers without a fraction (`{"min": 3}`, not `3.0`), as PocketBase shows them.
impl From<f64> for Param {
    fn from(n: f64) -> Self {
        if n.fract() == 0.0 && n.abs() < 9.0e15 { Self::Int(n as i64) } else { Self::Number(n) }
    }
}

impl From<&str> for Param {
    fn from(s: &str) -> Self {
        Self::Text(s.to_owned())
    }
}

/// One field's validation failure, as PocketBase reports it: `{code, message[, params]}`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FieldError {
    pub code: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<&'static str, Param>,
}

impl FieldError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), params: BTreeMap::new() }
    }

    /// The same error with one more parameter.
    pub fn with(mut self, name: &'static str, value: impl Into<Param>) -> Self {
        self.params.insert(name, value.into());
        self
    }
}

/// A field's failure, or the failures inside it (`{"s3": {"endpoint": {…}}}`, `{"fields":
/// {"0": {"name": {…}}}}`).
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(untagged)]
pub enum FieldIssue {
    Error(FieldError),
    Nested(FieldErrors),
}

/// Validation failures by field name.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
#[serde(transparent)]
pub struct FieldErrors(pub BTreeMap<String, FieldIssue>);

impl FieldErrors {
    /// Records the first failure of `field` (later ones for the same field are ignored).
    pub fn add(&mut self, field: &str, code: &'static str, message: impl Into<String>) {
        self.add_error(field, FieldError::new(code, message));
    }

    pub fn add_error(&mut self, field: &str, error: FieldError) {
        self.0.entry(field.to_owned()).or_insert(FieldIssue::Error(error));
    }

    /// Records the failure of `field`, replacing an earlier one.
    pub fn set(&mut self, field: &str, error: FieldError) {
        self.0.insert(field.to_owned(), FieldIssue::Error(error));
    }

    /// Records the failures inside `field`.
    pub fn nest(&mut self, field: &str, inner: FieldErrors) {
        if !inner.is_empty() {
            self.0.entry(field.to_owned()).or_insert(FieldIssue::Nested(inner));
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    /// The failure of `field` itself (not of what is inside it).
    pub fn get(&self, field: &str) -> Option<&FieldError> {
        match self.0.get(field)? {
            FieldIssue::Error(e) => Some(e),
            FieldIssue::Nested(_) => None,
        }
    }

    pub fn single(field: &str, code: &'static str, message: impl Into<String>) -> Self {
        let mut errors = Self::default();
        errors.add(field, code, message);
        errors
    }

    /// `{field: {inner…}}`.
    pub fn nested(field: &str, inner: FieldErrors) -> Self {
        let mut errors = Self::default();
        errors.nest(field, inner);
        errors
    }

    /// Every failure as `path: message` lines (`s3.endpoint: Must be a valid URL.`), for logs
    /// and the CLI.
    pub fn describe(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (field, issue) in &self.0 {
            match issue {
                FieldIssue::Error(e) => out.push(format!("{field}: {}", e.message)),
                FieldIssue::Nested(inner) => out.extend(inner.describe().into_iter().map(|l| format!("{field}.{l}"))),
            }
        }
        out
    }
}

/// PocketBase's validation codes (ozzo-validation's and its own).
pub mod code {
    pub const REQUIRED: &str = "validation_required";
    pub const INVALID_EMAIL: &str = "validation_is_email";
    pub const INVALID_URL: &str = "validation_is_url";
    pub const INVALID: &str = "validation_invalid";
    pub const INVALID_VALUE: &str = "validation_invalid_value";
    pub const LENGTH_OUT_OF_RANGE: &str = "validation_length_out_of_range";
    pub const LENGTH_TOO_LONG: &str = "validation_length_too_long";
    pub const VALUE_MUST_BE_UNIQUE: &str = "validation_not_unique";
    pub const VALUES_MISMATCH: &str = "validation_values_mismatch";
    pub const MIN_GREATER_EQUAL: &str = "validation_min_greater_equal_than_required";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_as_pocketbase_data() {
        let mut inner = FieldErrors::default();
        inner.add_error("name", FieldError::new("validation_min_text_constraint", "Too short.").with("min", 3i64));
        let mut errors = FieldErrors::single("email", code::REQUIRED, "Cannot be blank.");
        errors.add("email", code::INVALID_EMAIL, "ignored: the first failure wins");
        errors.nest("fields", FieldErrors::nested("0", inner));
        errors.nest("empty", FieldErrors::default());
        assert_eq!(
            serde_json::to_value(&errors).expect("json"),
            serde_json::json!({
                "email": {"code": "validation_required", "message": "Cannot be blank."},
                "fields": {"0": {"name": {"code": "validation_min_text_constraint", "message": "Too short.", "params": {"min": 3}}}}
            })
        );
        assert_eq!(errors.get("email").map(|e| e.code), Some(code::REQUIRED));
        assert!(errors.get("fields").is_none() && errors.contains("fields"));
        assert_eq!(errors.describe(), ["email: Cannot be blank.", "fields.0.name: Too short."]);
    }
}
