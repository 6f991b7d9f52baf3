//! The first superuser: while none exists, `serve` prints a one-time installer link
//! (`/_/#/install/<token>`), and `POST /api/installer` with that token creates the first
//! superuser. Only a SHA-256 of the token is stored (in `_params`), it expires after an hour,
//! and it works once, and only while there is no superuser.

use serde_json::json;
use sha2::{Digest, Sha256};

use super::{Auth, AuthError, superusers};
use crate::error::{FieldErrors, code};

const PARAM: &str = "installer";
const LIFETIME_SECS: i64 = 3600;

fn digest(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// A fresh installer token when no superuser exists (replacing any earlier one).
pub async fn prepare(auth: &Auth) -> Result<Option<String>, AuthError> {
    let store = auth.store.as_ref();
    if superusers::count(auth).await? > 0 {
        return Ok(None);
    }
    let token = crate::ids::secret_key();
    let expires = chrono::Utc::now().timestamp() + LIFETIME_SECS;
    let value = json!({"hash": digest(&token), "expires": expires}).to_string();
    store.set_param(PARAM, &value).await?;
    Ok(Some(token))
}

fn refused() -> AuthError {
    let message = "The installer link is invalid, expired or already used.".into();
    AuthError::Rejected { message, data: FieldErrors::default() }
}

/// Creates the first superuser with a valid installer token; the token is used up.
pub async fn complete(
    auth: &Auth,
    token: &str,
    email: &str,
    password: &str,
    confirm: &str,
) -> Result<super::AuthRecord, AuthError> {
    let store = auth.store.as_ref();
    if superusers::count(auth).await? > 0 {
        return Err(refused());
    }
    let stored: serde_json::Value =
        store.param(PARAM).await?.and_then(|t| serde_json::from_str(&t).ok()).ok_or_else(refused)?;
    let fresh = stored["expires"].as_i64().is_some_and(|e| e > chrono::Utc::now().timestamp());
    if !fresh || stored["hash"].as_str() != Some(digest(token).as_str()) {
        return Err(refused());
    }
    if password != confirm {
        return Err(AuthError::Rejected {
            message: "An error occurred while validating the submitted data.".into(),
            data: FieldErrors::single("passwordConfirm", code::VALUES_MISMATCH, "Values don't match."),
        });
    }
    let record = superusers::create(auth, email, password).await?;
    store.set_param(PARAM, "null").await?;
    Ok(record)
}
