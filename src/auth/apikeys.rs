//! API keys (Croft's own, for machines): `croft_<id>_<secret>`, sent like a token in
//! `Authorization`. Only a SHA-256 of the secret is stored; the key is shown once. A key acts as a
//! superuser for the record actions its scopes grant (`{collection, actions}`, `*` for every
//! collection), and for nothing else: every other route refuses it.

use sha2::{Digest, Sha256};

use super::AuthError;
use crate::error::{FieldErrors, code};
use crate::store::model::ApiKeyRow;
use crate::store::{Store, system};

const PREFIX: &str = "croft_";
pub const ACTIONS: &[&str] = &["list", "view", "create", "update", "delete"];

pub use crate::filter::grants::{ApiKey, Scope};

fn hash(secret: &str) -> String {
    Sha256::digest(secret.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

fn invalid(field: &str, message: &str) -> AuthError {
    AuthError::Rejected {
        message: "An error occurred while validating the submitted data.".into(),
        data: FieldErrors::single(field, code::INVALID_VALUE, message),
    }
}

/// Creates a key; returns it with its secret (the only time the secret exists in clear).
pub async fn create(
    store: &dyn Store,
    name: &str,
    scopes: Vec<Scope>,
    expires: &str,
) -> Result<(ApiKey, String), AuthError> {
    if name.trim().is_empty() || name.len() > 100 {
        return Err(invalid("name", "A name of 1 to 100 characters is required."));
    }
    if scopes.is_empty() {
        return Err(invalid("scopes", "At least one scope is required."));
    }
    for s in &scopes {
        if s.collection.trim().is_empty() || s.actions.is_empty() {
            return Err(invalid("scopes", "Every scope needs a collection and at least one action."));
        }
        if let Some(a) = s.actions.iter().find(|a| *a != "*" && !ACTIONS.contains(&a.as_str())) {
            return Err(invalid("scopes", &format!("Unknown action {a:?}; use list, view, create, update or delete.")));
        }
    }
    let expires = if expires.is_empty() {
        String::new()
    } else {
        let at = crate::dates::parse(expires).ok_or_else(|| invalid("expires", "Must be a valid date."))?;
        if at <= chrono::Utc::now() {
            return Err(invalid("expires", "Must be in the future."));
        }
        crate::dates::format(at)
    };
    let id = crate::ids::record_id();
    let secret = crate::ids::secret_key();
    let key = ApiKey { id: id.clone(), name: name.trim().to_owned(), scopes, expires, created: crate::dates::now() };
    let row = ApiKeyRow {
        id: id.clone(),
        name: key.name.clone(),
        hash: hash(&secret),
        scopes_json: serde_json::to_string(&key.scopes).unwrap_or_else(|_| "[]".into()),
        expires: key.expires.clone(),
        created: key.created.clone(),
    };
    system::insert_api_key(store, &row).await?;
    Ok((key, format!("{PREFIX}{id}_{secret}")))
}

pub async fn list(store: &dyn Store) -> Result<Vec<ApiKey>, AuthError> {
    Ok(system::api_keys(store).await?.iter().filter_map(from_row).collect())
}

/// Deletes a key; false when there was none.
pub async fn revoke(store: &dyn Store, id: &str) -> Result<bool, AuthError> {
    Ok(system::delete_api_key(store, id).await?)
}

async fn get(store: &dyn Store, id: &str) -> Result<Option<(ApiKey, String)>, AuthError> {
    let row = system::api_key_by_id(store, id).await?;
    Ok(row.and_then(|r| Some((from_row(&r)?, r.hash))))
}

fn from_row(r: &ApiKeyRow) -> Option<ApiKey> {
    Some(ApiKey {
        id: r.id.clone(),
        name: r.name.clone(),
        scopes: serde_json::from_str(&r.scopes_json).ok()?,
        expires: r.expires.clone(),
        created: r.created.clone(),
    })
}

/// Whether a bearer value looks like an API key (then it is never tried as a JWT).
pub fn is_key(token: &str) -> bool {
    token.starts_with(PREFIX)
}

/// The key a bearer value names, if it is valid, unexpired and its secret matches.
pub async fn authenticate(store: &dyn Store, token: &str) -> Result<Option<ApiKey>, AuthError> {
    let Some((id, secret)) = token.strip_prefix(PREFIX).and_then(|rest| rest.split_once('_')) else {
        return Ok(None);
    };
    let Some((key, stored)) = get(store, id).await? else { return Ok(None) };
    let given = hash(secret);
    // Compare the digests in constant time.
    let same =
        given.len() == stored.len() && given.bytes().zip(stored.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0;
    if !same || key.expired(chrono::Utc::now()) {
        return Ok(None);
    }
    Ok(Some(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_grant_named_actions_only() {
        let key = ApiKey {
            id: "k".into(),
            name: "ci".into(),
            scopes: vec![
                Scope { collection: "posts".into(), actions: vec!["list".into(), "view".into()] },
                Scope { collection: "*".into(), actions: vec!["create".into()] },
            ],
            expires: String::new(),
            created: String::new(),
        };
        assert!(key.allows("posts", "pbc_1", "list"));
        assert!(!key.allows("posts", "pbc_1", "delete"));
        assert!(key.allows("notes", "pbc_2", "create"));
        assert!(!key.allows("notes", "pbc_2", "view"));
        assert_eq!(hash("abc").len(), 64);
        assert!(is_key("croft_x_y") && !is_key("eyJ"));
    }
}
