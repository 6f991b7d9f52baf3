//! Collections and fields: the runtime schema, in PocketBase's v0.23+ JSON format.
//!
//! A [`Schema`] is an immutable snapshot of every collection; the app swaps in a new one after
//! each schema change, so readers never see a half-applied change.

pub mod auth;
mod field;
mod registry;
mod validate;
mod view;

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use auth::AuthCollection;
pub use field::*;
pub use registry::Registry;
pub use validate::{SchemaError, validate_collection};
pub use view::infer_fields;

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum CollectionKind {
    #[default]
    Base,
    Auth,
    View,
}

impl CollectionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Base => "base",
            Self::Auth => "auth",
            Self::View => "view",
        }
    }
}

/// The five API rules; `None` = superusers only, `Some("")` = everyone.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Rules {
    #[serde(default)]
    pub list_rule: Option<String>,
    #[serde(default)]
    pub view_rule: Option<String>,
    #[serde(default)]
    pub create_rule: Option<String>,
    #[serde(default)]
    pub update_rule: Option<String>,
    #[serde(default)]
    pub delete_rule: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Collection {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(rename = "type", default)]
    pub kind: CollectionKind,
    #[serde(default)]
    pub system: bool,
    #[serde(default)]
    pub fields: Vec<Field>,
    #[serde(default)]
    pub indexes: Vec<String>,
    #[serde(flatten)]
    pub rules: Rules,
    #[serde(default)]
    pub created: String,
    #[serde(default)]
    pub updated: String,
    /// Type-specific options (auth settings, `viewQuery`), kept as PocketBase writes them.
    #[serde(flatten)]
    pub options: Map<String, Value>,
}

/// A deliberately plain check: one `@`, a non-empty local part, a dotted domain, no spaces.
pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    s.len() <= 254
        && !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

impl Collection {
    /// PocketBase's default id: `pbc_` + crc32 of type and name.
    pub fn default_id(kind: CollectionKind, name: &str) -> String {
        format!("pbc_{}", crc32fast::hash(format!("{}{name}", kind.as_str()).as_bytes()))
    }

    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    pub fn is_auth(&self) -> bool {
        self.kind == CollectionKind::Auth
    }

    /// Whether one of the collection's indexes is a UNIQUE index on `field` alone (the index
    /// text as PocketBase writes it, with the column in backticks or double quotes).
    pub fn has_unique_index_on(&self, field: &str) -> bool {
        let quoted = [format!("`{field}`"), format!("\"{field}\"")];
        self.indexes.iter().any(|i| {
            i.to_ascii_uppercase().starts_with("CREATE UNIQUE")
                && quoted.iter().any(|q| i.contains(q.as_str()))
                && !i.contains(',')
        })
    }

    /// The view query of a view collection.
    pub fn view_query(&self) -> Option<&str> {
        self.options.get("viewQuery").and_then(Value::as_str)
    }

    /// The collection as the API shows it: secrets (token secrets, OAuth2 client secrets) removed.
    pub fn public_json(&self) -> Value {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        if let Some(obj) = value.as_object_mut() {
            for (_, opt) in obj.iter_mut() {
                if let Some(o) = opt.as_object_mut() {
                    o.remove("secret");
                }
            }
        }
        value
    }
}

/// A snapshot of every collection.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    collections: Vec<Arc<Collection>>,
    /// The auth view of every auth collection, parsed once per snapshot.
    auth: Vec<AuthCollection>,
}

impl Schema {
    pub fn new(collections: Vec<Collection>) -> Self {
        let auth = collections
            .iter()
            .filter_map(AuthCollection::from_collection)
            // Options that do not parse (a definition still being validated, or a broken one)
            // leave the collection out: sign-ins to it answer "missing auth collection".
            .filter_map(|parsed| parsed.map_err(|e| tracing::debug!(error = %format!("{e:#}"), "auth options")).ok())
            .collect();
        Self { collections: collections.into_iter().map(Arc::new).collect(), auth }
    }

    /// An auth collection by id, or by name case-insensitively.
    pub fn auth_collection(&self, id_or_name: &str) -> Option<&AuthCollection> {
        self.auth
            .iter()
            .find(|c| c.id == id_or_name)
            .or_else(|| self.auth.iter().find(|c| c.name.eq_ignore_ascii_case(id_or_name)))
    }

    pub fn all(&self) -> &[Arc<Collection>] {
        &self.collections
    }

    /// By id, or by name case-insensitively (as PocketBase looks collections up).
    pub fn get(&self, id_or_name: &str) -> Option<&Arc<Collection>> {
        self.collections
            .iter()
            .find(|c| c.id == id_or_name)
            .or_else(|| self.collections.iter().find(|c| c.name.eq_ignore_ascii_case(id_or_name)))
    }

    pub fn by_id(&self, id: &str) -> Option<&Arc<Collection>> {
        self.collections.iter().find(|c| c.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_ids_match_pocketbase() {
        assert_eq!(Collection::default_id(CollectionKind::Base, "posts"), "pbc_1125843985");
    }

    #[test]
    fn collection_json_round_trips_with_options() {
        let json = serde_json::json!({
            "id": "pbc_1", "name": "users", "type": "auth", "system": false, "fields": [],
            "indexes": [], "listRule": null, "viewRule": "", "createRule": null, "updateRule": null,
            "deleteRule": null, "created": "", "updated": "",
            "authToken": {"duration": 10, "secret": "s"}, "authRule": ""
        });
        let c: Collection = serde_json::from_value(json.clone()).expect("parse");
        assert_eq!(c.rules.view_rule.as_deref(), Some(""));
        assert!(c.options.contains_key("authToken"));
        assert_eq!(serde_json::to_value(&c).expect("write"), json);
        assert!(c.public_json()["authToken"].get("secret").is_none());
    }
}
