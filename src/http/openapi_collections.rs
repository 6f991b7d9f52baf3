//! The runtime part of the OpenAPI document: concrete, typed paths for every collection,
//! derived from its fields and rules. Regenerated from the current schema on every request of
//! `/api/openapi.json`, so Swagger UI always shows the API as it is now.

use serde_json::{Map, Value, json};

use crate::schema::{Collection, CollectionKind, Field, FieldKind, Schema};

/// Adds `/api/collections/<name>/records[/{id}]` and their schemas for every collection.
pub fn merge(document: &mut Value, schema: &Schema) {
    let mut paths = Map::new();
    let mut schemas = Map::new();
    for c in schema.all().iter().filter(|c| c.name != crate::auth::SUPERUSERS) {
        let base = type_name(&c.name);
        schemas.insert(format!("{base}Record"), record_schema(c));
        schemas.insert(format!("{base}Expand"), expand_schema(c, schema));
        schemas.insert(format!("{base}Event"), json!({"type": "object", "required": ["action", "record"],
            "description": format!("A realtime message about a {} record (event `{}/*` or `{}/RECORD_ID`).", c.name, c.name, c.name),
            "properties": {"action": {"type": "string", "enum": ["create", "update", "delete"]},
                "record": {"$ref": format!("#/components/schemas/{base}Record")}}}));
        if c.kind != CollectionKind::View {
            schemas.insert(format!("{base}Create"), input_schema(c, true));
            schemas.insert(format!("{base}Update"), input_schema(c, false));
        }
        schemas.insert(format!("{base}List"), list_schema(&base));
        let (list, one) = collection_paths(c, &base);
        paths.insert(format!("/api/collections/{}/records", c.name), list);
        paths.insert(format!("/api/collections/{}/records/{{id}}", c.name), one);
    }
    if let Some(p) = document.get_mut("paths").and_then(Value::as_object_mut) {
        p.extend(paths);
    }
    if let Some(s) = document.pointer_mut("/components/schemas").and_then(Value::as_object_mut) {
        s.extend(schemas);
    }
}

/// `blog_posts` -> `BlogPosts`.
fn type_name(name: &str) -> String {
    name.split('_')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut cs = p.chars();
            cs.next().map(|f| f.to_uppercase().chain(cs).collect::<String>()).unwrap_or_default()
        })
        .collect()
}

fn field_schema(f: &Field) -> Value {
    let item = |values: &[String]| {
        if values.is_empty() { json!({"type": "string"}) } else { json!({"type": "string", "enum": values}) }
    };
    let mut s = match &f.kind {
        FieldKind::Text(o) => {
            let mut s = json!({"type": "string"});
            if o.min > 0 {
                s["minLength"] = json!(o.min);
            }
            if o.max > 0 {
                s["maxLength"] = json!(o.max);
            }
            if !o.pattern.is_empty() {
                s["pattern"] = json!(o.pattern);
            }
            s
        }
        FieldKind::Editor(_) | FieldKind::Password(_) => json!({"type": "string"}),
        FieldKind::Number(o) => {
            let mut s = json!({"type": if o.only_int { "integer" } else { "number" }});
            if let Some(min) = o.min {
                s["minimum"] = json!(min);
            }
            if let Some(max) = o.max {
                s["maximum"] = json!(max);
            }
            s
        }
        FieldKind::Bool(_) => json!({"type": "boolean"}),
        FieldKind::Email(_) => {
            json!({"type": "string", "pattern": "^$|^[^@\\s]+@[^@\\s]+$", "description": "An email address, or empty (a `format` would refuse the empty string)."})
        }
        FieldKind::Url(_) => {
            json!({"type": "string", "pattern": "^$|^[A-Za-z][A-Za-z0-9+.-]*:", "description": "A URL, or empty (a `format` would refuse the empty string)."})
        }
        FieldKind::Date(_) | FieldKind::Autodate(_) => json!({"type": "string", "pattern": DATE_PATTERN,
            "description": "`2006-01-02 15:04:05.000Z` (UTC), or empty.", "example": "2026-01-02 03:04:05.000Z"}),
        FieldKind::Select(o) if f.is_multiple() => {
            json!({"type": "array", "items": item(&o.values), "maxItems": o.max_select})
        }
        FieldKind::Select(o) => {
            let mut values = o.values.clone();
            values.push(String::new());
            item(&values)
        }
        FieldKind::Relation(_) if f.is_multiple() => {
            json!({"type": "array", "items": {"type": "string"}, "description": "Record ids."})
        }
        FieldKind::Relation(_) => json!({"type": "string", "description": "A record id, or empty."}),
        FieldKind::File(_) if f.is_multiple() => json!({"type": "array", "items": {"type": "string"}}),
        FieldKind::File(_) => json!({"type": "string", "description": "A stored file name."}),
        FieldKind::Json(_) => json!({"description": "Any JSON value."}),
        FieldKind::GeoPoint(_) => json!({"type": "object", "required": ["lon", "lat"], "properties": {
            "lon": {"type": "number", "minimum": -180, "maximum": 180},
            "lat": {"type": "number", "minimum": -90, "maximum": 90}}}),
    };
    if !f.kind.type_name().is_empty() {
        s["x-croft-field-type"] = json!(f.type_name());
    }
    s
}

