//! Pieces of the error model shared by the domain and the HTTP layer.
//!
//! Domain modules return their own `thiserror` enums; `http::error` maps each variant to
//! PocketBase's `{status, message, data}` deliberately. Field-level validation failures travel
//! as [`FieldErrors`], which becomes `data` unchanged.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};

/// One field's failure as PocketBase's JSON `{code, message}`.
pub fn field_error(code: &str, message: &str) -> Value {
    json!({"code": code, "message": message})
}

/// One field's validation failure, as PocketBase reports it: `{code, message}`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FieldError {
    pub code: &'static str,
    pub message: String,
}

/// Validation failures by field name.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
#[serde(transparent)]
pub struct FieldErrors(pub BTreeMap<String, FieldError>);

impl FieldErrors {
    pub fn add(&mut self, field: &str, code: &'static str, message: impl Into<String>) {
        self.0.entry(field.to_owned()).or_insert(FieldError { code, message: message.into() });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn single(field: &str, code: &'static str, message: impl Into<String>) -> Self {
        let mut errors = Self::default();
        errors.add(field, code, message);
        errors
    }
}

/// PocketBase's validation codes (ozzo-validation's and its own).
pub mod code {
    pub const REQUIRED: &str = "validation_required";
    pub const INVALID_EMAIL: &str = "validation_is_email";
    pub const LENGTH_OUT_OF_RANGE: &str = "validation_length_out_of_range";
    pub const VALUE_MUST_BE_UNIQUE: &str = "validation_not_unique";
}
