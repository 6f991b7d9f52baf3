//! API keys (Croft's own, for machines): `croft_<id>_<secret>`, sent like a token in
//! `Authorization`. Only a SHA-256 of the secret is stored; the key is shown once. A key acts as a
//! superuser for the record actions its scopes grant (`{collection, actions}`, `*` for every
//! collection), and for nothing else: every other route refuses it.

use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::AuthError;
use crate::store::{SqlQuery, SqlValue, Statement, Store};

const PREFIX: &str = "croft_";
pub const ACTIONS: &[&str] = &["list", "view", "create", "update", "delete"];

/// One grant: record actions on a collection (name or id; `*` for all).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, poem_openapi::Object)]
pub struct Scope {
    pub collection: String,
    /// Any of `list`, `view`, `create`, `update`, `delete`.
    pub actions: Vec<String>,
}

/// A stored key (never its secret).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, poem_openapi::Object)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase")]
pub struct ApiKey {
    pub id: String,
    pub name: String,
    pub scopes: Vec<Scope>,
    /// When it stops working (`""`: never).
    pub expires: String,
    pub created: String,
}

impl ApiKey {
    /// Whether the key may do `action` on the collection with this name and id.
    pub fn allows(&self, name: &str, id: &str, action: &str) -> bool {
        self.scopes.iter().any(|s| {
            (s.collection == "*" || s.collection == name || s.collection == id)
                && s.actions.iter().any(|a| a == action || a == "*")
        })
    }

    fn expired(&self) -> bool {
        !self.expires.is_empty() && crate::dates::parse(&self.expires).is_some_and(|e| e <= chrono::Utc::now())
    }
}

fn hash(secret: &str) -> String {
    Sha256::digest(secret.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

fn invalid(field: &str, message: &str) -> AuthError {
    AuthError::Rejected {
        message: "An error occurred while validating the submitted data.".into(),
        data: json!({field: {"code": "validation_invalid_value", "message": message}}),
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
    let insert = Statement {
        query: SqlQuery {
            sql: "INSERT INTO _apiKeys (id, name, hash, scopes, expires, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                .into(),
            params: vec![
                SqlValue::Text(id.clone()),
                SqlValue::Text(key.name.clone()),
                SqlValue::Text(hash(&secret)),
                SqlValue::Text(serde_json::to_string(&key.scopes).unwrap_or_else(|_| "[]".into())),
                SqlValue::Text(key.expires.clone()),
                SqlValue::Text(key.created.clone()),
            ],
        },
        must_affect: true,
    };
    store.execute(vec![insert]).await?;
    Ok((key, format!("{PREFIX}{id}_{secret}")))
}

pub async fn list(store: &dyn Store) -> Result<Vec<ApiKey>, AuthError> {
    let q = SqlQuery { sql: format!("{SELECT} ORDER BY created"), params: vec![] };
    Ok(store.query(q).await?.iter().filter_map(|r| from_row(r)).collect())
}

/// Deletes a key; false when there was none.
pub async fn revoke(store: &dyn Store, id: &str) -> Result<bool, AuthError> {
    let found = get(store, id).await?.is_some();
    store.execute(vec![Statement::delete_by_id("_apiKeys", id)]).await?;
    Ok(found)
}

const SELECT: &str = "SELECT id, name, scopes, expires, created, hash FROM _apiKeys";

async fn get(store: &dyn Store, id: &str) -> Result<Option<(ApiKey, String)>, AuthError> {
    let q = SqlQuery { sql: format!("{SELECT} WHERE id = ?1"), params: vec![SqlValue::Text(id.to_owned())] };
    let rows = store.lookup(q).await?;
    Ok(rows.first().and_then(|r| Some((from_row(r)?, text(r.get(5))?))))
}

fn text(v: Option<&SqlValue>) -> Option<String> {
    match v {
        Some(SqlValue::Text(s)) => Some(s.clone()),
        _ => None,
    }
}

fn from_row(r: &[SqlValue]) -> Option<ApiKey> {
    Some(ApiKey {
        id: text(r.first())?,
        name: text(r.get(1))?,
        scopes: serde_json::from_str(&text(r.get(2))?).ok()?,
        expires: text(r.get(3)).unwrap_or_default(),
        created: text(r.get(4)).unwrap_or_default(),
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
    if !same || key.expired() {
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