/// PocketBase's date format, or empty.
const DATE_PATTERN: &str = r"^$|^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}Z$";

/// A record as every answer holds it: each visible field is always present (an unset value is
/// `""`, `0`, `false` or `[]`, as PocketBase answers), so each is `required`; `email` of an auth
/// collection only when visible to the caller, `expand` only when asked for.
fn record_schema(c: &Collection) -> Value {
    let mut props = Map::new();
    let mut required = vec![json!("collectionId"), json!("collectionName")];
    props.insert("collectionId".into(), json!({"type": "string", "example": c.id}));
    props.insert("collectionName".into(), json!({"type": "string", "example": c.name}));
    for f in c.fields.iter().filter(|f| !f.hidden && !matches!(f.kind, FieldKind::Password(_))) {
        props.insert(f.name.clone(), field_schema(f));
        let optional = c.kind == CollectionKind::Auth && f.name == "email";
        if !optional {
            required.push(json!(f.name));
        }
    }
    props.insert(
        "expand".into(),
        json!({"$ref": format!("#/components/schemas/{}Expand", type_name(&c.name)),
               "description": "Related records, present only with `expand`."}),
    );
    json!({"type": "object", "title": format!("{} record", c.name), "properties": props, "required": required,
        "description": "Every visible field is always present, unless the `fields` parameter picks a subset; `email` only when visible to the caller."})
}

/// The records `expand` can inline: each relation field's collection (one record, or a list for
/// a multiple relation) and back-relations `<collection>_via_<field>` (lists). References, not
/// copies, so the document stays finite whatever the cycles.
fn expand_schema(c: &Collection, schema: &Schema) -> Value {
    let record_ref = |target: &Collection| {
        (target.name != crate::auth::SUPERUSERS)
            .then(|| json!({"$ref": format!("#/components/schemas/{}Record", type_name(&target.name))}))
    };
    let mut props = Map::new();
    for f in c.fields.iter().filter(|f| !f.hidden) {
        let FieldKind::Relation(o) = &f.kind else { continue };
        let Some(one) = schema.get(&o.collection_id).and_then(|t| record_ref(t)) else { continue };
        let value = if f.is_multiple() { json!({"type": "array", "items": one}) } else { one };
        props.insert(f.name.clone(), value);
    }
    for other in schema.all().iter().filter(|o| o.kind != CollectionKind::View) {
        for f in other.fields.iter().filter(|f| !f.hidden) {
            let FieldKind::Relation(o) = &f.kind else { continue };
            if o.collection_id != c.id {
                continue;
            }
            if let Some(one) = record_ref(other) {
                props.insert(format!("{}_via_{}", other.name, f.name), json!({"type": "array", "items": one}));
            }
        }
    }
    json!({"type": "object", "properties": props, "description": format!("Records related to a {} record; each key is present only when named in `expand`.", c.name)})
}

fn input_schema(c: &Collection, create: bool) -> Value {
    let mut props = Map::new();
    let mut required = Vec::new();
    for f in &c.fields {
        match &f.kind {
            FieldKind::Autodate(_) => continue,
            FieldKind::Password(_) => {
                props.insert("password".into(), json!({"type": "string", "minLength": 8, "maxLength": 71}));
                props.insert("passwordConfirm".into(), json!({"type": "string"}));
                if create {
                    required.extend(["password", "passwordConfirm"]);
                } else {
                    props.insert("oldPassword".into(), json!({"type": "string"}));
                }
                continue;
            }
            FieldKind::File(_) => {
                // Kept names in JSON; in multipart/form-data also new files as parts of this name.
                let one = json!({"oneOf": [{"type": "string", "description": "A stored file name to keep."},
                                           {"type": "string", "format": "binary", "description": "A new file (multipart only)."}]});
                let schema = if f.is_multiple() { json!({"type": "array", "items": one}) } else { one };
                props.insert(f.name.clone(), schema);
                if create && f.kind.required() {
                    required.push(f.name.as_str());
                }
                continue;
            }
            _ if f.name == "tokenKey" => continue,
            _ => {}
        }
        props.insert(f.name.clone(), field_schema(f));
        if create && f.kind.required() && f.name != "id" {
            required.push(f.name.as_str());
        }
    }
    let mut s = json!({"type": "object", "properties": props, "additionalProperties": true,
        "description": "Modifiers are accepted too: `field+` and `field-` for numbers, `+field`, `field+` and `field-` for multiple fields."});
    if !required.is_empty() {
        s["required"] = json!(required);
    }
    s
}

