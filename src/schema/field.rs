//! Field definitions in PocketBase's v0.23+ JSON format: common keys plus per-type options.

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Field {
    #[serde(default)]
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub system: bool,
    #[serde(default)]
    pub hidden: bool,
    #[serde(default)]
    pub presentable: bool,
    #[serde(flatten)]
    pub kind: FieldKind,
}

/// The type of a field and its options.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum FieldKind {
    Text(TextOptions),
    Editor(EditorOptions),
    Number(NumberOptions),
    Bool(BasicOptions),
    Email(DomainOptions),
    Url(DomainOptions),
    Date(DateOptions),
    Autodate(AutodateOptions),
    Select(SelectOptions),
    Json(JsonOptions),
    File(FileOptions),
    Relation(RelationOptions),
    Password(PasswordOptions),
    #[serde(rename = "geoPoint")]
    GeoPoint(BasicOptions),
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct BasicOptions {
    pub help: String,
    pub required: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct TextOptions {
    pub help: String,
    pub required: bool,
    pub min: i64,
    pub max: i64,
    pub pattern: String,
    pub autogenerate_pattern: String,
    pub primary_key: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct EditorOptions {
    pub help: String,
    pub required: bool,
    pub max_size: i64,
    #[serde(rename = "convertURLs")]
    pub convert_urls: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct NumberOptions {
    pub help: String,
    pub required: bool,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub only_int: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct DomainOptions {
    pub help: String,
    pub required: bool,
    #[serde(deserialize_with = "nullable")]
    pub except_domains: Vec<String>,
    #[serde(deserialize_with = "nullable")]
    pub only_domains: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct DateOptions {
    pub help: String,
    pub required: bool,
    pub min: String,
    pub max: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct AutodateOptions {
    pub on_create: bool,
    pub on_update: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct SelectOptions {
    pub help: String,
    pub required: bool,
    #[serde(deserialize_with = "nullable")]
    pub values: Vec<String>,
    pub max_select: i64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct JsonOptions {
    pub help: String,
    pub required: bool,
    pub max_size: i64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct FileOptions {
    pub help: String,
    pub required: bool,
    pub max_select: i64,
    pub max_size: i64,
    #[serde(deserialize_with = "nullable")]
    pub mime_types: Vec<String>,
    #[serde(deserialize_with = "nullable")]
    pub thumbs: Vec<String>,
    pub protected: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct RelationOptions {
    pub help: String,
    pub required: bool,
    pub collection_id: String,
    pub cascade_delete: bool,
    pub min_select: i64,
    pub max_select: i64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct PasswordOptions {
    pub help: String,
    pub required: bool,
    pub min: i64,
    pub max: i64,
    pub cost: i64,
    pub pattern: String,
}

/// PocketBase writes `null` for some empty lists.
fn nullable<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(Option::<Vec<String>>::deserialize(d)?.unwrap_or_default())
}

impl FieldKind {
    /// PocketBase's type name (`"text"`, `"geoPoint"`, …).
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Text(_) => "text",
            Self::Editor(_) => "editor",
            Self::Number(_) => "number",
            Self::Bool(_) => "bool",
            Self::Email(_) => "email",
            Self::Url(_) => "url",
            Self::Date(_) => "date",
            Self::Autodate(_) => "autodate",
            Self::Select(_) => "select",
            Self::Json(_) => "json",
            Self::File(_) => "file",
            Self::Relation(_) => "relation",
            Self::Password(_) => "password",
            Self::GeoPoint(_) => "geoPoint",
        }
    }

    pub fn required(&self) -> bool {
        match self {
            Self::Text(o) => o.required,
            Self::Editor(o) => o.required,
            Self::Number(o) => o.required,
            Self::Bool(o) | Self::GeoPoint(o) => o.required,
            Self::Email(o) | Self::Url(o) => o.required,
            Self::Date(o) => o.required,
            Self::Autodate(_) => false,
            Self::Select(o) => o.required,
            Self::Json(o) => o.required,
            Self::File(o) => o.required,
            Self::Relation(o) => o.required,
            Self::Password(o) => o.required,
        }
    }
}

impl Field {
    pub fn type_name(&self) -> &'static str {
        self.kind.type_name()
    }

    /// Multiple select, relation or file: stored as a JSON array.
    pub fn is_multiple(&self) -> bool {
        match &self.kind {
            FieldKind::Select(o) => o.max_select > 1,
            FieldKind::File(o) => o.max_select > 1,
            FieldKind::Relation(o) => o.max_select > 1,
            _ => false,
        }
    }

    /// Fields whose stored text is JSON (json, geoPoint and multi-valued fields).
    pub fn is_json(&self) -> bool {
        matches!(self.kind, FieldKind::Json(_) | FieldKind::GeoPoint(_)) || self.is_multiple()
    }

    /// The zero value PocketBase shows for an unset field.
    pub fn zero_value(&self) -> Value {
        match &self.kind {
            _ if self.is_multiple() => Value::Array(Vec::new()),
            FieldKind::Number(_) => Value::from(0),
            FieldKind::Bool(_) => Value::Bool(false),
            FieldKind::Json(_) => Value::Null,
            FieldKind::GeoPoint(_) => serde_json::json!({"lon": 0, "lat": 0}),
            _ => Value::String(String::new()),
        }
    }

    /// PocketBase's default field id: type name + crc32 of the field name.
    pub fn default_id(type_name: &str, name: &str) -> String {
        format!("{type_name}{}", crc32fast::hash(name.as_bytes()))
    }

    pub fn new(name: &str, kind: FieldKind) -> Self {
        Self {
            id: Self::default_id(kind.type_name(), name),
            name: name.to_owned(),
            system: false,
            hidden: false,
            presentable: false,
            kind,
        }
    }

    pub fn system(mut self) -> Self {
        self.system = true;
        self
    }

    pub fn hidden(mut self) -> Self {
        self.hidden = true;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_writes_pocketbase_field_json() {
        let json = r#"{"cascadeDelete":false,"collectionId":"_pb_users_auth_","help":"","hidden":false,
            "id":"relation3182418120","maxSelect":1,"minSelect":0,"name":"author","presentable":false,
            "required":false,"system":false,"type":"relation"}"#;
        let field: Field = serde_json::from_str(json).expect("parse");
        assert!(matches!(&field.kind, FieldKind::Relation(o) if o.collection_id == "_pb_users_auth_"));
        assert!(!field.is_multiple());
        let back = serde_json::to_value(&field).expect("write");
        assert_eq!(back, serde_json::from_str::<Value>(json).expect("json"));
        assert_eq!(Field::default_id("text", "title"), "text724990059");
    }

    #[test]
    fn minimal_definitions_get_defaults() {
        let field: Field =
            serde_json::from_str(r#"{"name":"tags","type":"select","values":["a"],"maxSelect":3}"#).expect("parse");
        assert!(field.is_multiple() && field.is_json());
        assert_eq!(field.zero_value(), serde_json::json!([]));
        let geo: Field = serde_json::from_str(r#"{"name":"loc","type":"geoPoint"}"#).expect("parse");
        assert_eq!(geo.type_name(), "geoPoint");
        assert!(serde_json::from_str::<Field>(r#"{"name":"x","type":"nope"}"#).is_err());
    }
}
