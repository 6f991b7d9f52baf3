//! Every error leaves the server in PocketBase's shape: `{"status", "message", "data"}`.
//!
//! Handlers return [`ApiError`]; domain errors map into it explicitly (no catch-all arm), and
//! errors raised by the framework itself (unknown route, bad JSON, missing auth…) are rewritten
//! by [`to_response`] in the outermost error middleware. Internal details are logged, never sent.

use poem::http::{HeaderValue, StatusCode, header};
use poem::{IntoResponse, Response};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object};
use serde_json::{Map, Value, json};

use crate::auth::AuthError;
use crate::error::FieldErrors;

/// PocketBase's error body.
#[derive(Debug, Clone, Object)]
pub struct ErrorBody {
    /// The HTTP status, repeated.
    pub status: u16,
    /// A human-readable message.
    pub message: String,
    /// Field errors (`{field: {code, message}}`) or other details; always an object.
    pub data: Value,
}

#[derive(Debug, ApiResponse)]
pub enum ApiError {
    /// The request is invalid; `data` names the failing fields.
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// Authentication is missing or invalid.
    #[oai(status = 401)]
    Unauthorized(Json<ErrorBody>),
    /// The caller is not allowed to do this.
    #[oai(status = 403)]
    Forbidden(Json<ErrorBody>),
    /// The resource does not exist (or is hidden from the caller).
    #[oai(status = 404)]
    NotFound(Json<ErrorBody>),
    /// The request body is larger than the configured limit.
    #[oai(status = 413)]
    PayloadTooLarge(Json<ErrorBody>),
    /// The request body is not JSON (send `Content-Type: application/json`).
    #[oai(status = 415)]
    UnsupportedMediaType(Json<ErrorBody>),
    /// Too many attempts; try again later.
    #[oai(status = 429)]
    TooManyRequests(Json<ErrorBody>),
    /// Something failed on the server; details are in the server log.
    #[oai(status = 500)]
    Internal(Json<ErrorBody>),
    /// A dependency (database, storage) is not available.
    #[oai(status = 503)]
    Unavailable(Json<ErrorBody>),
}

pub type ApiResult<T> = Result<T, ApiError>;

pub const MSG_NOT_FOUND: &str = "The requested resource wasn't found.";
pub const MSG_FORBIDDEN: &str = "You are not allowed to perform this request.";
pub const MSG_SUPERUSER_ONLY: &str = "The authorized record is not allowed to perform this action.";
pub const MSG_UNAUTHORIZED: &str = "The request requires valid record authorization token.";
pub const MSG_INTERNAL: &str = "Something went wrong while processing your request.";
pub const MSG_BAD_JSON: &str = "Failed to load the submitted data due to invalid formatting.";

fn body(status: StatusCode, message: &str, data: Value) -> Json<ErrorBody> {
    let data = if data.is_object() { data } else { Value::Object(Map::new()) };
    Json(ErrorBody { status: status.as_u16(), message: message.to_owned(), data })
}

fn empty() -> Value {
    Value::Object(Map::new())
}

impl ApiError {
    pub fn bad_request(message: &str, data: Value) -> Self {
        Self::BadRequest(body(StatusCode::BAD_REQUEST, message, data))
    }
    pub fn invalid(message: &str, errors: &FieldErrors) -> Self {
        Self::bad_request(message, serde_json::to_value(errors).unwrap_or_default())
    }
    pub fn unauthorized() -> Self {
        Self::Unauthorized(body(StatusCode::UNAUTHORIZED, MSG_UNAUTHORIZED, empty()))
    }
    pub fn unauthorized_with(message: &str) -> Self {
        Self::Unauthorized(body(StatusCode::UNAUTHORIZED, message, empty()))
    }
    pub fn too_many_requests(message: &str) -> Self {
        Self::TooManyRequests(body(StatusCode::TOO_MANY_REQUESTS, message, empty()))
    }
    pub fn forbidden(message: &str) -> Self {
        Self::Forbidden(body(StatusCode::FORBIDDEN, message, empty()))
    }
    pub fn not_found(message: &str) -> Self {
        Self::NotFound(body(StatusCode::NOT_FOUND, message, empty()))
    }
    pub fn unavailable(message: &str) -> Self {
        Self::Unavailable(body(StatusCode::SERVICE_UNAVAILABLE, message, empty()))
    }
    /// Logs the cause with its chain; the client only learns that something failed.
    pub fn internal(err: impl Into<anyhow::Error>) -> Self {
        let err = err.into();
        tracing::error!(error = %format!("{err:#}"), "internal error");
        Self::Internal(body(StatusCode::INTERNAL_SERVER_ERROR, MSG_INTERNAL, empty()))
    }
}