fn list_schema(base: &str) -> Value {
    json!({"type": "object", "required": ["page", "perPage", "totalItems", "totalPages", "items"], "properties": {
        "page": {"type": "integer"}, "perPage": {"type": "integer"},
        "totalItems": {"type": "integer", "description": "-1 with skipTotal."},
        "totalPages": {"type": "integer", "description": "-1 with skipTotal."},
        "items": {"type": "array", "items": {"$ref": format!("#/components/schemas/{base}Record")}}}})
}

/// Security for a rule: public rules need no token, locked ones a superuser's.
fn security(rule: Option<&str>) -> Value {
    match rule {
        Some(r) if r.trim().is_empty() => json!([{}, {"TokenAuth": []}]),
        Some(_) => json!([{}, {"TokenAuth": []}]),
        None => json!([{"TokenAuth": []}]),
    }
}

fn rule_note(rule: Option<&str>) -> String {
    match rule {
        None => "Superusers only.".to_owned(),
        Some(r) if r.trim().is_empty() => "Public.".to_owned(),
        Some(r) => format!("Rule: `{r}`."),
    }
}

fn error(status: u16, description: &str) -> (String, Value) {
    (
        status.to_string(),
        json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}}),
    )
}

fn responses(ok: (&str, Value), errors: &[(u16, &str)]) -> Value {
    let mut r = Map::new();
    r.insert(ok.0.to_owned(), ok.1);
    let common = [(401, "The token is invalid."), (413, "The body is too large."), (415, "The body is not JSON.")];
    for (status, d) in errors.iter().chain(common.iter()) {
        let (k, v) = error(*status, d);
        r.insert(k, v);
    }
    Value::Object(r)
}

fn json_ok(description: &str, schema_ref: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema_ref}")}}}})
}

fn query_param(name: &str, description: &str, schema: Value) -> Value {
    json!({"name": name, "in": "query", "required": false, "description": description, "schema": schema})
}

