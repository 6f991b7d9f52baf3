//! Who is calling: the `Authorization` header (`TOKEN` or `Bearer TOKEN`) resolved to a
//! [`Principal`]. Documented in the OpenAPI document as the `TokenAuth` security scheme.

use poem::Request;
use poem::web::Data;
use poem_openapi::SecurityScheme;
use poem_openapi::auth::ApiKey;

use super::error::{ApiError, ApiResult, MSG_SUPERUSER_ONLY};
use crate::app::AppState;
use crate::auth::Principal;

/// An auth token from `POST /api/collections/{collection}/auth-with-password`, sent as
/// `Authorization: <token>` or `Authorization: Bearer <token>`.
#[derive(SecurityScheme)]
#[oai(ty = "api_key", key_name = "Authorization", key_in = "header", checker = "check_token")]
pub struct TokenAuth(pub Principal);

/// Authentication that may be absent: guests are allowed, an invalid token counts as a guest
/// (as in PocketBase).
#[derive(SecurityScheme)]
#[allow(clippy::large_enum_variant)] // built once per request, never stored
pub enum MaybeAuth {
    Token(TokenAuth),
    #[oai(fallback)]
    Guest,
}

impl MaybeAuth {
    pub fn principal(&self) -> Option<&Principal> {
        match self {
            Self::Token(TokenAuth(p)) => Some(p),
            Self::Guest => None,
        }
    }
}

const MSG_ADMIN_LISTENER: &str = "Superusers may act only through the admin listener (--admin-http).";

async fn check_token(req: &Request, key: ApiKey) -> poem::Result<Principal> {
    let Some(Data(state)) = req.data::<AppState>().map(Data) else {
        return Err(ApiError::internal(anyhow::anyhow!("app state missing from request")).into());
    };
    let token = strip_bearer(&key.key);
    match crate::auth::authenticate_token(&state.auth, token).await {
        Ok(Some(principal))
            if principal.is_superuser() && req.extensions().get::<super::edge::PublicListener>().is_some() =>
        {
            Err(ApiError::forbidden(MSG_ADMIN_LISTENER).into())
        }
        Ok(Some(principal)) => {
            super::middleware::AuthSlot::set(req, &principal.collection.name, &principal.record.id);
            Ok(principal)
        }
        Ok(None) => {
            crate::telemetry::auth_failure("token");
            Err(ApiError::unauthorized().into())
        }
        Err(err) => Err(ApiError::from(err).into()),
    }
}

/// PocketBase accepts the token bare or after a case-insensitive `Bearer `.
pub(super) fn strip_bearer(value: &str) -> &str {
    match value.get(..7) {
        Some(prefix) if prefix.eq_ignore_ascii_case("bearer ") => value[7..].trim(),
        _ => value.trim(),
    }
}

impl TokenAuth {
    /// Superusers only: others get 403.
    pub fn require_superuser(&self) -> ApiResult<&Principal> {
        if self.0.is_superuser() { Ok(&self.0) } else { Err(ApiError::forbidden(MSG_SUPERUSER_ONLY)) }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn bearer_is_optional_and_case_insensitive() {
        assert_eq!(super::strip_bearer("Bearer abc"), "abc");
        assert_eq!(super::strip_bearer("bearer abc"), "abc");
        assert_eq!(super::strip_bearer("abc"), "abc");
        assert_eq!(super::strip_bearer("Bear"), "Bear");
    }
}