impl ApiError {
    /// The JSON body this error answers with.
    pub fn body(&self) -> &ErrorBody {
        match self {
            Self::BadRequest(b)
            | Self::Unauthorized(b)
            | Self::Forbidden(b)
            | Self::NotFound(b)
            | Self::PayloadTooLarge(b)
            | Self::UnsupportedMediaType(b)
            | Self::TooManyRequests(b)
            | Self::Internal(b)
            | Self::Unavailable(b) => &b.0,
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(err: AuthError) -> Self {
        match err {
            AuthError::CollectionNotFound => Self::not_found("Missing or invalid auth collection context."),
            AuthError::InvalidCredentials => Self::bad_request("Failed to authenticate.", empty()),
            AuthError::Invalid(errors) => Self::invalid("Failed to validate the submitted data.", &errors),
            AuthError::NotFound => Self::not_found(MSG_NOT_FOUND),
            AuthError::InvalidOtp => Self::bad_request("Invalid or expired OTP.", empty()),
            AuthError::Rejected { message, data } => Self::invalid(&message, &data),
            AuthError::Mail(message) => {
                Self::bad_request("Failed to send the test email.", json!({"message": message}))
            }
            AuthError::Unauthorized(message) => Self::unauthorized_with(message),
            AuthError::Forbidden(message) => Self::forbidden(message),
            AuthError::TooManyRequests(message) => Self::too_many_requests(message),
            AuthError::Internal(e) => Self::internal(e),
        }
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(err: crate::store::StoreError) -> Self {
        Self::internal(err)
    }
}

/// A PocketBase-shaped response for any status, with the generic message for it.
pub fn response(status: StatusCode, message: &str, data: Value) -> Response {
    let mut resp = poem_openapi::payload::Json(body(status, message, data).0).into_response();
    resp.set_status(status);
    resp
}

/// Rewrites an error raised anywhere below into PocketBase's shape. `allow` lists the methods
/// of the matched path for a 405.
pub fn to_response(err: poem::Error, allow: Option<String>) -> Response {
    if err.is_from_response() {
        return err.into_response();
    }
    // A path segment that does not decode (`%ff`) names nothing: PocketBase answers 404.
    let status = if err.is::<poem::error::ParsePathError>() { StatusCode::NOT_FOUND } else { err.status() };
    if status.is_server_error() {
        tracing::error!(error = %err, status = status.as_u16(), "request failed");
    }
    let (message, data) = describe(&err, status);
    let mut resp = response(status, &message, data);
    if let Some(allow) = allow.and_then(|a| HeaderValue::from_str(&a).ok()) {
        resp.headers_mut().insert(header::ALLOW, allow);
    }
    resp
}

fn describe(err: &poem::Error, status: StatusCode) -> (String, Value) {
    use poem_openapi::error::{AuthorizationError, ContentTypeError, ParseParamError, ParseRequestPayloadError};
    if let Some(e) = err.downcast_ref::<ParseParamError>() {
        let data = serde_json::json!({ e.name: { "code": "validation_invalid_value", "message": e.reason } });
        return ("Invalid request parameters.".to_owned(), data);
    }
    if err.is::<ParseRequestPayloadError>() || err.is::<poem::error::ParseJsonError>() {
        return (MSG_BAD_JSON.to_owned(), empty());
    }
    if let Some(e) = err.downcast_ref::<ContentTypeError>() {
        return (e.to_string(), empty());
    }
    if err.is::<AuthorizationError>() {
        return (MSG_UNAUTHORIZED.to_owned(), empty());
    }
    let message = match status {
        StatusCode::NOT_FOUND => MSG_NOT_FOUND,
        StatusCode::METHOD_NOT_ALLOWED => "The requested method is not allowed for this resource.",
        StatusCode::PAYLOAD_TOO_LARGE => "Request entity too large.",
        StatusCode::UNAUTHORIZED => MSG_UNAUTHORIZED,
        StatusCode::FORBIDDEN => MSG_FORBIDDEN,
        StatusCode::TOO_MANY_REQUESTS => "Too Many Requests.",
        s if s.is_server_error() => MSG_INTERNAL,
        s => s.canonical_reason().unwrap_or("Something went wrong while processing your request."),
    };
    (message.to_owned(), empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::code;

    async fn json_of(resp: Response) -> (StatusCode, Value) {
        let status = resp.status();
        let body = resp.into_body().into_json::<Value>().await.expect("json body");
        (status, body)
    }

    #[tokio::test]
    async fn domain_errors_map_to_pocketbase_shape() {
        let errors = FieldErrors::single("email", code::REQUIRED, "Cannot be blank.");
        let resp = poem::Error::from(ApiError::from(AuthError::Invalid(errors))).into_response();
        let (status, body) = json_of(resp).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["status"], 400);
        assert_eq!(body["data"]["email"]["code"], "validation_required");
        let (status, body) =
            json_of(poem::Error::from(ApiError::internal(anyhow::anyhow!("secret path /etc"))).into_response()).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!body.to_string().contains("/etc"), "internal text leaked: {body}");
    }

    #[tokio::test]
    async fn framework_errors_are_rewritten() {
        let (status, body) = json_of(to_response(poem::error::NotFoundError.into(), None)).await;
        assert_eq!((status.as_u16(), body["message"].as_str()), (404, Some(MSG_NOT_FOUND)));
        let resp = to_response(poem::error::MethodNotAllowedError.into(), Some("GET, HEAD".into()));
        assert_eq!(resp.headers().get("allow").and_then(|v| v.to_str().ok()), Some("GET, HEAD"));
        let (status, body) = json_of(resp).await;
        assert_eq!(status.as_u16(), 405);
        assert!(body["data"].is_object());
    }
}