fn collection_paths(c: &Collection, base: &str) -> (Value, Value) {
    let tag = format!("Collection: {}", c.name);
    let r = &c.rules;
    let id_param = json!({"name": "id", "in": "path", "required": true, "schema": {"type": "string"}});
    let expand =
        query_param("expand", "Relations to inline, e.g. `author,comments_via_post`.", json!({"type": "string"}));
    let fields = query_param(
        "fields",
        "Fields to return, e.g. `id,title,expand.author.name`. The answer then holds only those keys: the record schema's `required` describes answers without this parameter.",
        json!({"type": "string"}),
    );
    let mut list = Map::new();
    list.insert("get".into(), json!({
        "tags": [tag], "operationId": format!("list_{}_records", c.name), "summary": format!("List {} records", c.name),
        "description": rule_note(r.list_rule.as_deref()), "security": security(r.list_rule.as_deref()),
        "parameters": [
            query_param("page", "Page number (from 1).", json!({"type": "integer", "minimum": 1})),
            query_param("perPage", "Items per page (default 30, at most 1000).", json!({"type": "integer", "minimum": 1, "maximum": 1000})),
            query_param("sort", "Comma-separated fields, `-` for descending.", json!({"type": "string"})),
            query_param("filter", "A filter expression, e.g. `views > 10 && title ~ 'abc'`.", json!({"type": "string"})),
            expand.clone(), fields.clone(),
            query_param("skipTotal", "Skip counting (totals are -1).", json!({"type": "boolean"}))],
        "responses": responses(("200", json_ok("A page of records.", &format!("{base}List"))), &[(400, "Invalid filter or sort."), (403, "Only superusers may list this collection.")])
    }));
    let mut one = Map::new();
    one.insert("get".into(), json!({
        "tags": [tag], "operationId": format!("view_{}_record", c.name), "summary": format!("View a {} record", c.name),
        "description": rule_note(r.view_rule.as_deref()), "security": security(r.view_rule.as_deref()),
        "parameters": [id_param.clone(), expand.clone(), fields.clone()],
        "responses": responses(("200", json_ok("The record.", &format!("{base}Record"))), &[(403, "Superusers only."), (404, "No such record, or the viewRule hides it.")])
    }));
    if c.kind != CollectionKind::View {
        let body = |schema: String| {
            let schema = json!({"$ref": format!("#/components/schemas/{schema}")});
            json!({"required": true, "content": {"application/json": {"schema": schema}, "multipart/form-data": {"schema": schema}}})
        };
        list.insert("post".into(), json!({
            "tags": [tag], "operationId": format!("create_{}_record", c.name), "summary": format!("Create a {} record", c.name),
            "description": rule_note(r.create_rule.as_deref()), "security": security(r.create_rule.as_deref()),
            "parameters": [expand.clone(), fields.clone()], "requestBody": body(format!("{base}Create")),
            "responses": responses(("200", json_ok("The created record.", &format!("{base}Record"))), &[(400, "Invalid data, or the createRule failed."), (403, "Superusers only.")])
        }));
        one.insert("patch".into(), json!({
            "tags": [tag], "operationId": format!("update_{}_record", c.name), "summary": format!("Update a {} record", c.name),
            "description": rule_note(r.update_rule.as_deref()), "security": security(r.update_rule.as_deref()),
            "parameters": [id_param.clone(), expand, fields], "requestBody": body(format!("{base}Update")),
            "responses": responses(("200", json_ok("The updated record.", &format!("{base}Record"))), &[(400, "Invalid data."), (403, "Superusers only."), (404, "No such record, or the updateRule failed.")])
        }));
        one.insert("delete".into(), json!({
            "tags": [tag], "operationId": format!("delete_{}_record", c.name), "summary": format!("Delete a {} record", c.name),
            "description": rule_note(r.delete_rule.as_deref()), "security": security(r.delete_rule.as_deref()),
            "parameters": [id_param],
            "responses": responses(("204", json!({"description": "Deleted."})), &[(400, "A required reference blocks the deletion."), (403, "Superusers only."), (404, "No such record, or the deleteRule failed.")])
        }));
    }
    (Value::Object(list), Value::Object(one))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expand_is_typed_by_relations_and_back_relations() {
        let posts: Collection = serde_json::from_value(json!({"id": "pbc_p", "name": "posts", "fields": [
            {"name": "id", "type": "text"},
            {"name": "author", "type": "relation", "collectionId": "pbc_u", "maxSelect": 1},
            {"name": "tags", "type": "relation", "collectionId": "pbc_t", "maxSelect": 5}]}))
        .expect("posts");
        let users: Collection =
            serde_json::from_value(json!({"id": "pbc_u", "name": "people", "type": "auth", "fields": [
                {"name": "id", "type": "text"}, {"name": "email", "type": "email"}]}))
            .expect("users");
        let tags: Collection =
            serde_json::from_value(json!({"id": "pbc_t", "name": "tags", "fields": [{"name": "id", "type": "text"}]}))
                .expect("tags");
        let mut doc = json!({"paths": {}, "components": {"schemas": {}}});
        merge(&mut doc, &Schema::new(vec![posts, users, tags]));
        let schemas = &doc["components"]["schemas"];
        let expand = &schemas["PostsExpand"]["properties"];
        assert_eq!(expand["author"], json!({"$ref": "#/components/schemas/PeopleRecord"}));
        assert_eq!(expand["tags"]["items"], json!({"$ref": "#/components/schemas/TagsRecord"}));
        assert_eq!(schemas["PeopleExpand"]["properties"]["posts_via_author"]["type"], "array");
        assert_eq!(
            schemas["PeopleRecord"]["required"],
            json!(["collectionId", "collectionName", "id"]),
            "email may be hidden"
        );
    }

    #[test]
    fn typed_paths_for_a_collection() {
        let c: Collection = serde_json::from_value(json!({"id": "pbc_1", "name": "blog_posts", "listRule": "", "fields": [
            {"name": "id", "type": "text"}, {"name": "title", "type": "text", "required": true, "max": 10},
            {"name": "tags", "type": "select", "values": ["a"], "maxSelect": 2}, {"name": "secret", "type": "text", "hidden": true}]}))
        .expect("collection");
        let mut doc = json!({"paths": {}, "components": {"schemas": {}}});
        merge(&mut doc, &Schema::new(vec![c]));
        let rec = &doc["components"]["schemas"]["BlogPostsRecord"];
        assert_eq!(rec["properties"]["title"]["maxLength"], 10);
        assert_eq!(rec["properties"]["tags"]["items"]["enum"], json!(["a"]));
        assert!(rec["properties"].get("secret").is_none());
        assert_eq!(rec["required"], json!(["collectionId", "collectionName", "id", "title", "tags"]));
        assert_eq!(doc["components"]["schemas"]["BlogPostsCreate"]["required"], json!(["title"]));
        let list = &doc["paths"]["/api/collections/blog_posts/records"];
        assert_eq!(list["get"]["security"], json!([{}, {"TokenAuth": []}]));
        assert_eq!(list["post"]["security"], json!([{"TokenAuth": []}]));
    }
}
