//! What an API key grants: record actions on named collections (`*` for all). Rules and
//! queries see it through [`super::AuthInfo::key`]; keys are issued by `auth::apikeys`.

use serde::{Deserialize, Serialize};

/// One grant: record actions on a collection (name or id; `*` for all).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Scope {
    pub collection: String,
    /// Any of `list`, `view`, `create`, `update`, `delete`.
    pub actions: Vec<String>,
}

/// A stored key (never its secret).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
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

    /// Whether the key had stopped working by `now`.
    pub fn expired(&self, now: chrono::DateTime<chrono::Utc>) -> bool {
        !self.expires.is_empty() && crate::dates::parse(&self.expires).is_some_and(|e| e <= now)
    }
}
